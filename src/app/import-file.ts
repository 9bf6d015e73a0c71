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
import readline from 'node:readline';
import { parse } from 'csv-parse';
import {
  ORDERS_CSV_REQUIRED,
  SHOPIFY_REQUIRED,
  ordersCsvGroupKey,
  ordersCsvToEvents,
  shopifyGroupKey,
  shopifyToEvents,
  type CsvRow,
  type RowGroup,
} from '../domain/imports/csv-orders.js';
import { cdnowLineToEvents } from '../domain/imports/cdnow.js';
import { formatIssuePath, normalizeEvent, type NormalizedEvent } from '../domain/events/normalize.js';
import type { CurrencySettings } from '../domain/money/money.js';
import type { Result } from '../domain/result.js';
import { deriveMessageId, storeEvents } from './ingest-events.js';
import type { EventStore, ImportReject, ImportRunStore } from './ports.js';

export const IMPORT_FORMATS = ['events-jsonl', 'orders-csv', 'shopify-orders-csv', 'cdnow'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

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

/** One unit of the file that succeeds or fails as a whole: a JSONL line, or the rows of one order. */
interface FileRecord {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly content: string;
  readonly events: Result<unknown[], string>;
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
  let pending: FileRecord[] = [];
  let pendingLines = 0;
  let lastLine = resumedFromLine;
  let chunksDone = 0;

  const flush = async (final: boolean): Promise<void> => {
    const receivedAt = nowIso();
    const valid: NormalizedEvent[] = [];
    const rejects: ImportReject[] = [];
    const ctx = { receivedAt, currency: options.currency, deriveMessageId };
    for (const record of pending) {
      if (!record.events.ok) {
        rejects.push({ line: record.firstLine, reason: record.events.error, content: record.content });
        continue;
      }
      const normalized: NormalizedEvent[] = [];
      let reason: string | undefined;
      for (const raw of record.events.value) {
        const n = normalizeEvent(raw, ctx);
        if (n.ok) normalized.push(n.value);
        else {
          reason = n.error.map((i) => `${formatIssuePath(i.path) || 'event'}: ${i.message}`).join('; ');
          break;
        }
      }
      if (reason !== undefined) rejects.push({ line: record.firstLine, reason, content: record.content });
      else valid.push(...normalized);
    }
    const upTo = pending.length > 0 ? (pending[pending.length - 1] as FileRecord).lastLine : lastLine;
    await storeEvents(options.events, valid, receivedAt, async (w, summary) => {
      totals.accepted += summary.accepted;
      totals.duplicates += summary.duplicates;
      totals.rejected += rejects.length;
      await w.recordImportChunk(
        { runId, linesDone: upTo, ...totals, status: final ? 'done' : 'running', updatedAt: receivedAt },
        rejects,
      );
    });
    pending = [];
    pendingLines = 0;
    chunksDone++;
  };

  const records =
    format === 'events-jsonl' || format === 'cdnow' ? lineRecords(path, format) : csvRecords(path, format);
  for await (const { record, bytes } of records) {
    lastLine = record.lastLine;
    if (record.lastLine <= resumedFromLine) continue;
    pending.push(record);
    pendingLines += record.lastLine - record.firstLine + 1;
    if (pendingLines >= chunkLines) {
      await flush(false);
      options.onProgress?.(bytes, size);
      if (options.stopAfterChunks !== undefined && chunksDone >= options.stopAfterChunks) {
        throw new Error(`import stopped after ${chunksDone} chunks (test hook)`);
      }
    }
  }
  await flush(true);
  options.onProgress?.(size, size);
  const rejects = await runs.rejects(runId);
  return { runId, lines: lastLine, ...totals, resumedFromLine, alreadyImported: false, rejects };
}

async function* lineRecords(
  path: string,
  format: 'events-jsonl' | 'cdnow',
): AsyncGenerator<{ record: FileRecord; bytes: number }> {
  const stream = fs.createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let events: Result<unknown[], string>;
    if (format === 'cdnow') {
      const parsed = cdnowLineToEvents(line, n);
      if (parsed.ok && parsed.value === null) continue;
      events = parsed.ok ? { ok: true, value: parsed.value ?? [] } : parsed;
    } else {
      try {
        events = { ok: true, value: [JSON.parse(line)] };
      } catch (e) {
        events = { ok: false, error: `not valid JSON: ${(e as Error).message}` };
      }
    }
    yield {
      record: { firstLine: n, lastLine: n, content: line.slice(0, 4000), events },
      bytes: stream.bytesRead,
    };
  }
}

async function* csvRecords(
  path: string,
  format: 'orders-csv' | 'shopify-orders-csv',
): AsyncGenerator<{ record: FileRecord; bytes: number }> {
  const required: readonly string[] = format === 'orders-csv' ? ORDERS_CSV_REQUIRED : SHOPIFY_REQUIRED;
  const groupKey = format === 'orders-csv' ? ordersCsvGroupKey : shopifyGroupKey;
  const toEvents = format === 'orders-csv' ? ordersCsvToEvents : shopifyToEvents;
  const stream = fs.createReadStream(path);
  const parser = stream.pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      raw: true,
      trim: false,
    }),
  );
  let header: string[] | undefined;
  let group:
    | { key: string | undefined; rows: CsvRow[]; firstLine: number; lastLine: number; raw: string[] }
    | undefined;

  const finish = (g: NonNullable<typeof group>): FileRecord => {
    const rowGroup: RowGroup = { firstLine: g.firstLine, lastLine: g.lastLine, rows: g.rows };
    return {
      firstLine: g.firstLine,
      lastLine: g.lastLine,
      content: g.raw.join('').slice(0, 4000),
      events: g.key === undefined ? { ok: false, error: `${required[0]}: is required` } : toEvents(rowGroup),
    };
  };

  for await (const item of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number };
  }>) {
    const line = item.info.lines;
    if (!header) {
      header = item.record.map((h) => h.trim());
      const missing = required.filter((c) => !header?.includes(c));
      if (missing.length > 0) {
        throw new Error(
          `${path}: the header lacks ${missing.join(', ')} (format ${format}); found: ${header.join(', ')}`,
        );
      }
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = item.record[i] ?? '';
    });
    const key = groupKey(row);
    const firstLine = line - (item.raw.match(/\n/g)?.length ?? 1) + 1;
    if (group && key !== undefined && key === group.key) {
      group.rows.push(row);
      group.lastLine = line;
      group.raw.push(item.raw);
      continue;
    }
    if (group) yield { record: finish(group), bytes: stream.bytesRead };
    group = { key, rows: [row], firstLine, lastLine: line, raw: [item.raw] };
  }
  if (group) yield { record: finish(group), bytes: stream.bytesRead };
}
