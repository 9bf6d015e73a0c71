import { describe, expect, it } from 'vitest';
import { CHURN_FEATURES, historyAsOf } from '../../features/churn/features.js';
import { emptyHistory } from '../../features/churn/history.js';
import { createRandom } from '../../random.js';
import type { FeatureMatrix } from '../trees/feature-matrix.js';
import {
  churnMetrics,
  churnModelFromJSON,
  churnModelToJSON,
  explainChurn,
  featureDrift,
  predictChurn,
  scoreWithReasons,
  trainChurnModel,
} from './model.js';

const names = CHURN_FEATURES.map((f) => f.name);
const col = (name: string): number => names.indexOf(name);

/** Rows where churn depends on recency, unresolved tickets and discount share; the rest is noise. */
function synthetic(n: number, seed: number): { data: FeatureMatrix; labels: Float64Array } {
  const rng = createRandom(seed);
  const p = names.length;
  const values = new Float64Array(n * p);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) values[i * p + j] = rng.next();
    const recency = rng.next() * 200;
    const tickets = rng.chance(0.2) ? 1 + rng.int(3) : 0;
    values[i * p + col('recencyDays')] = recency;
    values[i * p + col('unresolvedTickets')] = tickets;
    const z = -2 + recency / 50 + 1.5 * tickets + 2 * values[i * p + col('discountOrderShare')]!;
    labels[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { data: { values, rows: n, cols: p, featureNames: names }, labels };
}

describe('the churn model', () => {
  const train = synthetic(3000, 1);
  const test = synthetic(1500, 2);
  const trained = trainChurnModel(train.data, train.labels, {
    windowDays: 90,
    seed: 3,
    boosting: { rounds: 60 },
  });

  it('ranks held-out churners above stayers and beats chance clearly', () => {
    const m = churnMetrics(trained.model, test.data, test.labels);
    // The generating logit gives an oracle AUC around 0.85; require most of it.
    expect(m.auc).toBeGreaterThan(0.78);
    expect(m.baselineAuc).toBeGreaterThan(0.78);
    expect(m.calibration.length).toBe(10);
  });

  it('gives probabilities in [0, 1] whose mean is close to the churn rate (calibrated)', () => {
    const p = predictChurn(trained.model, test.data);
    for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
    const meanP = p.reduce((s, v) => s + v, 0) / p.length;
    const rate = test.labels.reduce((s, v) => s + v, 0) / test.labels.length;
    expect(Math.abs(meanP - rate)).toBeLessThan(0.03);
  });

  it('survives a round trip through JSON with the same predictions', () => {
    const back = churnModelFromJSON(JSON.parse(JSON.stringify(churnModelToJSON(trained.model))));
    expect(Array.from(predictChurn(back, test.data))).toEqual(
      Array.from(predictChurn(trained.model, test.data)),
    );
  });

  it('is deterministic for a seed', () => {
    const again = trainChurnModel(train.data, train.labels, {
      windowDays: 90,
      seed: 3,
      boosting: { rounds: 60 },
    });
    expect(Array.from(predictChurn(again.model, test.data))).toEqual(
      Array.from(predictChurn(trained.model, test.data)),
    );
  });

  it('names service as the driver when unresolved tickets push the risk up most', () => {
    const view = historyAsOf(emptyHistory('c'), 0);
    const phi = new Float64Array(names.length);
    phi[col('recencyDays')] = 0.9; // says how much risk, not why
    phi[col('unresolvedTickets')] = 0.5;
    phi[col('discountOrderShare')] = 0.2;
    phi[col('emailOpenTrend')] = -0.4;
    const values = new Float64Array(names.length).fill(NaN);
    values[col('unresolvedTickets')] = 2;
    values[col('recencyDays')] = 40;
    values[col('discountOrderShare')] = 0.5;
    const e = explainChurn(names, values, phi, view);
    expect(e.driver).toBe('service');
    expect(e.reasons.map((r) => r.text)).toEqual([
      'no order for 40 days',
      '2 unresolved tickets',
      expect.any(String),
    ]);
  });

  it('gives each scored row reasons whose contributions raise the risk', () => {
    const views = Array.from({ length: 20 }, () => historyAsOf(emptyHistory('c'), 0));
    const rows: FeatureMatrix = {
      ...test.data,
      rows: 20,
      values: test.data.values.subarray(0, 20 * names.length),
    };
    for (const s of scoreWithReasons(trained.model, rows, views)) {
      for (const r of s.reasons) expect(r.contribution).toBeGreaterThan(0);
      expect(s.reasons.length).toBeLessThanOrEqual(3);
    }
  });

  it('measures no drift on the training distribution and a major one on a shifted feature', () => {
    const same = featureDrift(trained.model, synthetic(2000, 9).data);
    expect(Math.max(...same.map((d) => d.psi))).toBeLessThan(0.1);
    const shifted = synthetic(2000, 9).data;
    for (let i = 0; i < shifted.rows; i++) shifted.values[i * shifted.cols + col('recencyDays')]! += 150;
    const d = featureDrift(trained.model, shifted).find((x) => x.feature === 'recencyDays')!;
    expect(d.level).toBe('major');
  });
});
