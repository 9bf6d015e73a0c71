/**
 * Bulk import of a file of events or orders. Resumable and exactly-once:
 * - every event has a deterministic messageId (given in the file, derived from the order id for
 *   CSV formats, or derived from the event's content), so nothing is ever stored twice;
 * - progress (lines done, counts) and rejected lines are written in the same transaction as each
 *   chunk's events, so after a crash or Ctrl-C a re-run resumes after the last committed chunk and
 *   loses nothing;
 * - a file already imported in full is recognised by its content hash and imports nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { CurrencySettings } from '../domain/money/money.js';
import { prepareChunks, type ChunkJob, type ImportFormat, type PreparedChunk } from './import-chunks.js';
import { prepareChunksInWorker } from './import-worker-client.js';
import { storeEvents } from './ingest-events.js';
import type { EventStore, ImportReject, ImportRunStore } from './ports.js';

export { IMPORT_FORMATS, type ImportFormat } from './import-chunks.js';

export interface ImportOptions {
  readonly path: string;
  readonly format: ImportFormat;
  readonly events: EventStore;
  readonly runs: ImportRunStore;
  readonly currency: CurrencySettings;
  readonly now: () => Date;
  /** Lines per transaction. */
  readonly chunkLines?: number;
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** For tests: stop after this many chunks, as a crash would. */
  readonly stopAfterChunks?: number;
  /**
   * Read and validate in a worker thread while this thread writes (default true): the two halves
   * cost about the same, so on two cores an import runs up to twice as fast.
   */
  readonly worker?: boolean;
}

export interface ImportSummary {
  readonly runId: string;
  readonly lines: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Lines skipped because an earlier run had already committed them. */
  readonly resumedFromLine: number;
  readonly alreadyImported: boolean;
  readonly rejects: readonly ImportReject[];
}

export async function fileFingerprint(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function importFile(options: ImportOptions): Promise<ImportSummary> {
  const { path, format, runs } = options;
  const chunkLines = options.chunkLines ?? 5000;
  const fingerprint = await fileFingerprint(path);
  const runId = `imp_${createHash('sha256').update(`${format}:${fingerprint}`).digest('hex').slice(0, 24)}`;
  const nowIso = () => options.now().toISOString();

  let run = await runs.find(runId);
  if (!run) {
    await runs.start({
      runId,
      path,
      format,
      fingerprint,
      linesDone: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      status: 'running',
      startedAt: nowIso(),
      updatedAt: nowIso(),
    });
    run = await runs.find(runId);
    if (!run) throw new Error(`import run ${runId} could not be recorded`);
  }
  if (run.status === 'done') {
    return {
      runId,
      lines: run.linesDone,
      accepted: run.accepted,
      duplicates: run.duplicates,
      rejected: run.rejected,
      resumedFromLine: run.linesDone,
      alreadyImported: true,
      rejects: await runs.rejects(runId),
    };
  }

  const resumedFromLine = run.linesDone;
  const totals = { accepted: run.accepted, duplicates: run.duplicates, rejected: run.rejected };
  const size = fs.statSync(path).size;
  const job: ChunkJob = {
    path,
    format,
    resumedFromLine,
    chunkLines,
    currency: options.currency,
    receivedAt: nowIso(),
  };
  const chunks: AsyncGenerator<PreparedChunk> =
    options.worker === false ? prepareChunks(job) : prepareChunksInWorker(job);
  let lastLine = resumedFromLine;
  let chunksDone = 0;
  try {
    for await (const chunk of chunks) {
      const updatedAt = nowIso();
      await storeEvents(options.events, chunk.events, job.receivedAt, async (w, summary) => {
        totals.accepted += summary.accepted;
        totals.duplicates += summary.duplicates;
        totals.rejected += chunk.rejects.length;
        await w.recordImportChunk(
          { runId, linesDone: chunk.upTo, ...totals, status: chunk.final ? 'done' : 'running', updatedAt },
          chunk.rejects,
        );
      });
      lastLine = chunk.upTo;
      chunksDone++;
      options.onProgress?.(chunk.final ? size : chunk.bytes, size);
      if (!chunk.final && options.stopAfterChunks !== undefined && chunksDone >= options.stopAfterChunks) {
        throw new Error(`import stopped after ${chunksDone} chunks (test hook)`);
      }
    }
  } finally {
    await chunks.return(undefined);
  }
  const rejects = await runs.rejects(runId);
  return { runId, lines: lastLine, ...totals, resumedFromLine, alreadyImported: false, rejects };
}
