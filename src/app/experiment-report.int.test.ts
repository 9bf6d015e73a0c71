import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { assignVariant, CONTROL } from '../domain/experiments/assignment.js';
import { createRandom } from '../domain/random.js';
import { createApiKey } from './api-keys.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { eventStore } from '../store/event-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { createApp } from '../server/app.js';
import { experimentReport, refreshBanditArms } from './experiment-report.js';
import { banditPosteriors, defineExperiment, recordExposure } from './experiments.js';
import { ingestBatch } from './ingest-events.js';

const EXPOSED = '2026-01-05T09:00:00.000Z';
const NOW = new Date('2026-03-01T00:00:00.000Z');
const N = 1000;
const day = (d: number) => new Date(Date.parse(EXPOSED) + d * 86_400_000).toISOString();

/**
 * A store where the treatment truly lifts the purchase rate from 15 % to 30 % (exp_lift) and a
 * second, useless action leaves it at 20 % in both arms (exp_useless). Orders before the exposure
 * or after the window must not count.
 */
async function seed(t: TestDatabase): Promise<void> {
  const random = createRandom(2026);
  const events: unknown[] = [];
  for (let i = 0; i < N; i++)
    events.push({
      type: 'identify',
      userId: `r${i}`,
      messageId: `rid-${i}`,
      timestamp: day(-60),
      traits: { email: `r${i}@x.io` },
    });
  for (let i = 0; i < N; i++)
    events.push({
      type: 'identify',
      userId: `k${i}`,
      messageId: `kid-${i}`,
      timestamp: day(-60),
      traits: { email: `k${i}@x.io` },
    });
  await ingestBatch(eventStore(t.store), events, {
    currency: { baseCurrency: 'USD', rates: {} },
    receivedAt: day(-60),
  });
  // Patron ids are random; arms and outcomes follow the userId order and hash, so the store (and
  // this test's verdict) is the same on every run.
  const everyone = (await t.store.db.selectFrom('customers').select(['id', 'user_id']).execute()).sort(
    (a, b) => Number(a.user_id?.slice(1)) - Number(b.user_id?.slice(1)),
  );
  const customers = everyone.filter((c) => c.user_id?.startsWith('r'));
  const keepers = everyone.filter((c) => c.user_id?.startsWith('k'));
  const lift = await defineExperiment(
    t.store.db,
    {
      id: 'exp_lift',
      name: 'Win-back',
      kind: 'holdout',
      holdout: 0.3,
      windowDays: 30,
      costPerTreatedMinor: 50,
      margin: 0.4,
    },
    NOW,
  );
  const useless = await defineExperiment(
    t.store.db,
    { id: 'exp_useless', name: 'Useless', kind: 'holdout', holdout: 0.3, windowDays: 30 },
    NOW,
  );
  // A churn save (exp_retain, on customers k…): everyone buys once more early in the window, as
  // at-risk customers do; then control customers stop (10 % buy again in the window's second half)
  // while treated customers keep buying (40 %). Bought-at-all is 100 % in both arms; only
  // retention shows the 30-point effect.
  const retain = await defineExperiment(
    t.store.db,
    { id: 'exp_retain', name: 'Churn save', kind: 'holdout', holdout: 0.5, windowDays: 30, retainedDays: 12 },
    NOW,
  );
  const orders: unknown[] = [];
  let k = 0;
  const order = (userId: string, at: string, total: number, coupon?: string) =>
    orders.push({
      type: 'track',
      event: 'Order Completed',
      userId,
      messageId: `ro-${k++}`,
      timestamp: at,
      properties: { order_id: `ro${k}`, total, currency: 'USD', ...(coupon ? { coupon } : {}) },
    });
  const exposures: Array<{
    experiment_id: string;
    customer_id: string;
    variant: string;
    exposed_at: string;
    at_risk: number;
    message_id: null;
  }> = [];
  for (const c of customers) {
    const u = c.user_id as string;
    for (const e of [lift, useless]) {
      const arm = assignVariant(
        { salt: e.id, holdout: e.holdout, variants: e.variants },
        c.user_id as string,
      );
      const atRisk = random.chance(0.5) ? 1 : 0;
      exposures.push({
        experiment_id: e.id,
        customer_id: c.id,
        variant: arm,
        exposed_at: EXPOSED,
        at_risk: atRisk,
        message_id: null,
      });
    }
    const armLift = assignVariant(
      { salt: 'exp_lift', holdout: 0.3, variants: lift.variants },
      c.user_id as string,
    );
    const p = armLift === CONTROL ? 0.15 : 0.3;
    if (random.chance(p)) order(u, day(1 + random.int(28)), 40, armLift === CONTROL ? undefined : 'BACK20');
    else if (random.chance(0.2)) order(u, day(31 + random.int(10)), 40); // after the window: ignored
  }
  for (const c of keepers) {
    const arm = assignVariant(
      { salt: retain.id, holdout: retain.holdout, variants: retain.variants },
      c.user_id as string,
    );
    exposures.push({
      experiment_id: retain.id,
      customer_id: c.id,
      variant: arm,
      exposed_at: EXPOSED,
      at_risk: 1,
      message_id: null,
    });
    const u = c.user_id as string;
    order(u, day(1 + random.int(10)), 30);
    if (random.chance(arm === CONTROL ? 0.1 : 0.4)) order(u, day(19 + random.int(10)), 30);
  }
  for (let i = 0; i < exposures.length; i += 200)
    await t.store.db
      .insertInto('experiment_exposures')
      .values(exposures.slice(i, i + 200))
      .execute();
  // A fresh exposure whose window is still open: pending.
  await recordExposure(t.store.db, {
    experimentId: 'exp_lift',
    customerId: 'cus_late',
    variant: 'treatment',
    at: '2026-02-20T00:00:00Z',
  });
  for (let i = 0; i < orders.length; i += 500) {
    const r = await ingestBatch(eventStore(t.store), orders.slice(i, i + 500), {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: NOW.toISOString(),
    });
    expect(r.ok).toBe(true);
  }
  void useless;
}

