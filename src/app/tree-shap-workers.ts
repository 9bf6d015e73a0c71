/**
 * Fast TreeSHAP for every row of a matrix on several threads: the main thread and `threads − 1`
 * worker threads take chunks of rows from a shared counter and write into one shared output. The
 * contributions are exactly those of `explainAllFast` (each row is computed the same way whichever
 * thread takes it). From source (tests, `tsx`) the worker registers tsx's loader first.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assertMatrix, type FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import { FastTreeShapExplainer } from '../domain/models/trees/fast-tree-shap.js';
import type { GradientBoostedModel } from '../domain/models/trees/model.js';
import { churnColumns, type ChurnRanking } from '../domain/models/churn/model.js';
import { takeShapChunks, takeShapChunksYielding, type ShapJob } from './tree-shap-chunks.js';

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => {
  // A worker that waits on a shared control block is told the load failed (it cannot hear events).
  if (workerData.ctrl && workerData.failedAt !== undefined) Atomics.store(workerData.ctrl, workerData.failedAt, 1);
  setImmediate(() => { throw e; });
});
`;

/** A worker module next to this one, and tsx's ESM `register` API when running from source. */
export function workerEntry(name: string): { entry: string; tsx: string | null } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  if (!fromSource) return { entry, tsx: null };
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  return { entry, tsx: new URL('dist/esm/api/index.mjs', pathToFileURL(manifest)).href };
}

/** Starts a worker thread running `name` with `data`, via the bootstrap above. */
export function startWorker(name: string, data: Record<string, unknown>): Worker {
  const { entry, tsx } = workerEntry(name);
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsx, ...data } });
}

/** Threads to use by default: the machine's, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

function sharedCopy<T extends Float32Array | Float64Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function awaitWorker(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { type: 'done' } | { type: 'error'; message: string; stack?: string }) => {
      settled = true;
      if (m.type === 'done') resolve();
      else {
        const e = new Error(m.message);
        if (m.stack) e.stack = m.stack;
        reject(e);
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the TreeSHAP worker stopped with exit code ${code}`));
    });
  });
}

/**
 * `contributions[i * cols + j]` is feature j's share of row i's margin, `bias` the expected margin,
 * computed on `threads` threads (default: the machine's cores, at most 8). Equal, bit for bit, to
 * `explainAllFast(model, data)`.
 */
export async function explainInWorkers(
  model: GradientBoostedModel,
  data: FeatureMatrix,
  options: { threads?: number; chunkRows?: number } = {},
): Promise<{ bias: number; contributions: Float64Array }> {
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const parallel = threads > 1 && data.rows > (options.chunkRows ?? CHUNK_ROWS);
  const out = new Float64Array(
    parallel ? new SharedArrayBuffer(8 * data.rows * data.cols) : new ArrayBuffer(8 * data.rows * data.cols),
  );
  const bias = await runShapJob(model, data, { type: 'contributions', out }, { ...options, threads });
  return { bias, contributions: out };
}

/**
 * The churn ranking of every row of `data` — raw margin, top reasons, driver weights
 * (`rankChurnRows`) — on `threads` threads, into `ranking` (allocated in shared memory:
 * `allocateChurnRanking(rows, top, true)`). Each row's contributions are ranked on the thread that
 * computed them; only the ranking crosses threads. `onRows(begin, end)` is called on the main
 * thread, in row order, for every range of rows as soon as their ranking is written (between the
 * main thread's own chunks), so that the main thread words reasons while the workers compute. The
 * ranking is bit for bit that of one thread.
 */
export async function rankChurnInWorkers(
  model: GradientBoostedModel,
  data: FeatureMatrix,
  ranking: ChurnRanking,
  options: { threads?: number; chunkRows?: number; onRows?: (begin: number, end: number) => void } = {},
): Promise<void> {
  if (ranking.margins.length !== data.rows) throw new RangeError('ranking of other rows');
  await runShapJob(
    model,
    data,
    { type: 'churn', ranking, columns: churnColumns(data.featureNames) },
    options,
  );
}

const CHUNK_ROWS = 8192;

async function runShapJob(
  model: GradientBoostedModel,
  data: FeatureMatrix,
  output: ShapJob['output'],
  options: { threads?: number; chunkRows?: number; onRows?: (begin: number, end: number) => void },
): Promise<number> {
  assertMatrix(data);
  if (data.cols !== model.featureNames.length)
    throw new RangeError('matrix and model have different feature counts');
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const chunkRows = options.chunkRows ?? CHUNK_ROWS;
  const chunks = Math.ceil(data.rows / chunkRows);
  const explainer = new FastTreeShapExplainer(model);
  const helpers = Math.min(threads - 1, chunks - 1);
  const job: ShapJob = {
    model,
    values: helpers > 0 ? sharedCopy(data.values) : data.values,
    rows: data.rows,
    cols: data.cols,
    output,
    next: new Int32Array(new SharedArrayBuffer(4)),
    done: new Int32Array(new SharedArrayBuffer(4 * Math.max(1, chunks))),
    chunkRows,
  };
  // Hands the rows of finished chunks, in order, to `onRows`.
  let handed = 0;
  const hand = (): void => {
    const onRows = options.onRows;
    if (onRows === undefined) return;
    while (handed < chunks && Atomics.load(job.done, handed) === 1) {
      onRows(handed * chunkRows, Math.min(data.rows, (handed + 1) * chunkRows));
      handed++;
    }
  };
  if (helpers <= 0) {
    takeShapChunks(explainer, job, hand);
    return explainer.expectedValue;
  }
  const workers = Array.from({ length: helpers }, () => startWorker('tree-shap-worker', { job }));
  try {
    const done = workers.map(awaitWorker);
    // The main thread takes chunks too while the workers start, and hands on finished rows,
    // letting their consumer run between its chunks.
    await takeShapChunksYielding(explainer, job, hand);
    hand();
    await Promise.all(done);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  hand();
  return explainer.expectedValue;
}
