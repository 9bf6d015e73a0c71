import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DebtPolicy } from './config.js';
import {
  applyPlan,
  availableAt,
  balancesFromPostings,
  dueExpiries,
  emptyMember,
  invariantViolations,
  planCredit,
  planExpire,
  planRedeem,
  planRedeemReturn,
  planRelease,
  planReverse,
  reversalTarget,
  type EntryPlan,
  type LotDraw,
  type MemberState,
  type Posting,
} from './ledger.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (day: number): string => new Date(T0 + day * DAY).toISOString();

function credit(
  state: MemberState,
  id: string,
  points: number,
  day: number,
  pendingDays: number | null,
  policy: DebtPolicy = 'debt',
) {
  const plan = planCredit(state, {
    lotId: id,
    source: 'earn',
    points,
    qualifying: points,
    releaseAt: pendingDays === null ? null : at(day + pendingDays),
    expiresAt: at(day + 365),
    now: at(day),
    policy,
  });
  if (!plan.ok) throw new Error(JSON.stringify(plan.error));
  return applyPlan(state, plan.value);
}

describe('the ledger core', () => {
  it('draws a redemption from the lots that expire first and records which', () => {
    let s = credit(emptyMember, 'late', 100, 100, null);
    s = credit(s, 'early', 100, 0, null);
    const plan = planRedeem(s, { points: 150, now: at(101), policy: 'debt' });
    expect(plan.ok && plan.value.draws).toEqual([
      { lotId: 'early', points: 100 },
      { lotId: 'late', points: 50 },
    ]);
  });

  it('never spends a lot past its expiry, even before the expiry job ran', () => {
    const s = credit(emptyMember, 'old', 100, 0, null);
    expect(availableAt(s, at(366))).toBe(0);
    expect(planRedeem(s, { points: 1, now: at(366), policy: 'debt' })).toEqual({
      ok: false,
      error: { type: 'InsufficientPoints', available: 0, needed: 1 },
    });
  });

  it('refuses redemptions while a debt is outstanding under the block policy', () => {
    let s = credit(emptyMember, 'a', 100, 0, null, 'block');
    const r = planRedeem(s, { points: 100, now: at(1), policy: 'block' });
    if (!r.ok) throw new Error('redeem');
    s = applyPlan(s, r.value);
    const rev = planReverse(s, { lotId: 'a', points: 40, qualifying: 40, now: at(2), policy: 'block' });
    if (!rev.ok) throw new Error('reverse');
    s = applyPlan(s, rev.value);
    expect(s.debt).toBe(40);
    s = applyPlan(
      s,
      (planRedeemReturn(s, { draws: [{ lotId: 'a', points: 10 }] }) as { value: EntryPlan }).value,
    );
    expect(planRedeem(s, { points: 5, now: at(3), policy: 'block' })).toEqual({
      ok: false,
      error: { type: 'RedemptionsBlocked', debt: 40 },
    });
  });

  it('writes off spent points under the write-off policy, recorded as a posting', () => {
    let s = credit(emptyMember, 'a', 100, 0, null, 'write_off');
    s = applyPlan(
      s,
      (planRedeem(s, { points: 100, now: at(1), policy: 'write_off' }) as { value: EntryPlan }).value,
    );
    const rev = planReverse(s, { lotId: 'a', points: 100, qualifying: 100, now: at(2), policy: 'write_off' });
    expect(rev.ok && rev.value.postings).toEqual([
      { from: 'written_off', to: 'reversed', points: 100, lotId: 'a' },
    ]);
  });

  it('reverses in proportion to the cumulative refund and never more than the line earned', () => {
    expect(reversalTarget(101, 5000, 10000)).toBe(51);
    expect(reversalTarget(101, 10000, 10000)).toBe(101);
    expect(reversalTarget(101, 12000, 10000)).toBe(101);
    expect(reversalTarget(101, 0, 10000)).toBe(0);
  });

  it('releases pending points only after the return window and repays a debt first', () => {
    let s = credit(emptyMember, 'a', 100, 0, null);
    s = applyPlan(
      s,
      (planRedeem(s, { points: 100, now: at(1), policy: 'debt' }) as { value: EntryPlan }).value,
    );
    s = applyPlan(
      s,
      (
        planReverse(s, { lotId: 'a', points: 30, qualifying: 0, now: at(1), policy: 'debt' }) as {
          value: EntryPlan;
        }
      ).value,
    );
    s = credit(s, 'b', 50, 2, 30);
    expect(planRelease(s, { lotId: 'b', now: at(20), policy: 'debt' }).ok).toBe(false);
    s = applyPlan(
      s,
      (planRelease(s, { lotId: 'b', now: at(40), policy: 'debt' }) as { value: EntryPlan }).value,
    );
    expect(s).toMatchObject({ debt: 0, available: 20, pending: 0 });
  });
});

// ---------------------------------------------------------------- properties

