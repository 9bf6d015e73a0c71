/**
 * Training the churn model on every core: the trees' histograms on two threads
 * (`startHistogramWorkers`) and, at the same time, the logistic-regression baseline on a third
 * (`churn-baseline-worker.ts`), which the trees' threads leave idle part of the time. The model is
 * the one `trainChurnModel` trains, bit for bit.
 */
import type { Worker } from 'node:worker_threads';
import type { LogisticRegressionModel } from '../domain/models/linear/logistic-regression.js';
import {
  trainChurnModel,
  trainChurnTrees,
  withBaseline,
  type ChurnTrainingOptions,
  type ChurnTrainingResult,
} from '../domain/models/churn/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import { startHistogramWorkers } from './histogram-workers.js';
import { defaultThreads, startWorker } from './tree-shap-workers.js';

function baselineResult(worker: Worker): Promise<LogisticRegressionModel> {
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.on(
      'message',
      (
        m:
          | { type: 'done'; baseline: LogisticRegressionModel }
          | { type: 'error'; message: string; stack?: string },
      ) => {
        settled = true;
        if (m.type === 'done') resolve(m.baseline);
        else {
          const e = new Error(m.message);
          if (m.stack) e.stack = m.stack;
          reject(e);
        }
      },
    );
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the churn baseline worker stopped with exit code ${code}`));
    });
  });
}

/**
 * `trainChurnModel` on `threads` cores (default: the machine's); with one, it is that function.
 * A histogram builder given in `options.boosting` is used (and left open); otherwise one is started
 * and closed here. The matrix is passed to the baseline's thread without a copy when its values are
 * in shared memory (as `churnFeatureMatrix` makes them), else copied once.
 */
export async function trainChurnModelOnCores(
  data: FeatureMatrix,
  labels: Float64Array,
  options: ChurnTrainingOptions,
  threads = defaultThreads(),
): Promise<ChurnTrainingResult> {
  if (threads < 2) return trainChurnModel(data, labels, options);
  const seed = options.seed ?? 0;
  const worker = startWorker('churn-baseline-worker', { data, labels, seed });
  const baseline = baselineResult(worker);
  // Rejections are awaited below; until then none may go unhandled.
  baseline.catch(() => undefined);
  const given = options.boosting?.histogramBuilder;
  const started = given === undefined ? startHistogramWorkers(threads) : null;
  const histograms = given ?? started!;
  try {
    const trees = trainChurnTrees(data, labels, {
      ...options,
      boosting: { ...options.boosting, histogramBuilder: histograms },
    });
    return withBaseline(trees, await baseline);
  } finally {
    await started?.close();
    await worker.terminate();
  }
}
