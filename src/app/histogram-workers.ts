/**
 * A `HistogramBuilder` on several threads: the learner stays synchronous; each histogram's
 * features are split between the main thread and `threads − 1` workers, which wait on a shared
 * control block (Atomics) and build their part into shared memory. Each histogram cell is summed
 * over the same rows in the same order on whichever thread, so the model is bit-identical to the
 * single-thread one.
 */
import type { Worker } from 'node:worker_threads';
import {
  buildHistogram,
  HISTOGRAM_FEATURE_STRIDE,
  type HistogramArrays,
  type HistogramBuilder,
} from '../domain/models/trees/gbdt.js';
import {
  BEGIN,
  DONE,
  END,
  FAILED,
  FEATS,
  NF,
  OP,
  OP_BUILD,
  OP_QUIT,
  partRange,
  SEQ,
  SLOT,
} from './histogram-job.js';
import { defaultThreads, startWorker } from './tree-shap-workers.js';

/** Below this many bin additions a histogram is built on the main thread alone. */
const MIN_PARALLEL_WORK = 32_768;
/** A helper that has not answered a job in this long is taken for dead. */
const TIMEOUT_MS = 120_000;

export interface ThreadedHistogramBuilder extends HistogramBuilder {
  readonly threads: number;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

export function startHistogramWorkers(threads = defaultThreads()): ThreadedHistogramBuilder {
  const parts = Math.max(1, Math.floor(threads));
  const helpers = parts - 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (FEATS + 4096)));
  const workers: Worker[] = Array.from({ length: helpers }, (_, helper) =>
    startWorker('histogram-worker', { ctrl, helper, parts }),
  );
  for (const w of workers) w.unref();
  let seq = 0;
  let arrays: HistogramArrays | null = null;

  const run = (op: number): void => {
    seq++;
    Atomics.store(ctrl, OP, op);
    Atomics.store(ctrl, SEQ, seq);
    Atomics.notify(ctrl, SEQ);
  };
  const awaitHelpers = (): void => {
    const start = Date.now();
    for (let h = 0; h < helpers; h++) {
      while (Atomics.load(ctrl, DONE + h) !== seq) {
        if (Atomics.load(ctrl, FAILED) !== 0) throw new Error('a histogram worker failed');
        if (Date.now() - start > TIMEOUT_MS) throw new Error('a histogram worker did not answer');
        Atomics.wait(ctrl, DONE + h, seq - 1, 100);
      }
    }
  };

  return {
    threads: parts,
    allocate: (bytes) => (helpers > 0 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)),
    bind(a) {
      if (a.cols > 4096) throw new RangeError('at most 4,096 features on the histogram workers');
      arrays = a;
      for (const w of workers) w.postMessage({ type: 'bind', arrays: a, seq });
    },
    build(slot, begin, end, feats) {
      const a = arrays;
      if (a === null) throw new Error('build before bind');
      const at = slot * a.stride * HISTOGRAM_FEATURE_STRIDE;
      const nf = feats.length;
      if (helpers === 0 || (end - begin) * nf < MIN_PARALLEL_WORK) {
        buildHistogram(a.hists, at, a.bins, a.stride, a.cols, a.rowIdx, begin, end, a.gh, feats, 0, nf);
        return;
      }
      ctrl[SLOT] = slot;
      ctrl[BEGIN] = begin;
      ctrl[END] = end;
      ctrl[NF] = nf;
      ctrl.set(feats, FEATS);
      run(OP_BUILD);
      const [q0, q1] = partRange(nf, a.cols, 0, parts);
      buildHistogram(a.hists, at, a.bins, a.stride, a.cols, a.rowIdx, begin, end, a.gh, feats, q0, q1);
      awaitHelpers();
    },
    unbind() {
      if (arrays === null) return;
      arrays = null;
      if (helpers === 0) return;
      run(OP_QUIT);
      awaitHelpers();
    },
    async close() {
      for (const w of workers) w.postMessage({ type: 'exit' });
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
