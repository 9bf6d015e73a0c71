/**
 * The worker side of `startHistogramWorkers`: on a `bind` message it serves build jobs from the
 * shared control block (blocking on Atomics.wait) until told to quit, building its part of each
 * job's features with the domain's `buildHistogram`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  buildHistogram,
  HISTOGRAM_FEATURE_STRIDE,
  type HistogramArrays,
} from '../domain/models/trees/gbdt.js';
import { BEGIN, DONE, END, FAILED, FEATS, NF, OP, OP_QUIT, partRange, SEQ, SLOT } from './histogram-job.js';

const port = parentPort;
if (!port) throw new Error('histogram-worker must run in a worker thread');
const { ctrl, helper, parts } = workerData as { ctrl: Int32Array; helper: number; parts: number };

function serve(a: HistogramArrays, seen: number): void {
  const size = a.stride * HISTOGRAM_FEATURE_STRIDE;
  const feats = new Int32Array(a.cols);
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    const seq = Atomics.load(ctrl, SEQ);
    if (seq === seen) continue;
    seen = seq;
    if (ctrl[OP] === OP_QUIT) {
      Atomics.store(ctrl, DONE + helper, seq);
      Atomics.notify(ctrl, DONE + helper);
      return;
    }
    const nf = ctrl[NF]!;
    for (let q = 0; q < nf; q++) feats[q] = ctrl[FEATS + q]!;
    const f = feats.subarray(0, nf);
    const [q0, q1] = partRange(nf, a.cols, helper + 1, parts);
    const slot = ctrl[SLOT]!;
    buildHistogram(
      a.hists,
      slot * size,
      a.bins,
      a.stride,
      a.cols,
      a.rowIdx,
      ctrl[BEGIN]!,
      ctrl[END]!,
      a.gh,
      f,
      q0,
      q1,
    );
    Atomics.store(ctrl, DONE + helper, seq);
    Atomics.notify(ctrl, DONE + helper);
  }
}

port.on('message', (m: { type: 'bind'; arrays: HistogramArrays; seq: number } | { type: 'exit' }) => {
  if (m.type === 'exit') {
    port.close();
    return;
  }
  try {
    serve(m.arrays, m.seq);
  } catch (e) {
    Atomics.store(ctrl, FAILED, 1);
    Atomics.notify(ctrl, DONE + helper);
    throw e;
  }
});
