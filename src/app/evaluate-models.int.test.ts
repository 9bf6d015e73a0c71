/**
 * End to end on the textbook data: import the CDNOW 1/10 sample as orders, backtest with
 * calibration to 1997-09-30 and holdout to 1998-06-30 in weeks, and check the published fits
 * (Fader, Hardie & Lee 2005; Fader & Hardie on Pareto/NBD and Gamma–Gamma).
 *
 * Tolerances: ±1 unit in the last published digit (rounding alone is ±½), log-likelihood ±0.1,
 * as in src/domain/models/clv/cdnow.test.ts. Gamma–Gamma is fitted in the base currency's major
 * units (dollars; the database holds cents), which is the scale of the published γ.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { eventStore } from '../store/event-repository.js';
import { importRunStore } from '../store/import-run-repository.js';
import { orderHistoryStore } from '../store/order-history-repository.js';
import { clvScoreStore } from '../store/clv-score-repository.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { importFile } from './import-file.js';
import { evaluateModels, type EvaluationReport } from './evaluate-models.js';
import { scoreCustomers } from './score-customers.js';
import { sharedDataPath } from '../../test/support/shared-data.js';

const CDNOW = sharedDataPath('cdnow', 'CDNOW_sample.txt');
const DAY_MS = 86_400_000;

const within = (got: number, published: number, decimals: number) =>
  expect(Math.abs(got - published)).toBeLessThanOrEqual(10 ** -decimals + 1e-12);

/** Independent count of holdout repeat purchases: distinct (customer, day) in (1997-09-30, 1998-06-30]. */
function holdoutPurchaseDays(): number {
  const from = Date.UTC(1997, 8, 30) / DAY_MS;
  const to = Date.UTC(1998, 5, 30) / DAY_MS;
  const seen = new Set<string>();
  for (const line of readFileSync(CDNOW, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const d = f[2] as string;
    const day = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)) / DAY_MS;
    if (day > from && day <= to) seen.add(`${f[1]}:${day}`);
  }
  return seen.size;
}

