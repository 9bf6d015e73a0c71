/**
 * Property over the real database: random sequences of earns, redemptions, refunds (partial and
 * full) and expiries, each delivered once or several times (retries, replays). The ledger ends
 * exactly as if each operation had been applied once, nothing is ever negative, and every balance
 * and lot equals what its postings say (reconcile).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import {
  creditPoints,
  memberBalance,
  redeemPoints,
  reverseOrder,
  runLedgerJobs,
  type LedgerStore,
} from './loyalty-ledger.js';

type Op =
  | { t: 'earn'; points: number }
  | { t: 'redeem'; points: number }
  | { t: 'refund'; order: number; percent: number }
  | { t: 'expire' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('earn' as const), points: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ t: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 400 }) }),
  fc.record({
    t: fc.constant('refund' as const),
    order: fc.nat(20),
    percent: fc.integer({ min: 10, max: 100 }),
  }),
  fc.constant({ t: 'expire' as const }),
);

describe.each(DATABASES)('the ledger under replayed random operations on %s', (dialect) => {
  let t: TestDatabase;
  let ledger: LedgerStore;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    ledger = loyaltyStore(t.store);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('posts each key once, never goes negative and reconciles', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(op, fc.integer({ min: 1, max: 3 })), { minLength: 5, maxLength: 25 }),
        async (ops) => {
          const cus = `cus_p${run++}`;
          // Time moves a month per operation, so early lots expire (365 days) in longer runs.
          const at = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 30 * 86_400_000).toISOString();
          const orders: Array<{ id: string; total: number; refunded: number }> = [];
          let earned = 0;
          let redeemed = 0;
          for (const [i, [o, times]] of ops.entries()) {
            const now = at(i);
            for (let k = 0; k < times; k++) {
              if (o.t === 'earn') {
                const r = await creditPoints(ledger, ledgerIds, {
                  customerId: cus,
                  businessKey: `${cus}:order:${i}`,
                  source: 'earn',
                  rule: 'spend',
                  points: o.points,
                  qualifying: o.points,
                  release: null,
                  effectiveAt: now,
                  now,
                  orderId: `${cus}:o${i}`,
                  lineNo: 1,
                });
                if (r.ok && !r.value.duplicate) {
                  earned += o.points;
                  orders.push({ id: `${cus}:o${i}`, total: o.points * 100, refunded: 0 });
                }
              } else if (o.t === 'redeem') {
                const before = await memberBalance(ledger, cus, now);
                const r = await redeemPoints(ledger, ledgerIds, {
                  customerId: cus,
                  points: o.points,
                  now,
                  idempotency: { key: `r${i}`, requestHash: 'h' },
                });
                if (r.ok && !r.value.replayed) redeemed += o.points;
                if (!r.ok) expect(r.error).toMatchObject({ type: 'InsufficientPoints', needed: o.points });
                if (!r.ok) expect(before.available).toBeLessThan(o.points);
              } else if (o.t === 'refund') {
                const order = orders[o.order % Math.max(1, orders.length)];
                if (!order) continue;
                if (k === 0)
                  order.refunded = Math.min(order.total, order.refunded + (order.total * o.percent) / 100);
                const r = await reverseOrder(ledger, ledgerIds, {
                  customerId: cus,
                  orderId: order.id,
                  updateId: `${cus}:refund:${i}`,
                  update: 'refunded',
                  refundedSoFarMinor: Math.round(order.refunded),
                  orderTotalMinor: order.total,
                  effectiveAt: now,
                  now,
                });
                expect(r.ok).toBe(true);
              } else {
                await runLedgerJobs(ledger, ledgerIds, now);
              }
              const b = await memberBalance(ledger, cus, now);
              expect(b.available).toBeGreaterThanOrEqual(0);
              expect(b.pending).toBeGreaterThanOrEqual(0);
              expect(b.owed).toBeGreaterThanOrEqual(0);
            }
          }
          // Each key posted once: the entries are exactly the distinct operations that applied.
          const history = await ledger.history(cus, 1000);
          const keys = history.map((h) => h.businessKey);
          expect(new Set(keys).size).toBe(keys.length);
          expect(history.filter((h) => h.kind === 'earn').reduce((s, h) => s + h.points, 0)).toBe(earned);
          expect(history.filter((h) => h.kind === 'redeem').reduce((s, h) => s + h.points, 0)).toBe(redeemed);
          // A refund never reverses more than the order line earned.
          const reversedByLot = new Map<string, number>();
          for (const h of history.filter((e) => e.kind === 'reverse')) {
            reversedByLot.set(h.lotId as string, (reversedByLot.get(h.lotId as string) ?? 0) + h.points);
          }
          for (const h of history.filter((e) => e.kind === 'earn')) {
            expect(reversedByLot.get(h.lotId as string) ?? 0).toBeLessThanOrEqual(h.points);
          }
          const rec = await ledger.reconcile();
          expect(rec.mismatches).toEqual([]);
        },
      ),
      { numRuns: 10 },
    );
  }, 120_000);
});
