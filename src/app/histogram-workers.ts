/**
 * A `HistogramBuilder` on two threads: the learner stays synchronous. A large node's histogram is
 * built in two halves (the domain's fixed `histogramHalves`): the second by a worker thread that
 * waits on a shared control block (Atomics), the first by the main thread, then added in the same
 * order as `buildNodeHistogram` — so the model is bit-identical to the single-thread one.
 */
import type { Worker } from 'node:worker_threads';
import {
  addHistogram,
  buildHistogram,
  buildNodeHistogram,
  HISTOGRAM_FEATURE_STRIDE,
  histogramHalves,
  type HistogramArrays,
  type HistogramBuilder,
} from '../domain/models/trees/gbdt.js';
import {
  BEGIN,
  BEGIN2,
  DONE,
  END,
  END2,
  FAILED,
  FEATS,
  NF,
  OP,
  OP_BUILD,
  OP_PASS,
  OP_QUIT,
  SEQ,
} from './histogram-job.js';
import { defaultThreads, startWorker } from './tree-shap-workers.js';

/** A worker that has not answered a job in this long is taken for dead. */
const TIMEOUT_MS = 120_000;

export interface ThreadedHistogramBuilder extends HistogramBuilder {
  /** 2, or 1 when asked for one thread (then everything runs on the main thread). */
  readonly threads: number;
  /** Stops the worker thread. */
  close(): Promise<void>;
}

/** A histogram builder using `threads` (default: the machine's cores) threads, at most 2. */
export function startHistogramWorkers(threads = defaultThreads()): ThreadedHistogramBuilder {
  const parallel = threads >= 2;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (FEATS + 4096)));
  const worker: Worker | null = parallel ? startWorker('histogram-worker', { ctrl, failedAt: FAILED }) : null;
  worker?.unref();
  let seq = 0;
  let arrays: HistogramArrays | null = null;

  const run = (op: number): void => {
    seq++;
    Atomics.store(ctrl, OP, op);
    Atomics.store(ctrl, SEQ, seq);
    Atomics.notify(ctrl, SEQ);
  };
  const awaitWorker = (): void => {
    const start = Date.now();
    while (Atomics.load(ctrl, DONE) !== seq) {
      if (Atomics.load(ctrl, FAILED) !== 0) throw new Error('the histogram worker failed');
      if (Date.now() - start > TIMEOUT_MS) throw new Error('the histogram worker did not answer');
      Atomics.wait(ctrl, DONE, seq - 1, 100);
    }
  };

  return {
    threads: parallel ? 2 : 1,
    allocate: (bytes) => (parallel ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)),
    bind(a) {
      if (a.cols > 4096) throw new RangeError('at most 4,096 features on the histogram worker');
      arrays = a;
      worker?.postMessage({ type: 'bind', arrays: a, seq });
    },
    build(slot, begin, end, feats) {
      const a = arrays;
      if (a === null) throw new Error('build before bind');
      const size = a.stride * HISTOGRAM_FEATURE_STRIDE;
      const at = slot * size;
      const partAt = a.partSlot * size;
      const { hists, bins, stride, cols, rowIdx, gh } = a;
      const packed = a.passes.packed;
      const mid = histogramHalves(begin, end);
      if (!parallel || mid < 0) {
        buildNodeHistogram(
          hists,
          at,
          hists,
          partAt,
          bins,
          stride,
          cols,
          rowIdx,
          begin,
          end,
          gh,
          feats,
          packed,
        );
        return;
      }
      ctrl[BEGIN] = mid;
      ctrl[END] = end;
      ctrl[NF] = feats.length;
      ctrl.set(feats, FEATS);
      run(OP_BUILD);
      buildHistogram(hists, at, bins, stride, cols, rowIdx, begin, mid, gh, feats, 0, feats.length, packed);
      awaitWorker();
      addHistogram(hists, at, hists, partAt, stride, cols, feats);
    },
    ...(parallel
      ? {
          startRowPass(pass: number, begin: number, end: number, begin2: number, end2: number) {
            if (arrays === null) throw new Error('row pass before bind');
            ctrl[BEGIN] = begin;
            ctrl[END] = end;
            ctrl[BEGIN2] = begin2;
            ctrl[END2] = end2;
            run(OP_PASS + pass);
          },
          joinRowPass() {
            awaitWorker();
          },
        }
      : {}),
    unbind() {
      if (arrays === null) return;
      arrays = null;
      if (!parallel) return;
      run(OP_QUIT);
      awaitWorker();
    },
    async close() {
      if (worker === null) return;
      worker.postMessage({ type: 'exit' });
      await worker.terminate();
    },
  };
}