describe.each(DATABASES)('CLV backtest and scoring on the CDNOW sample (%s)', (dialect) => {
  let t: TestDatabase;
  let report: EvaluationReport;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    await importFile({
      path: CDNOW,
      format: 'cdnow',
      events: eventStore(t.store),
      runs: importRunStore(t.store),
      currency: { baseCurrency: 'USD', rates: {} },
      now: () => new Date('2024-01-01T00:00:00Z'),
    });
    const r = await evaluateModels(orderHistoryStore(t.store), {
      calibrationEnd: '1997-09-30',
      holdoutEnd: '1998-06-30',
      timeUnit: 'week',
      currency: 'USD',
    });
    if (!r.ok) throw new Error(r.error.message);
    report = r.value;
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  it('summarises the calibration period as the papers do', () => {
    expect(report.calibration).toEqual({ customers: 2357, repeatCustomers: 946, repeatTransactions: 2457 });
  });

  it('fits the BG/NBD to r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4', () => {
    const { params, logLikelihood } = report.clv.bgnbd;
    within(params.r, 0.243, 3);
    within(params.alpha, 4.414, 3);
    within(params.a, 0.793, 3);
    within(params.b, 2.426, 3);
    expect(Math.abs(logLikelihood - -9582.4)).toBeLessThanOrEqual(0.1);
  });

  it('fits the Pareto/NBD to r 0.553, α 10.578, s 0.606, β 11.669, LL −9595.0', () => {
    const { params, logLikelihood } = report.clv.paretoNbd;
    within(params.r, 0.553, 3);
    within(params.alpha, 10.578, 3);
    within(params.s, 0.606, 3);
    within(params.beta, 11.669, 3);
    expect(Math.abs(logLikelihood - -9595.0)).toBeLessThanOrEqual(0.1);
  });

  it('fits the Gamma–Gamma in dollars to p 6.25, q 3.74, γ 15.44 on 946 repeat buyers', () => {
    const { params, customers } = report.clv.gammaGamma;
    expect(customers).toBe(946);
    within(params.p, 6.25, 2);
    within(params.q, 3.74, 2);
    within(params.gamma, 15.44, 2);
  });

  it('counts the holdout purchases and gives finite predictions for every model', () => {
    const h = report.holdout;
    expect(h.customers).toBe(2357);
    expect(h.actualRepeatPurchases).toBe(holdoutPurchaseDays());
    for (const figures of [h.predicted, h.mae, h.rmse, h.correlation]) {
      for (const v of Object.values(figures)) expect(Number.isFinite(v)).toBe(true);
    }
    // The probabilistic models forecast the aggregate within 15% (FHL 2005 report a close fit).
    expect(Math.abs(h.predicted.bgnbd / h.actualRepeatPurchases - 1)).toBeLessThan(0.15);
    expect(h.spend?.customers).toBeGreaterThan(0);
  });

  it('trains the learned CLV inside the calibration period and beats naive x/T on the holdout', () => {
    expect(report.learned.available).toBe(true);
    if (!report.learned.available) return;
    expect(report.learned.labelEnd).toBe('1997-09-30');
    expect(report.learned.trainingCutoff < '1997-09-30').toBe(true);
    const { mae, rmse } = report.holdout;
    expect(mae.learned).not.toBeNull();
    expect(mae.learned as number).toBeLessThan(mae.naive);
    expect(rmse.learned as number).toBeLessThan(rmse.naive);
  });

  it('refuses a holdout that ends before the calibration and a calibration before any order', async () => {
    const orders = orderHistoryStore(t.store);
    const backwards = await evaluateModels(orders, {
      calibrationEnd: '1998-01-01',
      holdoutEnd: '1997-06-30',
      currency: 'USD',
    });
    expect(backwards.ok ? null : backwards.error.type).toBe('InvalidDate');
    const early = await evaluateModels(orders, {
      calibrationEnd: '1990-01-01',
      holdoutEnd: '1991-01-01',
      currency: 'USD',
    });
    expect(early.ok ? null : early.error.type).toBe('InsufficientData');
    const bad = await evaluateModels(orders, {
      calibrationEnd: '1997-02-30',
      holdoutEnd: '1998-01-01',
      currency: 'USD',
    });
    expect(bad.ok ? null : bad.error.type).toBe('InvalidDate');
  });

  it('scores every customer, shows the predictions in the profile, and replaces them on re-scoring', async () => {
    const orders = orderHistoryStore(t.store);
    const scores = clvScoreStore(t.store);
    const first = await scoreCustomers(orders, scores, {
      scoredAt: '2024-01-01T00:00:00.000Z',
      currency: 'USD',
    });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.asOf).toBe('1998-06-30'); // the latest order, not the wall clock
    expect(first.value.customers).toBe(2357);
    const profile = await findCustomerProfile(t.store, 'cdnow_1', 'USD');
    const p = profile?.predictions;
    expect(p).toBeTruthy();
    if (!p) return;
    expect(p.probabilityAlive).toBeGreaterThanOrEqual(0);
    expect(p.probabilityAlive).toBeLessThanOrEqual(1);
    expect(p.expectedPurchases.days30).toBeLessThanOrEqual(p.expectedPurchases.days90);
    expect(p.expectedPurchases.days90).toBeLessThanOrEqual(p.expectedPurchases.days365);
    expect(Number.isInteger(p.clvMinor) && Number.isInteger(p.expectedOrderValueMinor)).toBe(true);

    const again = await scoreCustomers(orders, scores, {
      asOf: '1997-09-30',
      scoredAt: '2024-01-02T00:00:00.000Z',
      currency: 'USD',
    });
    if (!again.ok) throw new Error(again.error.message);
    const count = await t.store.db
      .selectFrom('clv_scores')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2357);
    const rescored = await findCustomerProfile(t.store, 'cdnow_1', 'USD');
    expect(rescored?.predictions?.asOf).toBe('1997-09-30');
    expect(rescored?.predictions?.scoredAt).toBe('2024-01-02T00:00:00.000Z');
  }, 30_000);
});
