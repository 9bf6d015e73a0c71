/**
 * Gradient-boosted trees benchmark: train (20% validation, early stopping), predict and explain
 * (TreeSHAP) on a seeded synthetic binary problem, or on a CSV (`label,f0,…`).
 *
 *   npx tsx bench/trees.ts [--rows N] [--cols C] [--csv FILE] [--write-csv FILE] [--shap-rows N]
 *                          [--rounds R] [--subsample S] [--colsample C] [--goss TOP,OTHER] [--quantized]
 *                          [--seed K] [--threads T]
 *
 * `--threads` (default: the machine's cores, at most 8) builds histograms and explains rows on
 * that many threads (src/app/histogram-workers.ts, src/app/tree-shap-workers.ts); the models and
 * contributions are bit-identical to `--threads 1`.
 *
 * With `--shap-rows` > 0 it also trains the churn model's settings and times, on those rows, Fast
 * TreeSHAP alone and scoring with reasons as `patron churn score` does it (probability, TreeSHAP,
 * top-3 reasons in plain words, driver: src/app/churn.ts `scoreCustomersWithReasons`).
 *
 * Split by position (the same in bench/trees-xgboost.py): rows [0, 0.64N) train,
 * [0.64N, 0.8N) validation, [0.8N, N) test.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { rocAuc } from '../src/domain/models/evaluate/metrics.js';
import type { FeatureMatrix } from '../src/domain/models/trees/feature-matrix.js';
import { trainGradientBoosting } from '../src/domain/models/trees/gbdt.js';
import { featureImportance, predict } from '../src/domain/models/trees/model.js';
import { CHURN_BOOSTING, sizedBoosting, type ChurnModel } from '../src/domain/models/churn/model.js';
import { fitIsotonic } from '../src/domain/models/calibration/isotonic.js';
import { fitLogisticRegression } from '../src/domain/models/linear/logistic-regression.js';
import { CHURN_FEATURE_NAMES, historyAsOf } from '../src/domain/features/churn/features.js';
import { emptyHistory } from '../src/domain/features/churn/history.js';
import { predictRaw } from '../src/domain/models/trees/model.js';
import { churnScorePages, scoreCustomersWithReasons } from '../src/app/churn.js';
import { churnStore } from '../src/store/churn-repository.js';
import { openStore } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { FastTreeShapExplainer } from '../src/domain/models/trees/fast-tree-shap.js';
import { treeDepth } from '../src/domain/models/trees/tree.js';
import { TreeShapExplainer } from '../src/domain/models/trees/tree-shap.js';
import { startHistogramWorkers } from '../src/app/histogram-workers.js';
import { defaultThreads, explainInWorkers } from '../src/app/tree-shap-workers.js';
import { machineLine, synthesise, type Dataset } from './support/tree-problem.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '40' },
    csv: { type: 'string' },
    'write-csv': { type: 'string' },
    'shap-rows': { type: 'string', default: '1000000' },
    'exact-shap-rows': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '200' },
    subsample: { type: 'string', default: '1' },
    colsample: { type: 'string', default: '1' },
    goss: { type: 'string' },
    quantized: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    threads: { type: 'string', default: String(defaultThreads()) },
  },
});

function readCsv(path: string): Dataset {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const cols = header.length - 1;
  const rows = lines.length - 1;
  const values = new Float32Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1]!.split(',');
    y[i] = Number(cells[0]);
    for (let j = 0; j < cols; j++) {
      const c = cells[j + 1]!;
      values[i * cols + j] = c === '' ? NaN : Number(c);
    }
  }
  return { x: { values, rows, cols, featureNames: header.slice(1) }, y };
}

function writeCsv(path: string, d: Dataset): void {
  const { values, rows, cols, featureNames } = d.x;
  const fd = openSync(path, 'w');
  writeSync(fd, `label,${featureNames.join(',')}\n`);
  const chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const cells = [String(d.y[i])];
    for (let j = 0; j < cols; j++) {
      const v = values[i * cols + j]!;
      // 9 significant digits round-trip a float32 exactly.
      cells.push(v !== v ? '' : String(Number(v.toPrecision(9))));
    }
    chunk.push(cells.join(','));
    if (chunk.length === 10_000 || i === rows - 1) {
      writeSync(fd, chunk.join('\n') + '\n');
      chunk.length = 0;
    }
  }
  closeSync(fd);
}

function slice(d: Dataset, from: number, to: number): Dataset {
  const { cols } = d.x;
  return {
    x: {
      values: d.x.values.subarray(from * cols, to * cols),
      rows: to - from,
      cols,
      featureNames: d.x.featureNames,
    },
    y: d.y.subarray(from, to),
  };
}

function gossRates(s: string): { topRate: number; otherRate: number } {
  const [a, b] = s.split(',').map(Number);
  if (!(a! > 0 && b! > 0)) throw new Error('--goss TOP,OTHER, e.g. 0.2,0.1');
  return { topRate: a!, otherRate: b! };
}

/** Wall-clock and CPU seconds of a step (the CPU time shows how much of the wall time was ours). */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const t = performance.now();
  const c = process.cpuUsage();
  const value = fn();
  const u = process.cpuUsage(c);
  return { value, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

/** The same for an asynchronous step (CPU seconds of every thread of the process). */
async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const t = performance.now();
  const c = process.cpuUsage();
  const value = await fn();
  const u = process.cpuUsage(c);
  return { value, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

const seed = Number(args.seed);
const threads = Number(args.threads);
const histograms = threads > 1 ? startHistogramWorkers(threads) : undefined;
const parallel = histograms !== undefined ? { histogramBuilder: histograms } : {};
const load = timed(() =>
  args.csv !== undefined ? readCsv(args.csv) : synthesise(Number(args.rows), Number(args.cols), seed),
);
const data = load.value;
if (args['write-csv'] !== undefined) writeCsv(args['write-csv'], data);

const n = data.x.rows;
const trainEnd = Math.floor(0.64 * n);
const validEnd = Math.floor(0.8 * n);
const train = slice(data, 0, trainEnd);
const valid = slice(data, trainEnd, validEnd);
const test = slice(data, validEnd, n);

const fit = timed(() =>
  trainGradientBoosting(train.x, train.y, {
    objective: 'logloss',
    rounds: Number(args.rounds),
    learningRate: 0.1,
    maxDepth: 6,
    lambda: 1,
    minChildWeight: 1,
    maxBins: 255,
    subsample: Number(args.subsample),
    colsampleByTree: Number(args.colsample),
    ...(args.goss !== undefined ? { goss: gossRates(args.goss) } : {}),
    quantizedGradients: args.quantized,
    validation: { data: valid.x, labels: valid.y },
    earlyStoppingRounds: 20,
    seed,
    ...parallel,
  }),
);
const result = fit.value;
const auc = rocAuc(test.y, predict(result.model, test.x));
const predictAll = timed(() => predict(result.model, data.x));

const rows: string[][] = [
  [
    args.csv !== undefined ? 'read CSV' : 'generate data',
    String(n),
    '',
    load.wall.toFixed(2),
    load.cpu.toFixed(2),
    '',
  ],
  [
    `train (${result.bestRounds} trees kept of ${result.validationLoss.length}, depth 6${args.goss !== undefined ? `, GOSS ${args.goss}` : ''}${args.quantized ? ', quantised gradients' : ''}, validation + early stopping)`,
    String(train.x.rows),
    '',
    fit.wall.toFixed(2),
    fit.cpu.toFixed(2),
    auc.toFixed(5),
  ],
  [
    'predict (all rows)',
    String(n),
    String(result.bestRounds),
    predictAll.wall.toFixed(2),
    predictAll.cpu.toFixed(2),
    '',
  ],
];

const shapRows = Math.min(Number(args['shap-rows']), n);
if (shapRows > 0) {
  // The churn model's settings (src/domain/models/churn/model.ts) on the same rows: depth 4,
  // η 0.1, 80% rows and columns, 64 bins, up to 200 trees with patience 15.
  const churnFit = timed(() =>
    trainGradientBoosting(train.x, train.y, {
      ...CHURN_BOOSTING,
      ...sizedBoosting(train.x.rows),
      seed,
      validation: { data: valid.x, labels: valid.y },
      ...parallel,
    }),
  );
  const churnModel = churnFit.value.model;
  const depth = Math.max(...churnModel.trees.map(treeDepth));
  const churnAuc = rocAuc(test.y, predict(churnModel, test.x));
  rows.push([
    `train, churn settings (${churnModel.trees.length} trees, depth ${depth})`,
    String(train.x.rows),
    '',
    churnFit.wall.toFixed(2),
    churnFit.cpu.toFixed(2),
    churnAuc.toFixed(5),
  ]);
  const { cols, values } = data.x;
  const shapData: FeatureMatrix = { ...data.x, values: values.subarray(0, shapRows * cols), rows: shapRows };
  const fast = await timedAsync(async () => {
    const { contributions } = await explainInWorkers(churnModel, shapData, { threads });
    let checksum = 0;
    for (let i = 0; i < shapRows; i++) checksum += contributions[i * cols]!;
    return checksum;
  });
  rows.push([
    `Fast TreeSHAP only, churn model (tables built + every row, ${threads} threads)`,
    String(shapRows),
    String(churnModel.trees.length),
    fast.wall.toFixed(2),
    fast.cpu.toFixed(2),
    '',
  ]);
  // Scoring as `patron churn score` does it (src/app/churn.ts `scoreCustomersWithReasons`):
  // calibrated probability, TreeSHAP, the top 3 reasons in plain words and the driver of every
  // row. The columns are named after the churn features (the 34 of CHURN_FEATURES, then f34…,
  // which are never a reason); every row's history is one empty customer's (the views are built
  // before scoring in the product, and not timed here). Calibration: isotonic on the validation
  // rows' margins.
  const churnNames = Array.from({ length: cols }, (_, j) => CHURN_FEATURE_NAMES[j] ?? `f${j}`);
  const namedTrees = { ...churnModel, featureNames: churnNames };
  const scoringModel: ChurnModel = {
    featureNames: churnNames,
    windowDays: 90,
    trees: namedTrees,
    calibration: fitIsotonic(predictRaw(churnModel, valid.x), valid.y),
    baseline: fitLogisticRegression(
      { ...train.x, featureNames: churnNames, rows: 2000, values: train.x.values.subarray(0, 2000 * cols) },
      train.y.subarray(0, 2000),
      { l2: 1 },
    ),
    reference: [],
  };
  const view = historyAsOf(emptyHistory('bench'), Date.UTC(2026, 0, 1));
  const views = new Array<typeof view>(shapRows).fill(view);
  // Each row's score (probability, reason objects with their words, driver) handed to a consumer
  // in row order: once one that only counts the reasons; once as `patron churn score` stores it
  // (`churnScorePages`: rows with the reasons as JSON text, pages of 2,048 handed on and let go);
  // once with those pages written to a fresh SQLite file by the store (`churnStore.replaceScores`,
  // one transaction, while scoring goes on).
  const scoringData: FeatureMatrix = { ...shapData, featureNames: churnNames };
  const customerIds = Array.from({ length: shapRows }, (_, i) => `cus_${String(i).padStart(7, '0')}`);
  const stamp = { modelVersion: 'chm_bench', scoredAt: new Date().toISOString(), asOf: '2025-12-31' };
  for (const how of ['handed on', 'as stored, pages let go', 'as stored, written to SQLite'] as const) {
    const dir = how === 'as stored, written to SQLite' ? mkdtempSync(join(tmpdir(), 'patron-trees-')) : null;
    const store = dir ? openStore(`sqlite:${join(dir, 'patron.db')}`) : null;
    if (store) await migrateToLatest(store);
    const scored = await timedAsync(async () => {
      let reasons = 0;
      if (how === 'handed on') {
        await scoreCustomersWithReasons(
          scoringModel,
          scoringData,
          views,
          (_i, s) => {
            reasons += s.reasons.length;
          },
          { threads },
        );
        return reasons / shapRows;
      }
      const scoring = churnScorePages(
        scoringModel,
        { matrix: scoringData, views, customerIds },
        stamp,
        (s) => {
          reasons += s.reasons.length;
        },
        { threads },
      );
      if (store) await Promise.all([churnStore(store).replaceScores(scoring.pages), scoring.done]);
      else {
        let kept = 0;
        for await (const page of scoring.pages) kept += page.length;
        await scoring.done;
        if (kept !== shapRows) throw new Error(`${kept} rows stored of ${shapRows}`);
      }
      return reasons / shapRows;
    });
    if (store && dir) {
      const stored = await store.db
        .selectFrom('churn_scores')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(stored.n) !== shapRows) throw new Error(`${stored.n} rows in churn_scores of ${shapRows}`);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    rows.push([
      `score with reasons: probability + Fast TreeSHAP + top-3 reasons in words + driver (${scored.value.toFixed(2)} reasons/row, ${threads} threads), ${how}`,
      String(shapRows),
      String(churnModel.trees.length),
      scored.wall.toFixed(2),
      scored.cpu.toFixed(2),
      '',
    ]);
  }
  // Exact TreeSHAP on a slice, and the largest difference from the fast values there.
  const exactRows = Math.min(Number(args['exact-shap-rows']), shapRows);
  const fastEx = new FastTreeShapExplainer(churnModel);
  const exact = timed(() => {
    const ex = new TreeShapExplainer(churnModel);
    const a = new Float64Array(cols);
    const b = new Float64Array(cols);
    let worst = 0;
    for (let i = 0; i < exactRows; i++) {
      a.fill(0);
      b.fill(0);
      ex.explainRow(values, i * cols, a);
      fastEx.explainRow(values, i * cols, b);
      for (let j = 0; j < cols; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
    }
    return worst;
  });
  rows.push([
    `exact TreeSHAP, churn model (max |fast − exact| ${exact.value.toExponential(1)}; timed with the fast one)`,
    String(exactRows),
    String(churnModel.trees.length),
    exact.wall.toFixed(2),
    exact.cpu.toFixed(2),
    '',
  ]);
}

await histograms?.close();
console.log(machineLine());
console.log(
  `threads: ${threads}; data: ${args.csv ?? 'synthetic'} ${n} rows × ${data.x.cols} features; trees kept ${result.bestRounds}` +
    ` of ${result.validationLoss.length} (early stop: ${result.stoppedEarly}); best validation logloss ` +
    `${Math.min(...result.validationLoss).toFixed(5)}`,
);
console.log(
  `top features by gain: ${featureImportance(result.model)
    .slice(0, 8)
    .map((f) => f.feature)
    .join(', ')}\n`,
);
console.log('| step | rows | trees | seconds | CPU s | test AUC |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
