import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHURN_DRIVERS, CHURN_FEATURES, historyAsOf } from '../../features/churn/features.js';
import { emptyHistory } from '../../features/churn/history.js';
import { createRandom } from '../../random.js';
import { explainAllFast } from '../trees/fast-tree-shap.js';
import type { FeatureMatrix } from '../trees/feature-matrix.js';
import {
  churnColumns,
  churnMetrics,
  churnModelFromJSON,
  churnModelToJSON,
  CHURN_BOOSTING,
  explainChurn,
  featureDrift,
  MIN_REASON_CONTRIBUTION,
  predictChurn,
  rankChurnContributions,
  scoreWithReasons,
  sizedBoosting,
  trainChurnModel,
} from './model.js';
import { trainGradientBoosting } from '../trees/gbdt.js';

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

describe('sizedBoosting', () => {
  it('grows stumps on small stores, depth 4 above 5,000 rows, and GOSS from 200,000', () => {
    expect(sizedBoosting(4999)).toEqual({ maxDepth: 2, minChildWeight: 50 });
    expect(sizedBoosting(199_999)).toEqual({ maxDepth: 4, minChildWeight: 50 });
    expect(sizedBoosting(1000)).toMatchObject({ minChildWeight: 10 });
    expect(sizedBoosting(200_000)).toEqual({
      maxDepth: 4,
      minChildWeight: 50,
      subsample: 1,
      goss: { topRate: 0.2, otherRate: 0.1 },
      quantizedGradients: true,
    });
  });

  it('gives the large-store settings the learner accepts (GOSS replaces the 80% row sample)', () => {
    const { data, labels } = synthetic(2000, 9);
    const options = { ...CHURN_BOOSTING, ...sizedBoosting(200_000), rounds: 15, seed: 1 };
    expect(trainGradientBoosting(data, labels, options).model.trees.length).toBe(15);
  });
});

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

  it('scores each row as predictChurn and explainChurn over its Fast TreeSHAP values do', () => {
    const views = Array.from({ length: test.data.rows }, () => historyAsOf(emptyHistory('c'), 0));
    const p = predictChurn(trained.model, test.data);
    const { contributions } = explainAllFast(trained.model.trees, test.data);
    const { cols, values } = test.data;
    scoreWithReasons(trained.model, test.data, views).forEach((s, i) => {
      const row = (a: Float32Array | Float64Array): Float32Array | Float64Array =>
        a.subarray(i * cols, (i + 1) * cols);
      expect(s).toEqual({
        probability: p[i],
        ...explainChurn(names, row(values), row(contributions), views[i]!),
      });
    });
  });

  it('ranks reasons as sorting every candidate would, ties by name (property)', () => {
    // The definition: every churn feature with a contribution ≥ the minimum, strongest first.
    const someNames = [...names.slice(0, 9), 'notAChurnFeature', names[20]!];
    const columns = churnColumns(someNames);
    const byName = new Map(CHURN_FEATURES.map((f) => [f.name, f]));
    const contribution = fc.oneof(
      fc.constantFrom(0, 0.005, MIN_REASON_CONTRIBUTION, 0.3, -0.2),
      fc.double({ min: -1, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.array(contribution, { minLength: 11, maxLength: 11 }),
        fc.integer({ min: 1, max: 4 }),
        (phi, top) => {
          const expected = someNames
            .map((name, j) => ({ name, j, c: phi[j]! }))
            .filter(({ name, c }) => byName.has(name) && c >= MIN_REASON_CONTRIBUTION)
            .sort((a, b) => b.c - a.c || (a.name < b.name ? -1 : 1))
            .slice(0, top)
            .map(({ j }) => j);
          const weights = CHURN_DRIVERS.map((d) =>
            someNames.reduce(
              (s, name, j) => (byName.get(name)?.driver === d && phi[j]! > 0 ? s + phi[j]! : s),
              0,
            ),
          );
          const reasons = new Int32Array(top + 1).fill(7);
          const w = new Float64Array(5);
          rankChurnContributions(columns, [9, ...phi], 1, top, reasons, 1, w, 1);
          expect(Array.from(reasons.subarray(1))).toEqual([
            ...expected,
            ...Array(top - expected.length).fill(-1),
          ]);
          expect(reasons[0]).toBe(7);
          expect(Array.from(w.subarray(1))).toEqual(weights);
        },
      ),
      { numRuns: 500 },
    );
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
