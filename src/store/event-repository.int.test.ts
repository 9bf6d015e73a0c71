import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ingestBatch, storeEvents, normalizeBatch } from '../app/ingest-events.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { findCustomerProfile } from './customer-repository.js';
import { eventStore } from './event-repository.js';
import type { Store } from './database.js';

const currency = { baseCurrency: 'USD', rates: { EUR: 1.1 } };
const opts = { currency, receivedAt: '2025-06-01T00:00:00.000Z' };

const order = (n: number, user: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  messageId: `order-msg-${n}`,
  userId: user,
  timestamp: `2025-01-${String(n).padStart(2, '0')}T10:00:00Z`,
  properties: {
    order_id: `o${n}`,
    total: 30.5,
    currency: 'USD',
    products: [
      { product_id: 'p1', price: 10, quantity: 2 },
      { product_id: 'p2', price: 10.5, quantity: 1 },
    ],
    ...extra,
  },
});

async function counts(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of [
    'events',
    'customers',
    'identities',
    'orders',
    'order_lines',
    'order_updates',
    'consents',
    'customer_merges',
  ] as const) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(store.db);
    out[t] = Number(r.rows[0]?.n);
  }
  return out;
}

describe.each(DATABASES)('event storage on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('stores an order with its lines and builds the profile', async () => {
    const r = await ingestBatch(
      eventStore(t.store),
      [order(1, 'u1'), order(2, 'u1', { total: '12.00' })],
      opts,
    );
    expect(r).toEqual({ ok: true, value: { accepted: 2, duplicates: 0 } });
    const p = await findCustomerProfile(t.store, 'u1', 'USD');
    expect(p?.orders).toEqual({
      count: 2,
      currency: 'USD',
      revenueMinor: 4250,
      refundedMinor: 0,
      netRevenueMinor: 4250,
      firstOrderAt: '2025-01-01T10:00:00.000Z',
      lastOrderAt: '2025-01-02T10:00:00.000Z',
    });
    const lines = await t.store.db
      .selectFrom('order_lines')
      .selectAll()
      .where('order_id', '=', 'o1')
      .orderBy('line_no')
      .execute();
    expect(lines.map((l) => [l.product_id, Number(l.price_minor), l.quantity])).toEqual([
      ['p1', 1000, 2],
      ['p2', 1050, 1],
    ]);
  });

  it('leaves the database unchanged when the same batch is replayed', async () => {
    const before = await counts(t.store);
    const r = await ingestBatch(
      eventStore(t.store),
      [order(1, 'u1'), order(2, 'u1', { total: '12.00' })],
      opts,
    );
    expect(r).toEqual({ ok: true, value: { accepted: 0, duplicates: 2 } });
    expect(await counts(t.store)).toEqual(before);
  });

  it('stores an order once even when it arrives again under another messageId', async () => {
    await ingestBatch(eventStore(t.store), [{ ...order(1, 'u1'), messageId: 'webhook-retry-7' }], opts);
    const n = await t.store.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('order_id', '=', 'o1')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('stores nothing from a batch with one bad event, and names the field', async () => {
    const before = await counts(t.store);
    const bad = order(9, 'u9', { total: 'lots' });
    const r = await ingestBatch(eventStore(t.store), [order(8, 'u8'), bad], opts);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toEqual([
        { index: 1, path: ['properties', 'total'], message: 'must be a decimal amount such as 29.33' },
      ]);
    expect(await counts(t.store)).toEqual(before);
  });

  it('merges anonymous browsing into the customer when they identify, keeping the history', async () => {
    const store = eventStore(t.store);
    await ingestBatch(
      store,
      [
        {
          type: 'track',
          event: 'Product Viewed',
          anonymousId: 'anon-1',
          messageId: 'v1',
          timestamp: '2025-02-01T00:00:00Z',
          properties: { product_id: 'p1' },
        },
      ],
      opts,
    );
    await ingestBatch(
      store,
      [
        {
          type: 'identify',
          userId: 'u2',
          messageId: 'i2',
          timestamp: '2025-02-02T00:00:00Z',
          traits: { email: 'b@x.io' },
        },
      ],
      opts,
    );
    await ingestBatch(
      store,
      [
        {
          type: 'identify',
          userId: 'u2',
          anonymousId: 'anon-1',
          messageId: 'i3',
          timestamp: '2025-02-03T00:00:00Z',
          traits: { phone: '+44 20 7946 0958' },
        },
      ],
      opts,
    );
    const p = await findCustomerProfile(t.store, 'u2', 'USD');
    expect(p?.identities).toEqual([
      { kind: 'anon', value: 'anon-1' },
      { kind: 'email', value: 'b@x.io' },
      { kind: 'phone', value: '+442079460958' },
      { kind: 'user', value: 'u2' },
    ]);
    expect(p?.mergedFrom).toHaveLength(1);
    const views = await t.store.db
      .selectFrom('events')
      .select('customer_id')
      .where('message_id', '=', 'v1')
      .executeTakeFirstOrThrow();
    expect(views.customer_id).toBe(p?.id);
    // The merged-away id still finds the survivor.
    const viaOld = await findCustomerProfile(t.store, p?.mergedFrom[0]?.customerId ?? '', 'USD');
    expect(viaOld?.id).toBe(p?.id);
  });

  it('keeps the latest consent per channel and purpose, whatever the arrival order', async () => {
    const consent = (id: string, ts: string, granted: boolean) => ({
      type: 'track',
      event: 'Consent Updated',
      userId: 'u3',
      messageId: id,
      timestamp: ts,
      properties: { channel: 'email', purpose: 'marketing', granted },
    });
    const store = eventStore(t.store);
    await ingestBatch(store, [consent('c2', '2025-03-02T00:00:00Z', false)], opts);
    await ingestBatch(store, [consent('c1', '2025-03-01T00:00:00Z', true)], opts);
    const p = await findCustomerProfile(t.store, 'u3', 'USD');
    expect(p?.consent).toEqual([
      { channel: 'email', purpose: 'marketing', granted: false, updatedAt: '2025-03-02T00:00:00.000Z' },
    ]);
  });

  it('counts refunds and excludes cancelled orders', async () => {
    const store = eventStore(t.store);
    await ingestBatch(
      store,
      [
        order(20, 'u4'),
        order(21, 'u4'),
        {
          type: 'track',
          event: 'Order Refunded',
          userId: 'u4',
          messageId: 'r20',
          timestamp: '2025-01-25T00:00:00Z',
          properties: { order_id: 'o20', total: 10, currency: 'EUR' },
        },
        {
          type: 'track',
          event: 'Order Cancelled',
          userId: 'u4',
          messageId: 'x21',
          timestamp: '2025-01-25T00:00:00Z',
          properties: { order_id: 'o21' },
        },
      ],
      opts,
    );
    const p = await findCustomerProfile(t.store, 'u4', 'USD');
    expect(p?.orders).toMatchObject({
      count: 1,
      revenueMinor: 3050,
      refundedMinor: 1100,
      netRevenueMinor: 1950,
    });
  });

  it('sees identity changes made by another process (its cache is dropped when the graph moved)', async () => {
    const a = eventStore(t.store);
    const b = eventStore(t.store);
    const ev = (id: string, identity: Record<string, string>, ts: string) => ({
      type: 'identify',
      messageId: id,
      timestamp: ts,
      ...identity,
      traits: {},
    });
    await ingestBatch(a, [ev('g1', { userId: 'gen-u' }, '2025-05-01T00:00:00Z')], opts);
    await ingestBatch(a, [ev('g2', { anonymousId: 'dev-1' }, '2025-05-02T00:00:00Z')], opts);
    // Another writer links the device to the user: the device's customer merges into the user's.
    await ingestBatch(b, [ev('g3', { userId: 'gen-u', anonymousId: 'dev-1' }, '2025-05-03T00:00:00Z')], opts);
    // The first writer's cache still says dev-1 is the anonymous customer; it must not be used.
    await ingestBatch(a, [ev('g4', { anonymousId: 'dev-1' }, '2025-05-04T00:00:00Z')], opts);
    const p = await findCustomerProfile(t.store, 'gen-u', 'USD');
    const owner = await t.store.db
      .selectFrom('events')
      .select('customer_id')
      .where('message_id', '=', 'g4')
      .executeTakeFirstOrThrow();
    expect(owner.customer_id).toBe(p?.id);
  });

  it('stores each event exactly once when overlapping batches race', async () => {
    const store = eventStore(t.store);
    const batch = (k: number) =>
      Array.from({ length: 40 }, (_, i) => ({
        type: 'track',
        event: 'Product Viewed',
        userId: `race-${i % 7}`,
        messageId: `race-${(i + k * 20) % 60}`,
        timestamp: '2025-04-01T00:00:00Z',
        properties: { product_id: `p${i}` },
      }));
    const results = await Promise.all(
      [0, 1, 2, 3].map((k) => {
        const n = normalizeBatch(batch(k), opts);
        if (!n.ok) throw new Error('invalid');
        return storeEvents(store, n.value, opts.receivedAt);
      }),
    );
    expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(60);
    const n = await t.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('message_id', 'like', 'race-%')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(60);
    const users = await t.store.db
      .selectFrom('identities')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', 'like', 'user:race-%')
      .executeTakeFirstOrThrow();
    expect(Number(users.n)).toBe(7);
  });
});