describe.each(DATABASES)('experiment reports on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    await seed(t);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('finds the lift the store was built with, inside its confidence interval, and calls it significant', async () => {
    const v = (await experimentReport(t.store.db, 'exp_lift', NOW))!;
    expect(v.exposures).toEqual({ total: N + 1, mature: N, pending: 1 });
    const c = v.report.comparisons[0]!;
    expect(c.variant).toBe('treatment');
    expect(c.purchaseUplift.lower).toBeLessThan(0.15);
    expect(c.purchaseUplift.upper).toBeGreaterThan(0.15);
    expect(c.purchaseUplift.significant).toBe(true);
    const control = v.report.arms.find((a) => a.variant === CONTROL)!;
    expect(control.purchaseRate.lower).toBeLessThan(0.15);
    expect(control.purchaseRate.upper).toBeGreaterThan(0.15);
    // Revenue: every purchase is one $40 order, so revenue per customer = 4000 × rate.
    const treated = v.report.arms.find((a) => a.variant === 'treatment')!;
    expect(treated.revenuePerCustomerMinor).toBeCloseTo(4000 * treated.purchaseRate.estimate, 6);
    expect(c.incrementalRevenueMinor.estimate).toBeCloseTo(
      c.revenuePerCustomerMinor.estimate * treated.customers,
      3,
    );
    expect(treated.redemptionRate.estimate).toBeCloseTo(treated.purchaseRate.estimate, 12);
    expect(control.redemptionRate.count).toBe(0);
    expect(c.retentionRoi!.estimate).toBeCloseTo(
      (c.incrementalRevenueMinor.estimate * 0.4 - 50 * treated.customers) / (50 * treated.customers),
      9,
    );
    // Save rate = at-risk customers retained (an order in the window's second half, days 15–30):
    // half of the 30 % / 15 % buyers order then, so the true save-rate lift is 15 % − 7.5 %.
    expect(c.saveRateUplift!.lower).toBeLessThan(0.075);
    expect(c.saveRateUplift!.upper).toBeGreaterThan(0.075);
    expect(v.power.detectableLiftNow).toBeGreaterThan(0);
    expect(v.power.detectableLiftNow).toBeLessThan(0.15);
  });

  it('sees a save in retention, where bought-at-all in the window cannot', async () => {
    const v = (await experimentReport(t.store.db, 'exp_retain', NOW))!;
    const c = v.report.comparisons[0]!;
    for (const arm of v.report.arms) expect(arm.purchaseRate.estimate).toBe(1);
    expect(c.purchaseUplift.significant).toBe(false);
    expect(c.retentionUplift.significant).toBe(true);
    expect(c.retentionUplift.lower).toBeLessThan(0.3);
    expect(c.retentionUplift.upper).toBeGreaterThan(0.3);
    // Everyone was at risk here, so the save rate is the retention rate.
    expect(c.saveRateUplift?.estimate).toBeCloseTo(c.retentionUplift.estimate, 12);
    const control = v.report.arms.find((a) => a.variant === CONTROL)!;
    expect(control.retentionRate.lower).toBeLessThan(0.1);
    expect(control.retentionRate.upper).toBeGreaterThan(0.1);
  });

  it('refuses a retention period longer than the window', async () => {
    await expect(
      defineExperiment(
        t.store.db,
        { id: 'exp_bad', name: 'Bad', kind: 'holdout', holdout: 0.5, windowDays: 30, retainedDays: 31 },
        NOW,
      ),
    ).rejects.toThrow(/retainedDays: must be at most windowDays \(30\)/);
  });

  it('shows no significant effect for the action that changes nothing', async () => {
    const v = (await experimentReport(t.store.db, 'exp_useless', NOW))!;
    const c = v.report.comparisons[0]!;
    expect(c.purchaseUplift.lower).toBeLessThan(0);
    expect(c.purchaseUplift.upper).toBeGreaterThan(0);
    expect(c.purchaseUplift.significant).toBe(false);
  });

  it('learns bandit posteriors from the attributed outcomes', async () => {
    await defineExperiment(
      t.store.db,
      {
        id: 'exp_bandit',
        name: 'Offers',
        kind: 'bandit',
        holdout: 0,
        variants: [{ name: 'a' }, { name: 'b' }],
        windowDays: 30,
      },
      NOW,
    );
    const lift = await t.store.db
      .selectFrom('experiment_exposures')
      .selectAll()
      .where('experiment_id', '=', 'exp_lift')
      .where('customer_id', '!=', 'cus_late')
      .execute();
    for (const e of lift)
      await recordExposure(t.store.db, {
        experimentId: 'exp_bandit',
        customerId: e.customer_id,
        variant: e.variant === CONTROL ? 'a' : 'b',
        at: e.exposed_at,
      });
    await refreshBanditArms(t.store.db, 'exp_bandit', NOW);
    const posts = await banditPosteriors(t.store.db, 'exp_bandit');
    const rate = (arm: string) => {
      const p = posts.find((x) => x.arm === arm)!;
      return p.successes / p.pulls;
    };
    expect(rate('b')).toBeGreaterThan(rate('a'));
    const v = (await experimentReport(t.store.db, 'exp_bandit', NOW))!;
    expect(v.bandit?.find((b) => b.arm === 'b')?.probabilityBest).toBeGreaterThan(0.99);
  });

  it('serves the report over HTTP with the read scope, and 404 for an unknown experiment', async () => {
    const keys = apiKeyStore(t.store);
    const read = (await createApiKey(keys, { name: 'dash', scopes: ['read'], now: NOW.toISOString() }))
      .secret;
    const app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => NOW,
      maxBodyBytes: 10_000,
      log: () => {},
    });
    const ok = await app.request('/v1/experiments/exp_lift', {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as {
      report: { comparisons: Array<{ purchaseUplift: { significant: boolean } }> };
    };
    expect(body.report.comparisons[0]?.purchaseUplift.significant).toBe(true);
    expect(
      (await app.request('/v1/experiments/exp_nope', { headers: { authorization: `Bearer ${read}` } }))
        .status,
    ).toBe(404);
    expect((await app.request('/v1/experiments/exp_lift')).status).toBe(401);
    const bad = await app.request('/v1/experiments/exp_lift?targetLift=7', {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(bad.status).toBe(400);
  });
});
