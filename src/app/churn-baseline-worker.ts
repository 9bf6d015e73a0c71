/**
 * The worker side of `trainChurnModelOnCores`: fits the churn model's logistic-regression baseline
 * (the domain's `fitChurnBaseline`) while the main thread grows the trees, and posts it back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fitChurnBaseline } from '../domain/models/churn/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';

const port = parentPort;
if (!port) throw new Error('churn-baseline-worker must run in a worker thread');

const { data, labels, seed } = workerData as { data: FeatureMatrix; labels: Float64Array; seed: number };
try {
  port.postMessage({ type: 'done', baseline: fitChurnBaseline(data, labels, seed) });
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  port.postMessage({ type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
}
port.close();
