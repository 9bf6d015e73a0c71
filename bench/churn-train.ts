/**
 * Training the churn model as `patron churn train` does (src/domain/models/churn/model.ts
 * `trainChurnModel`): N customers × C features split 70/15/15 into rows that grow the trees, rows
 * that stop them early and rows that calibrate the probabilities, plus the logistic-regression
 * baseline; the histograms built on the machine's cores (src/app/histogram-workers.ts). The data
 * is bench/trees.ts's seeded synthetic problem; the AUC is on further rows no step saw.
 *
 *   npx tsx bench/churn-train.ts [--customers N] [--cols C] [--test-rows T] [--seed K]
 *                                [--threads T] [--compare]
 *
 * `--compare` also trains with the small-store row sample (80% of the rows per tree, exact
 * gradients) instead of the large-store GOSS + quantised gradients that `sizedBoosting` picks from
 * 200,000 fit rows.
 */
import { parseArgs } from 'node:util';
import { startHistogramWorkers } from '../src/app/histogram-workers.js';
import { defaultThreads } from '../src/app/tree-shap-workers.js';
import { predictChurn, trainChurnModel } from '../src/domain/models/churn/model.js';
import { rocAuc } from '../src/domain/models/evaluate/metrics.js';
import { predictProbability } from '../src/domain/models/linear/logistic-regression.js';
import type { BoostingOptions } from '../src/domain/models/trees/gbdt.js';
import { machineLine, synthesise } from './support/tree-problem.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '40' },
    'test-rows': { type: 'string', default: '200000' },
    seed: { type: 'string', default: '42' },
    threads: { type: 'string', default: String(defaultThreads()) },
    compare: { type: 'boolean', default: false },
  },
});
const customers = Number(args.customers);
const testRows = Number(args['test-rows']);
const seed = Number(args.seed);
const threads = Number(args.threads);
if (!(customers >= 100 && testRows >= 100))
  throw new Error('--customers and --test-rows must be at least 100');

const generated = performance.now();
const all = synthesise(customers + testRows, Number(args.cols), seed);
const generateSeconds = (performance.now() - generated) / 1000;
const { cols, featureNames } = all.x;
const train = { values: all.x.values.subarray(0, customers * cols), rows: customers, cols, featureNames };
const test = { values: all.x.values.subarray(customers * cols), rows: testRows, cols, featureNames };
const trainLabels = all.y.subarray(0, customers);
const testLabels = all.y.subarray(customers);

const histograms = threads > 1 ? startHistogramWorkers(threads) : undefined;
const variants: { name: string; boosting: Partial<BoostingOptions> }[] = [
  { name: 'churn settings as `sizedBoosting` picks them', boosting: {} },
];
if (args.compare)
  variants.push({
    name: '80% row sample, exact gradients',
    boosting: { subsample: 0.8, goss: undefined, quantizedGradients: false },
  });

const table: string[][] = [];
for (const v of variants) {
  const t = performance.now();
  const c = process.cpuUsage();
  const trained = trainChurnModel(train, trainLabels, {
    windowDays: 90,
    seed,
    boosting: { ...v.boosting, ...(histograms !== undefined ? { histogramBuilder: histograms } : {}) },
  });
  const u = process.cpuUsage(c);
  const wall = (performance.now() - t) / 1000;
  const auc = rocAuc(testLabels, predictChurn(trained.model, test));
  const baselineAuc = rocAuc(testLabels, predictProbability(trained.model.baseline, test));
  const { fit, validation, calibration } = trained.rows;
  table.push([
    v.name,
    customers.toLocaleString('en'),
    `${fit.toLocaleString('en')} / ${validation.toLocaleString('en')} / ${calibration.toLocaleString('en')}`,
    String(trained.trees),
    wall.toFixed(2),
    ((u.user + u.system) / 1e6).toFixed(2),
    auc.toFixed(5),
    baselineAuc.toFixed(5),
  ]);
}
await histograms?.close();

console.log(machineLine());
console.log(
  `threads: ${threads}; data: synthetic (bench/support/tree-problem.ts, seed ${seed}), ${customers} customers × ${cols} features` +
    ` + ${testRows} test rows, generated in ${generateSeconds.toFixed(2)} s\n`,
);
console.log(
  '| train the churn model | customers | fit / validation / calibration | trees | seconds | CPU s | test AUC | baseline AUC |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of table) console.log(`| ${r.join(' | ')} |`);