type Op =
  | { t: 'earn'; points: number; pending: boolean }
  | { t: 'advance'; days: number }
  | { t: 'jobs' }
  | { t: 'redeem'; points: number }
  | { t: 'refund'; lot: number; percent: number }
  | { t: 'returnRedemption'; index: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('earn' as const),
    points: fc.integer({ min: 1, max: 500 }),
    pending: fc.boolean(),
  }),
  fc.record({ t: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 200 }) }),
  fc.constant({ t: 'jobs' as const }),
  fc.record({ t: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 600 }) }),
  fc.record({
    t: fc.constant('refund' as const),
    lot: fc.nat(30),
    percent: fc.integer({ min: 1, max: 120 }),
  }),
  fc.record({ t: fc.constant('returnRedemption' as const), index: fc.nat(30) }),
);

describe('the ledger under random sequences of earns, refunds, partial refunds, expiries and redemptions', () => {
  it('keeps every invariant', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.constantFrom<DebtPolicy>('block', 'debt', 'write_off'),
        (ops, policy) => {
          let s: MemberState = emptyMember;
          let day = 0;
          const postings: Posting[] = [];
          const earned = new Map<string, { points: number; refunded: number; reversed: number }>();
          const redemptions: Array<{ draws: readonly LotDraw[]; returned: boolean }> = [];
          const apply = (plan: EntryPlan): void => {
            // Expired lots are never spent: no draw from a lot whose expiry has passed.
            if (plan.kind === 'redeem') {
              for (const d of plan.draws) {
                const lot = s.lots.find((l) => l.id === d.lotId);
                expect(lot && lot.expiresAt > at(day)).toBe(true);
              }
            }
            for (const p of plan.postings) expect(p.points).toBeGreaterThan(0);
            s = applyPlan(s, plan);
            postings.push(...plan.postings);
          };
          let n = 0;
          for (const op of ops) {
            const now = at(day);
            switch (op.t) {
              case 'earn': {
                const id = `lot${n++}`;
                const plan = planCredit(s, {
                  lotId: id,
                  source: 'earn',
                  points: op.points,
                  qualifying: op.points,
                  releaseAt: op.pending ? at(day + 30) : null,
                  expiresAt: at(day + 365),
                  now,
                  policy,
                });
                if (plan.ok) {
                  apply(plan.value);
                  earned.set(id, { points: op.points, refunded: 0, reversed: 0 });
                }
                break;
              }
              case 'advance':
                day += op.days;
                break;
              case 'jobs':
                for (const lot of s.lots.filter((l) => l.pending > 0)) {
                  const p = planRelease(s, { lotId: lot.id, now, policy });
                  if (p.ok) apply(p.value);
                }
                for (const lot of dueExpiries(s, now)) {
                  const p = planExpire(s, { lotId: lot.id, now });
                  if (p.ok) apply(p.value);
                }
                break;
              case 'redeem': {
                const before = availableAt(s, now);
                const p = planRedeem(s, { points: op.points, now, policy });
                if (p.ok) {
                  apply(p.value);
                  redemptions.push({ draws: p.value.draws, returned: false });
                } else if (p.error.type === 'InsufficientPoints') {
                  expect(p.error.available).toBe(before);
                  expect(before).toBeLessThan(op.points);
                }
                break;
              }
              case 'refund': {
                const ids = [...earned.keys()];
                if (ids.length === 0) break;
                const id = ids[op.lot % ids.length] as string;
                const e = earned.get(id) as { points: number; refunded: number; reversed: number };
                // A refund of op.percent % of the order (cumulative; above 100 % counts as all of it).
                e.refunded += op.percent;
                const target = reversalTarget(e.points, e.refunded, 100);
                const points = target - e.reversed;
                if (points <= 0) break;
                const p = planReverse(s, { lotId: id, points, qualifying: points, now, policy });
                if (p.ok) {
                  apply(p.value);
                  e.reversed += points;
                }
                break;
              }
              case 'returnRedemption': {
                const r = redemptions[op.index % Math.max(1, redemptions.length)];
                if (!r || r.returned) break;
                const p = planRedeemReturn(s, { draws: r.draws });
                if (p.ok) {
                  apply(p.value);
                  r.returned = true;
                }
                break;
              }
            }
            // Balance = sum of postings; available, pending, every lot never negative; lots add up.
            expect(invariantViolations(s)).toEqual([]);
            const fromPostings = balancesFromPostings(postings);
            expect(fromPostings.pending).toBe(s.pending);
            expect(fromPostings.available).toBe(s.available);
            expect(fromPostings.debt).toBe(s.debt);
            for (const lot of s.lots) {
              const b = fromPostings.lots.get(lot.id) ?? { pending: 0, available: 0, expired: 0 };
              expect(b).toEqual({ pending: lot.pending, available: lot.available, expired: lot.expired });
            }
            if (policy === 'write_off') expect(s.debt).toBe(0);
          }
          // A refund never reverses more than was earned.
          for (const e of earned.values()) expect(e.reversed).toBeLessThanOrEqual(e.points);
          const reversed = postings.filter((p) => p.to === 'reversed').reduce((a, p) => a + p.points, 0);
          const issued = postings.filter((p) => p.from === 'issued').reduce((a, p) => a + p.points, 0);
          expect(reversed).toBeLessThanOrEqual(issued);
        },
      ),
      { numRuns: 300 },
    );
  });
});
