import { describe, expect, it } from 'vitest';
import { CHURN_FEATURE_NAMES, historyAsOf } from '../domain/features/churn/features.js';
import { emptyHistory } from '../domain/features/churn/history.js';
import { fitIsotonic } from '../domain/models/calibration/isotonic.js';
import { fitLogisticRegression } from '../domain/models/linear/logistic-regression.js';
import {
  allocateChurnRanking,
  CHURN_BOOSTING,
  churnColumns,
  rankChurnRows,
  scoreWithReasons,
  type ChurnModel,
  type ChurnScore,
} from '../domain/models/churn/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import { explainAllFast, FastTreeShapExplainer } from '../domain/models/trees/fast-tree-shap.js';
import { trainGradientBoosting, type BoostingOptions } from '../domain/models/trees/gbdt.js';
import { predictRaw, toJSON } from '../domain/models/trees/model.js';
import { explainAll } from '../domain/models/trees/tree-shap.js';
import { createRandom } from '../domain/random.js';
import { startHistogramWorkers } from './histogram-workers.js';
import { churnScorePages, scoreCustomersWithReasons, type ChurnScoreRow } from './churn.js';
import { explainInWorkers, rankChurnInWorkers } from './tree-shap-workers.js';

/** A nonlinear binary problem with missing values, 13 features (not a multiple of 4). */
function problem(rows: number, seed: number): { x: FeatureMatrix; y: Float64Array } {
  const r = createRandom(seed);
  const cols = 13;
  const values = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) values[i * cols + j] = j % 5 === 0 && r.chance(0.05) ? NaN : r.normal();
    const a = values[i * cols + 1]!;
    const b = values[i * cols + 2]!;
    y[i] = r.chance(1 / (1 + Math.exp(-(a * b + Math.sin(2 * a) + (b > 0.5 ? 1 : 0))))) ? 1 : 0;
  }
  return { x: { values, rows, cols, featureNames: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

describe('trees on worker threads', () => {
  const { x, y } = problem(12_000, 5);

  it('grows bit-identical models with the histograms built on 2 threads as on one', async () => {
    const pool = startHistogramWorkers(2);
    try {
      const settings: BoostingOptions[] = [
        { objective: 'logloss', rounds: 12, maxDepth: 5, seed: 1 },
        { objective: 'logloss', rounds: 12, maxDepth: 6, goss: { topRate: 0.2, otherRate: 0.1 }, seed: 2 },
        { ...CHURN_BOOSTING, rounds: 12, seed: 3 },
        {
          objective: 'logloss',
          rounds: 12,
          goss: { topRate: 0.2, otherRate: 0.1 },
          quantizedGradients: true,
          seed: 4,
        },
      ];
      for (const o of settings) {
        const one = trainGradientBoosting(x, y, o);
        const two = trainGradientBoosting(x, y, { ...o, histogramBuilder: pool });
        expect(two.model.trees.length).toBeGreaterThan(5);
        expect(toJSON(two.model)).toEqual(toJSON(one.model));
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('explains every row on 2 threads exactly as on one, and as exact TreeSHAP to 1e-9', async () => {
    const { model } = trainGradientBoosting(x, y, { ...CHURN_BOOSTING, rounds: 30, seed: 4 });
    const single = explainAllFast(model, x);
    const threaded = await explainInWorkers(model, x, { threads: 2, chunkRows: 1000 });
    expect(threaded.bias).toBe(single.bias);
    expect(Array.from(threaded.contributions)).toEqual(Array.from(single.contributions));
    const head: FeatureMatrix = { ...x, values: x.values.subarray(0, 300 * x.cols), rows: 300 };
    const exact = explainAll(model, head).contributions;
    for (let k = 0; k < exact.length; k++)
      expect(Math.abs(threaded.contributions[k]! - exact[k]!)).toBeLessThan(1e-9);
  }, 60_000);

  it('ranks churn reasons on 2 threads exactly as on one, handing every row on in order', async () => {
    const named: FeatureMatrix = { ...x, featureNames: CHURN_FEATURE_NAMES.slice(0, x.cols) };
    const { model } = trainGradientBoosting(named, y, { ...CHURN_BOOSTING, rounds: 30, seed: 6 });
    const one = allocateChurnRanking(x.rows, 3);
    rankChurnRows(
      new FastTreeShapExplainer(model),
      churnColumns(named.featureNames),
      named,
      0,
      x.rows,
      one,
      new Float64Array(x.rows * x.cols),
    );
    expect(Array.from(one.margins)).toEqual(Array.from(predictRaw(model, named)));
    const two = allocateChurnRanking(x.rows, 3, true);
    const handed: number[] = [];
    await rankChurnInWorkers(model, named, two, {
      threads: 2,
      chunkRows: 1000,
      onRows: (begin, end) => handed.push(begin, end),
    });
    expect(handed).toEqual(Array.from({ length: 12 }, (_, k) => [k * 1000, (k + 1) * 1000]).flat());
    for (const key of ['margins', 'reasons', 'contributions', 'weights'] as const)
      expect(Array.from(two[key])).toEqual(Array.from(one[key]));
    expect(one.reasons.some((j) => j >= 0)).toBe(true);

    const cal = predictRaw(model, named);
    const churnModel: ChurnModel = {
      featureNames: named.featureNames,
      windowDays: 90,
      trees: model,
      calibration: fitIsotonic(cal, y),
      baseline: fitLogisticRegression(named, y, { l2: 1 }),
      reference: [],
    };
    const views = Array.from({ length: x.rows }, () => historyAsOf(emptyHistory('c'), 0));
    const expected = scoreWithReasons(churnModel, named, views);
    for (const threads of [1, 2]) {
      const streamed: ChurnScore[] = [];
      await scoreCustomersWithReasons(churnModel, named, views, (i, s) => (streamed[i] = s), { threads });
      expect(streamed).toEqual(expected);
    }

    // As `patron churn score` stores them: full pages in row order, the last one partial.
    const customerIds = Array.from({ length: x.rows }, (_, i) => `cus_${i}`);
    const seen: number[] = [];
    const scoring = churnScorePages(
      churnModel,
      { matrix: named, views, customerIds },
      { modelVersion: 'chm_1', scoredAt: '2026-01-01T00:00:00.000Z', asOf: '2025-12-31' },
      (s) => seen.push(s.probability),
      { threads: 2 },
    );
    const pages: (readonly ChurnScoreRow[])[] = [];
    for await (const page of scoring.pages) pages.push(page);
    await scoring.done;
    expect(pages.map((p) => p.length)).toEqual([2048, 2048, 2048, 2048, 2048, 1760]);
    const rows = pages.flat();
    expect(rows.map((r) => r.customer_id)).toEqual(customerIds);
    expect(seen).toEqual(expected.map((e) => e.probability));
    rows.forEach((r, i) => {
      expect(r.probability).toBe(expected[i]!.probability);
      expect(r.driver).toBe(expected[i]!.driver);
      expect(r.reasons).toBe(JSON.stringify(expected[i]!.reasons));
      expect(r.last_seen_at).toBeNull();
      expect([r.model_version, r.as_of]).toEqual(['chm_1', '2025-12-31']);
    });
  }, 60_000);
});
