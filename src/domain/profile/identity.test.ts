import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Identity } from '../events/normalize.js';
import { resolveIdentities, type IdentityState, type KnownCustomer } from './identity.js';

const empty: IdentityState = { owners: new Map(), customers: new Map() };
let n = 0;
const ids = () => {
  n = 0;
  return () => `cus_${++n}`;
};
const ev = (identity: Identity, t = '2025-01-01T00:00:00.000Z', messageId = `m${Math.random()}`) => ({
  messageId,
  timestamp: t,
  identity,
});

describe('resolveIdentities', () => {
  it('creates one customer for a new user and links all their keys', () => {
    const r = resolveIdentities(empty, [ev({ userId: 'u1', email: 'a@x.io', anonymousId: 'a1' })], ids());
    expect(r.customerIds).toEqual(['cus_1']);
    expect(r.newCustomers).toEqual([{ id: 'cus_1', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z' }]);
    expect(r.links.map((l) => l.key)).toEqual(['user:u1', 'anon:a1', 'email:a@x.io']);
    expect(r.merges).toEqual([]);
  });

  it('attaches anonymous browsing to the user who later identifies on the same device', () => {
    const r = resolveIdentities(
      empty,
      [
        ev({ anonymousId: 'a1' }, '2025-01-01T00:00:00.000Z'),
        ev({ userId: 'u1', anonymousId: 'a1' }, '2025-01-02T00:00:00.000Z'),
      ],
      ids(),
    );
    expect(r.customerIds).toEqual(['cus_1', 'cus_1']);
    expect(r.newCustomers).toEqual([{ id: 'cus_1', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z' }]);
  });

  it('merges two existing customers into the older one and records the merge', () => {
    const c1: KnownCustomer = { id: 'cus_old', userId: null, createdAt: '2024-01-01T00:00:00.000Z' };
    const c2: KnownCustomer = { id: 'cus_new', userId: 'u9', createdAt: '2024-06-01T00:00:00.000Z' };
    const state: IdentityState = {
      owners: new Map([
        ['anon:a1', 'cus_old'],
        ['user:u9', 'cus_new'],
      ]),
      customers: new Map([
        [c1.id, c1],
        [c2.id, c2],
      ]),
    };
    const r = resolveIdentities(
      state,
      [ev({ userId: 'u9', anonymousId: 'a1' }, '2025-01-01T00:00:00.000Z', 'm7')],
      ids(),
    );
    expect(r.customerIds).toEqual(['cus_old']);
    expect(r.merges).toEqual([
      {
        from: 'cus_new',
        into: 'cus_old',
        at: '2025-01-01T00:00:00.000Z',
        messageId: 'm7',
        keys: ['user:u9', 'anon:a1'],
      },
    ]);
    expect(r.userIds).toEqual([{ customerId: 'cus_old', userId: 'u9' }]);
    expect(r.newCustomers).toEqual([]);
  });

  it('never merges two customers with different userIds, even when they share an email', () => {
    const r = resolveIdentities(
      empty,
      [ev({ userId: 'u1', email: 'home@x.io' }), ev({ userId: 'u2', email: 'home@x.io' })],
      ids(),
    );
    expect(r.customerIds).toEqual(['cus_1', 'cus_2']);
    expect(r.merges).toEqual([]);
    expect(r.links.filter((l) => l.key === 'email:home@x.io')).toEqual([
      { key: 'email:home@x.io', customerId: 'cus_1' },
    ]);
  });

  it('follows a chain of merges inside one batch', () => {
    const r = resolveIdentities(
      empty,
      [
        ev({ anonymousId: 'a1' }, '2025-01-01T00:00:00.000Z'),
        ev({ email: 'e@x.io', anonymousId: 'a2' }, '2025-01-02T00:00:00.000Z'),
        ev({ anonymousId: 'a2', phone: '+4912345678' }, '2025-01-03T00:00:00.000Z'),
        ev({ userId: 'u1', anonymousId: 'a1', email: 'e@x.io' }, '2025-01-04T00:00:00.000Z'),
      ],
      ids(),
    );
    expect(new Set(r.customerIds)).toEqual(new Set(['cus_1']));
    expect(r.merges.map((m) => [m.from, m.into])).toEqual([['cus_2', 'cus_1']]);
    expect(r.links.every((l) => l.customerId === 'cus_1')).toBe(true);
  });

  it('links an alias previousId to the user', () => {
    const r = resolveIdentities(
      empty,
      [ev({ anonymousId: 'a1' }), ev({ userId: 'u1', previousId: 'a1' })],
      ids(),
    );
    expect(r.customerIds).toEqual(['cus_1', 'cus_1']);
  });

  it('property: every key ends with exactly one live owner and every event gets a live customer', () => {
    const identity = fc.record(
      {
        userId: fc.constantFrom('u1', 'u2', 'u3'),
        anonymousId: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
        email: fc.constantFrom('x@a.io', 'y@a.io'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(identity, { minLength: 1, maxLength: 12 }), (identities) => {
        const events = identities
          .filter((i) => i.userId !== undefined || i.anonymousId !== undefined)
          .map((i, k) => ev(i, `2025-01-01T00:00:${String(k).padStart(2, '0')}.000Z`, `m${k}`));
        const r = resolveIdentities(empty, events, ids());
        const mergedAway = new Set(r.merges.map((m) => m.from));
        for (const c of r.customerIds) expect(mergedAway.has(c)).toBe(false);
        for (const l of r.links) expect(mergedAway.has(l.customerId)).toBe(false);
        const keys = r.links.map((l) => l.key);
        expect(new Set(keys).size).toBe(keys.length);
        // Same userId → same customer.
        const byUser = new Map<string, string>();
        events.forEach((e, k) => {
          if (e.identity.userId === undefined) return;
          const prev = byUser.get(e.identity.userId);
          if (prev !== undefined) expect(r.customerIds[k]).toBe(prev);
          byUser.set(e.identity.userId, r.customerIds[k] as string);
        });
      }),
    );
  });
});
