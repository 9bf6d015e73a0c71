/**
 * Runs `prepareChunks` in a worker thread and hands its chunks over as an async generator, with at
 * most two chunks in flight so memory stays bounded. From source (tests, `tsx`) the worker registers
 * tsx's loader before importing the TypeScript module; from the compiled package it imports the
 * JavaScript directly.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkJob, PreparedChunk } from './import-chunks.js';

type Message =
  | { type: 'chunk'; chunk: PreparedChunk }
  | { type: 'done' }
  | { type: 'error'; message: string; stack?: string };

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => { setImmediate(() => { throw e; }); });
`;

function workerEntry(): { entry: string; tsx: string | null } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./import-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return { entry, tsx: fromSource ? tsxEsmApi() : null };
}

/** tsx's ESM `register` API (a dev dependency, needed only when running from source). */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  return new URL('dist/esm/api/index.mjs', pathToFileURL(manifest)).href;
}

export async function* prepareChunksInWorker(job: ChunkJob): AsyncGenerator<PreparedChunk> {
  const { entry, tsx } = workerEntry();
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsx, job } });
  const queue: Message[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const push = (m: Message) => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', (m: Message) => push(m));
  worker.on('error', (e) => {
    failure = e instanceof Error ? e : new Error(String(e));
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !failure) failure = new Error(`the import worker stopped with exit code ${code}`);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
      wake = null;
      const m = queue.shift();
      if (!m) throw failure ?? new Error('the import worker stopped');
      if (m.type === 'error') {
        const e = new Error(m.message);
        if (m.stack) e.stack = m.stack;
        throw e;
      }
      if (m.type === 'done') return;
      worker.postMessage('next');
      yield m.chunk;
    }
  } finally {
    await worker.terminate();
  }
}
