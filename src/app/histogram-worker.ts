/**
 * The worker side of `startHistogramWorkers`: on a `bind` message it serves jobs from the shared
 * control block (blocking on Atomics.wait) until told to quit; a job is the second half of a
 * node's rows, built with the domain's `buildHistogram` into the part slot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  buildHistogram,
  HISTOGRAM_FEATURE_STRIDE,
  runRowPass,
  type HistogramArrays,
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

const port = parentPort;
if (!port) throw new Error('histogram-worker must run in a worker thread');
const { ctrl } = workerData as { ctrl: Int32Array };

function serve(a: HistogramArrays, seen: number): void {
  const at = a.partSlot * a.stride * HISTOGRAM_FEATURE_STRIDE;
  const feats = new Int32Array(a.cols);
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    const seq = Atomics.load(ctrl, SEQ);
    if (seq === seen) continue;
    seen = seq;
    const op = ctrl[OP]!;
    if (op >= OP_PASS) {
      const p = a.passes;
      runRowPass(p, a.rowIdx, op - OP_PASS, ctrl[BEGIN]!, ctrl[END]!, ctrl[BEGIN2]!, ctrl[END2]!);
    } else if (op === OP_BUILD) {
      const nf = ctrl[NF]!;
      for (let q = 0; q < nf; q++) feats[q] = ctrl[FEATS + q]!;
      const f = feats.subarray(0, nf);
      const { bins, stride, cols, rowIdx, gh } = a;
      const packed = a.passes.packed;
      buildHistogram(a.hists, at, bins, stride, cols, rowIdx, ctrl[BEGIN]!, ctrl[END]!, gh, f, 0, nf, packed);
    }
    Atomics.store(ctrl, DONE, seq);
    Atomics.notify(ctrl, DONE);
    if (ctrl[OP] === OP_QUIT) return;
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
    Atomics.notify(ctrl, DONE);
    throw e;
  }
});
