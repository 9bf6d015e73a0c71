/**
 * The worker side of `explainInWorkers`: builds the Fast TreeSHAP tables once, then takes chunks of
 * rows from the shared counter until none are left, writing their contributions into the shared
 * output. Pure maths from the domain; only the thread plumbing is here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FastTreeShapExplainer } from '../domain/models/trees/fast-tree-shap.js';
import { takeShapChunks, type ShapJob } from './tree-shap-chunks.js';

const port = parentPort;
if (!port) throw new Error('tree-shap-worker must run in a worker thread');

const job = (workerData as { job: ShapJob }).job;
try {
  takeShapChunks(new FastTreeShapExplainer(job.model), job);
  port.postMessage({ type: 'done' });
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  port.postMessage({ type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
}
port.close();
