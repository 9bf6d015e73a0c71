/** The worker side of `prepareChunksInWorker`: reads and validates, posting chunks on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareChunks, type ChunkJob } from './import-chunks.js';

const port = parentPort;
if (!port) throw new Error('import-worker must run in a worker thread');

const { job } = workerData as { job: ChunkJob };
// The client asks for the next chunk after taking one; two may be ahead of it.
let credits = 2;
let wake: (() => void) | null = null;
port.on('message', () => {
  credits++;
  wake?.();
});

try {
  for await (const chunk of prepareChunks(job)) {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    port.postMessage({ type: 'chunk', chunk });
  }
  port.postMessage({ type: 'done' });
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  port.postMessage({ type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
}
port.close();
