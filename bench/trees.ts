/**
 * Gradient-boosted trees benchmark: train (20% validation, early stopping), predict and explain
 * (TreeSHAP) on a seeded synthetic binary problem, or on a CSV (`label,f0,…`).
 *
 *   npx tsx bench/trees.ts [--rows N] [--cols C] [--csv FILE] [--write-csv FILE] [--shap-rows N]
 *                          [--rounds R] [--subsample S] [--colsample C] [--seed K]
 *
 * Split by position (the same in bench/trees-xgboost.py): rows [0, 0.64N) train,
 * [0.64N, 0.8N) validation, [0.8N, N) test.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { rocAuc } from '../src/domain/models/evaluate/metrics.js';
import type { FeatureMatrix } from '../src/domain/models/trees/feature-matrix.js';
import { trainGradientBoosting } from '../src/domain/models/trees/gbdt.js';
import { featureImportance, predict } from '../src/domain/models/trees/model.js';
import { TreeShapExplainer } from '../src/domain/models/trees/tree-shap.js';
import { createRandom } from '../src/domain/random.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '40' },
    csv: { type: 'string' },
    'write-csv': { type: 'string' },
    'shap-rows': { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '200' },
    subsample: { type: 'string', default: '1' },
    colsample: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
  },
});

interface Dataset {
  readonly x: FeatureMatrix;
  readonly y: Float64Array;
}

/**
 * A nonlinear binary problem: logit = interactions, thresholds, a sine and a quadratic of the
 * first 10 features, the rest noise; every 7th feature has 5% NaN (missing means "low").
 */
function synthesise(rows: number, cols: number, seed: number): Dataset {
  if (cols < 10) throw new Error('--cols must be at least 10');
  const r = createRandom(seed);
  const values = new Float32Array(rows * cols);
  const y = new Float64Array(rows);
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) row[j] = j % 3 === 2 ? r.next() * 4 - 2 : r.normal();
    const logit =
      -0.8 +
      0.9 * row[0]! +
      1.2 * Math.sin(1.5 * row[1]!) +
      0.8 * row[2]! * row[3]! +
      (row[4]! > 0.5 ? 1 : -0.3) +
      0.4 * (row[5]! * row[5]! - 1) +
      (row[6]! > 0 && row[7]! > 0 ? 0.9 : 0) -
      0.5 * Math.abs(row[8]!) +
      0.3 * row[9]! +
      r.normal(0, 0.5);
    y[i] = r.chance(1 / (1 + Math.exp(-logit))) ? 1 : 0;
    for (let j = 0; j < cols; j++) values[i * cols + j] = j % 7 === 0 && r.chance(0.05) ? NaN : row[j]!;
  }
  return { x: { values, rows, cols, featureNames: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

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

const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(2);

const seed = Number(args.seed);
let t0 = performance.now();
const data =
  args.csv !== undefined ? readCsv(args.csv) : synthesise(Number(args.rows), Number(args.cols), seed);
const loadSeconds = seconds(t0);
if (args['write-csv'] !== undefined) writeCsv(args['write-csv'], data);

const n = data.x.rows;
const trainEnd = Math.floor(0.64 * n);
const validEnd = Math.floor(0.8 * n);
const train = slice(data, 0, trainEnd);
const valid = slice(data, trainEnd, validEnd);
const test = slice(data, validEnd, n);

t0 = performance.now();
const result = trainGradientBoosting(train.x, train.y, {
  objective: 'logloss',
  rounds: Number(args.rounds),
  learningRate: 0.1,
  maxDepth: 6,
  lambda: 1,
  minChildWeight: 1,
  maxBins: 255,
  subsample: Number(args.subsample),
  colsampleByTree: Number(args.colsample),
  validation: { data: valid.x, labels: valid.y },
  earlyStoppingRounds: 20,
  seed,
});
const trainSeconds = seconds(t0);

t0 = performance.now();
const p = predict(result.model, test.x);
const predictSeconds = seconds(t0);
const auc = rocAuc(test.y, p);

const shapRows = Math.min(Number(args['shap-rows']), test.x.rows);
t0 = performance.now();
const explainer = new TreeShapExplainer(result.model);
const phi = new Float64Array(test.x.cols);
for (let i = 0; i < shapRows; i++) {
  phi.fill(0);
  explainer.explainRow(test.x.values, i * test.x.cols, phi);
}
const shapSeconds = seconds(t0);

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(
  `data: ${args.csv ?? 'synthetic'} ${n} rows × ${data.x.cols} features; trees kept ${result.bestRounds}` +
    ` of ${result.validationLoss.length} (early stop: ${result.stoppedEarly}); best validation logloss ` +
    `${Math.min(...result.validationLoss).toFixed(5)}`,
);
console.log(
  `top features by gain: ${featureImportance(result.model)
    .slice(0, 8)
    .map((f) => f.feature)
    .join(', ')}\n`,
);
console.log('| step | rows | seconds | test AUC |');
console.log('|---|---:|---:|---:|');
console.log(`| ${args.csv !== undefined ? 'read CSV' : 'generate data'} | ${n} | ${loadSeconds} | |`);
console.log(
  `| train (validation + early stopping) | ${train.x.rows} | ${trainSeconds} | ${auc.toFixed(5)} |`,
);
console.log(`| predict | ${test.x.rows} | ${predictSeconds} | |`);
console.log(`| TreeSHAP | ${shapRows} | ${shapSeconds} | |`);
