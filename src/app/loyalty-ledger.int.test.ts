import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import { DEFAULT_PROGRAMME_CONFIG } from '../domain/loyalty/config.js';
import {
  adjustPoints,
  creditPoints,
  memberBalance,
  redeemPoints,
  returnRedemption,
  reverseOrder,
  runLedgerJobs,
  type LedgerStore,
} from './loyalty-ledger.js';

const T0 = '2026-03-01T10:00:00.000Z';
const later = (days: number): string => new Date(Date.parse(T0) + days * 86_400_000).toISOString();

describe.each(DATABASES)('the loyalty ledger on %s', (dialect) => {
  let t: TestDatabase;
  let ledger: LedgerStore;
  let n = 0;
  let cus = '';
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    ledger = loyaltyStore(t.store);
  });
  afterAll(async () => {
    await t.drop();
  });
  // One database per backend; each test has its own member (and keys), so tests stay independent.
  beforeEach(() => {
    cus = `cus_t${++n}`;
  });

  const earn = (
    customerId: string,
    key: string,
    points: number,
    release: string | null | 'return-window' = null,
  ) =>
    creditPoints(ledger, ledgerIds, {
      customerId,
      businessKey: `${customerId}:${key}`,
      source: 'earn',
      rule: 'spend',
      points,
      qualifying: points,
      release,
      effectiveAt: T0,
      now: T0,
      orderId: `${customerId}:${key}`,
      lineNo: 1,
    });

  it('credits an order line once however many times it is delivered', async () => {
    for (let i = 0; i < 5; i++) await earn(cus, 'order:o1:line:1:rule:spend:earn', 120, 'return-window');
    const b = await memberBalance(ledger, cus, T0);
    expect(b.pending).toBe(120);
    expect(b.available).toBe(0);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('posts a business key once when it is delivered many times at once, to one member or to several', async () => {
    // PostgreSQL posts speculatively (the insert without `on conflict`, the COMMIT behind it): the
    // deliveries that lose fail on the unique key, are rolled back and run again, answering "duplicate".
    const other = `${cus}_b`;
    const key = `${cus}:order:o9:line:1:rule:spend:earn`;
    const deliver = (customerId: string) =>
      creditPoints(ledger, ledgerIds, {
        customerId,
        businessKey: key,
        source: 'earn',
        rule: 'spend',
        points: 30,
        release: null,
        effectiveAt: T0,
        now: T0,
      });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => deliver(i % 3 === 0 ? other : cus)),
    );
    const posted = results.filter((r) => r.ok && !r.value.duplicate);
    expect(posted).toHaveLength(1);
    expect(results.every((r) => r.ok)).toBe(true);
    const ids = new Set(results.map((r) => (r.ok ? r.value.entryId : null)));
    expect(ids.size).toBe(1);
    const total =
      (await memberBalance(ledger, cus, T0)).available + (await memberBalance(ledger, other, T0)).available;
    expect(total).toBe(30);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('stores keys and texts with quotes, backslashes and placeholders exactly as given', async () => {
    const odd = `it's a \\ "test" ? $1 ; -- ünï`;
    const r = await creditPoints(ledger, ledgerIds, {
      customerId: cus,
      businessKey: `${cus}:${odd}`,
      source: 'earn',
      rule: odd,
      points: 7,
      release: null,
      effectiveAt: T0,
      now: T0,
      explanation: odd,
      meta: { note: odd },
    });
    expect(r.ok && r.value.duplicate).toBe(false);
    const again = await creditPoints(ledger, ledgerIds, {
      customerId: cus,
      businessKey: `${cus}:${odd}`,
      source: 'earn',
      rule: odd,
      points: 7,
      release: null,
      effectiveAt: T0,
      now: T0,
    });
    expect(again.ok && again.value.duplicate).toBe(true);
    const [entry] = await ledger.history(cus, 10);
    expect(entry).toMatchObject({
      businessKey: `${cus}:${odd}`,
      rule: odd,
      explanation: odd,
      meta: { note: odd },
    });
    const redeemed = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 2,
      now: T0,
      idempotency: { key: odd, requestHash: odd },
    });
    const replay = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 2,
      now: T0,
      idempotency: { key: odd, requestHash: odd },
    });
    expect(redeemed.ok && replay.ok && replay.value.replayed).toBe(true);
    expect((await memberBalance(ledger, cus, T0)).available).toBe(5);
  });

  it('releases pending points after the return window, once, and expires them after their lifetime', async () => {
    await earn(cus, 'o1', 100, 'return-window');
    expect((await runLedgerJobs(ledger, ledgerIds, later(10))).released).toBe(0);
    // Jobs are store-wide: other tests' lots are released too.
    expect((await runLedgerJobs(ledger, ledgerIds, later(31))).released).toBeGreaterThanOrEqual(1);
    expect((await runLedgerJobs(ledger, ledgerIds, later(31))).released).toBe(0);
    expect((await memberBalance(ledger, cus, later(31))).available).toBe(100);
    const jobs = await runLedgerJobs(ledger, ledgerIds, later(400));
    expect(jobs.expired).toBeGreaterThanOrEqual(1);
    expect((await memberBalance(ledger, cus, later(400))).available).toBe(0);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('refuses a redemption larger than the available balance with what is available and needed', async () => {
    await earn(cus, 'o1', 80);
    const r = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 100,
      now: T0,
      idempotency: { key: 'k1', requestHash: 'h' },
    });
    expect(r).toEqual({ ok: false, error: { type: 'InsufficientPoints', available: 80, needed: 100 } });
  });

  it('answers the same Idempotency-Key and payload with the same receipt and refuses another payload', async () => {
    await earn(cus, 'o1', 500);
    const first = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 100,
      now: T0,
      idempotency: { key: 'k1', requestHash: 'h1' },
    });
    const again = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 100,
      now: T0,
      idempotency: { key: 'k1', requestHash: 'h1' },
    });
    const other = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 200,
      now: T0,
      idempotency: { key: 'k1', requestHash: 'h2' },
    });
    expect(first.ok && again.ok).toBe(true);
    if (first.ok && again.ok) {
      expect(again.value.redemptionId).toBe(first.value.redemptionId);
      expect(again.value.replayed).toBe(true);
    }
    expect(other).toEqual({ ok: false, error: { type: 'IdempotencyKeyReused', key: 'k1' } });
    expect((await memberBalance(ledger, cus, T0)).available).toBe(400);
  });

  it('lets exactly 10 of 50 simultaneous redemptions of 100 points through against a balance of 1,000', async () => {
    await earn(cus, 'o1', 1000);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        redeemPoints(ledger, ledgerIds, {
          customerId: cus,
          points: 100,
          now: T0,
          idempotency: { key: `race-${i}`, requestHash: 'h' },
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok && r.error.type === 'InsufficientPoints')).toHaveLength(40);
    expect((await memberBalance(ledger, cus, T0)).available).toBe(0);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('keeps nothing of an operation that fails after posting, and only that one of those committed together', async () => {
    await earn(cus, 'o1', 500);
    const other = `${cus}b`;
    await earn(other, 'o1', 500);
    const failing = {
      reserve: async () => ({ ok: true as const, value: { rewardId: 'rwd_x', points: 100, label: 'x' } }),
      issue: async (): Promise<Record<string, unknown>> => {
        throw new Error('the reward could not be issued');
      },
    };
    // Started together: on SQLite they share one group commit, each in its own savepoint.
    const [bad, good] = await Promise.allSettled([
      redeemPoints(ledger, ledgerIds, {
        customerId: cus,
        reward: failing,
        now: T0,
        idempotency: { key: 'boom', requestHash: 'h' },
      }),
      redeemPoints(ledger, ledgerIds, {
        customerId: other,
        points: 50,
        now: T0,
        idempotency: { key: 'fine', requestHash: 'h' },
      }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status === 'fulfilled' && good.value.ok).toBe(true);
    expect((await memberBalance(ledger, cus, T0)).available).toBe(500);
    expect((await memberBalance(ledger, other, T0)).available).toBe(450);
    // No entry, no stored answer: the same key later is a new redemption.
    expect((await ledger.history(cus, 10)).map((e) => e.kind)).toEqual(['earn']);
    const retry = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 100,
      now: T0,
      idempotency: { key: 'boom', requestHash: 'h' },
    });
    expect(retry.ok && retry.value.replayed).toBe(false);
    expect((await memberBalance(ledger, cus, T0)).available).toBe(400);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('reverses a refunded line from pending first, and records spent points as a debt repaid by future points', async () => {
    await earn(cus, 'o1', 100);
    await redeemPoints(ledger, ledgerIds, { customerId: cus, points: 80, now: T0, businessKey: `${cus}:r1` });
    const rev = await reverseOrder(ledger, ledgerIds, {
      customerId: cus,
      orderId: `${cus}:o1`,
      updateId: `${cus}:refund-1`,
      update: 'refunded',
      refundedSoFarMinor: 5000,
      orderTotalMinor: 10000,
      effectiveAt: T0,
      now: T0,
    });
    expect(rev.ok).toBe(true);
    let b = await memberBalance(ledger, cus, T0);
    expect(b.available).toBe(0);
    expect(b.owed).toBe(30);
    expect(b.qualifyingCredit).toBe(50);
    // The same refund delivered again reverses nothing more.
    await reverseOrder(ledger, ledgerIds, {
      customerId: cus,
      orderId: `${cus}:o1`,
      updateId: `${cus}:refund-1`,
      update: 'refunded',
      refundedSoFarMinor: 5000,
      orderTotalMinor: 10000,
      effectiveAt: T0,
      now: T0,
    });
    await earn(cus, 'o2', 50);
    b = await memberBalance(ledger, cus, T0);
    expect(b.owed).toBe(0);
    expect(b.available).toBe(20);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('returns a refunded redemption to its original lots with their original expiry', async () => {
    await earn(cus, 'o1', 100);
    const r = await redeemPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 60,
      now: T0,
      businessKey: `${cus}:r1`,
    });
    if (!r.ok) throw new Error('redeem failed');
    const back = await returnRedemption(ledger, ledgerIds, {
      customerId: cus,
      redemptionId: r.value.redemptionId,
      now: later(1),
      reason: 'order cancelled',
    });
    expect(back.ok).toBe(true);
    const account = await ledger.account(cus);
    expect(account?.state.lots).toHaveLength(1);
    expect(account?.state.lots[0]?.available).toBe(100);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('adjusts by hand with a reason and never below zero', async () => {
    await earn(cus, 'o1', 10);
    const minus = await adjustPoints(ledger, ledgerIds, {
      customerId: cus,
      points: -20,
      reason: 'test',
      by: 'admin',
      now: T0,
      idempotency: { key: 'a1', requestHash: 'x' },
    });
    expect(minus.ok).toBe(false);
    const plus = await adjustPoints(ledger, ledgerIds, {
      customerId: cus,
      points: 25,
      reason: 'goodwill after a late delivery',
      by: 'admin',
      now: T0,
      idempotency: { key: 'a2', requestHash: 'x' },
    });
    expect(plus.ok && plus.value.explanation).toContain('goodwill after a late delivery');
    expect((await memberBalance(ledger, cus, T0)).available).toBe(35);
  });

  it('records the programme version on each entry when a new version is activated while running', async () => {
    await earn(cus, 'o1', 10);
    await ledger.activateConfig({
      config: { ...DEFAULT_PROGRAMME_CONFIG, pointsPerCurrencyUnit: 2 },
      now: T0,
      by: 'test',
    });
    await earn(cus, 'o2', 10);
    const h = await ledger.history(cus, 10);
    expect(h.map((e) => e.configVersion).sort()).toEqual([0, 1]);
  });
});
