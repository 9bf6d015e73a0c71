/**
 * Reading an import file into prepared chunks: records (a JSONL line, or the CSV rows of one order)
 * turned into normalised events or a reject reason. Runs in a worker thread during an import (so
 * validation overlaps with the database writes) or in-thread; the same code either way.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { cdnowLineToEvents } from '../domain/imports/cdnow.js';
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
import { formatIssuePath, normalizeEvent, type NormalizedEvent } from '../domain/events/normalize.js';
import type { CurrencySettings } from '../domain/money/money.js';
import type { Result } from '../domain/result.js';
import { deriveMessageId } from './ingest-events.js';
import type { ImportReject } from './ports.js';

export const IMPORT_FORMATS = ['events-jsonl', 'orders-csv', 'shopify-orders-csv', 'cdnow'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ChunkJob {
  readonly path: string;
  readonly format: ImportFormat;
  /** Records ending on or before this line were committed by an earlier run. */
  readonly resumedFromLine: number;
  readonly chunkLines: number;
  readonly currency: CurrencySettings;
  /** The time events without a timestamp are given. */
  readonly receivedAt: string;
}

/** What one transaction of the import writes. */
export interface PreparedChunk {
  readonly events: NormalizedEvent[];
  readonly rejects: ImportReject[];
  /** The last line this chunk covers (the import's checkpoint once it commits). */
  readonly upTo: number;
  /** Bytes of the file read so far, for the progress bar. */
  readonly bytes: number;
  readonly final: boolean;
}

/** One unit of the file that succeeds or fails as a whole: a JSONL line, or the rows of one order. */
interface FileRecord {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly content: string;
  readonly events: Result<unknown[], string>;
}

/** Reads the file and yields chunks of about `chunkLines` lines, the last one marked final. */
export async function* prepareChunks(job: ChunkJob): AsyncGenerator<PreparedChunk> {
  const ctx = { receivedAt: job.receivedAt, currency: job.currency, deriveMessageId };
  let events: NormalizedEvent[] = [];
  let rejects: ImportReject[] = [];
  let lines = 0;
  let lastLine = job.resumedFromLine;
  let bytesRead = 0;
  const records =
    job.format === 'events-jsonl' || job.format === 'cdnow'
      ? lineRecords(job.path, job.format)
      : csvRecords(job.path, job.format);
  for await (const { record, bytes } of records) {
    bytesRead = bytes;
    lastLine = record.lastLine;
    if (record.lastLine <= job.resumedFromLine) continue;
    if (!record.events.ok)
      rejects.push({ line: record.firstLine, reason: record.events.error, content: record.content });
    else {
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
      else for (const e of normalized) events.push(e);
    }
    lines += record.lastLine - record.firstLine + 1;
    if (lines >= job.chunkLines) {
      yield { events, rejects, upTo: record.lastLine, bytes, final: false };
      events = [];
      rejects = [];
      lines = 0;
    }
  }
  yield { events, rejects, upTo: lastLine, bytes: bytesRead, final: true };
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
