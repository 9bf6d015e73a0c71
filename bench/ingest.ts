/**
 * Ingestion throughput: bulk import of a synthetic store's events JSONL, and POST /v1/batch with
 * 100-event batches against `patron serve` in its own process, on SQLite and PostgreSQL.
 *
 *   npx tsx bench/ingest.ts [--customers 5000] [--db sqlite,postgres] [--concurrency 4] [--http-events 100000]
 *
 * Prints a markdown table. Each run uses a fresh database (a temp SQLite file or a fresh
 * PostgreSQL schema, dropped afterwards).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createApiKey } from '../src/app/api-keys.js';
import { importFile } from '../src/app/import-file.js';
import { apiKeyStore } from '../src/store/api-key-repository.js';
import { openStore } from '../src/store/database.js';
import { eventStore } from '../src/store/event-repository.js';
import { importRunStore } from '../src/store/import-run-repository.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { settingsStore } from '../src/store/settings-repository.js';
import { writeStore } from '../src/synth/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const customers = Number(args.get('customers') ?? 5000);
const backends = (args.get('db') ?? 'sqlite,postgres').split(',');
const concurrency = Number(args.get('concurrency') ?? 4);
const httpEvents = Number(args.get('http-events') ?? 100_000);
const PG = process.env.PATRON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const root = path.resolve(import.meta.dirname, '..');
const rates = { baseCurrency: 'USD', rates: { EUR: 1.08, GBP: 1.27 } };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-bench-'));
console.error(`generating ${customers} customers…`);
const store = await writeStore(path.join(work, 'store'), { customers, seed: 7 });
const eventsFile = path.join(work, 'store', 'events.jsonl');

interface Row {
  backend: string;
  path: string;
  events: number;
  seconds: number;
  p50?: number;
  p99?: number;
}
const rows: Row[] = [];

async function freshDb(backend: string, tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(work, `${tag}-`));
    return {
      url: `sqlite:${path.join(dir, 'patron.db')}`,
      drop: async () => fs.rmSync(dir, { recursive: true }),
    };
  }
  const schema = `bench_${tag}_${process.pid}`;
  return {
    url: `${PG}?schema=${schema}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

async function benchImport(backend: string): Promise<void> {
  const db = await freshDb(backend, 'import');
  const s = openStore(db.url);
  await migrateToLatest(s);
  const t0 = performance.now();
  const summary = await importFile({
    path: eventsFile,
    format: 'events-jsonl',
    events: eventStore(s),
    runs: importRunStore(s),
    currency: rates,
    now: () => new Date(),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (summary.rejected > 0) throw new Error(`${summary.rejected} events rejected`);
  rows.push({ backend, path: 'import events JSONL', events: summary.accepted, seconds });
  await s.close();
  await db.drop();
}

async function* batches(limit: number): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: fs.createReadStream(eventsFile), crlfDelay: Infinity });
  let batch: string[] = [];
  let n = 0;
  for await (const line of lines) {
    if (n >= limit) break;
    batch.push(line);
    n++;
    if (batch.length === 100) {
      yield `{"batch":[${batch.join(',')}]}`;
      batch = [];
    }
  }
  if (batch.length > 0) yield `{"batch":[${batch.join(',')}]}`;
}

async function benchHttp(backend: string): Promise<void> {
  const db = await freshDb(backend, 'http');
  const s = openStore(db.url);
  await migrateToLatest(s);
  await settingsStore(s).setCurrencySettings(rates, new Date().toISOString());
  const { secret } = await createApiKey(apiKeyStore(s), {
    name: 'bench',
    scopes: ['ingest'],
    now: new Date().toISOString(),
  });
  await s.close();
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const server: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), '--db', db.url, 'serve', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    server.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()),
  );
  const auth = `Basic ${Buffer.from(`${secret}:`).toString('base64')}`;
  const latencies: number[] = [];
  let events = 0;
  const iterator = batches(httpEvents);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        const body = next.value;
        const start = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth },
          body,
        });
        const text = await res.text();
        latencies.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
        events += (body.match(/"messageId"/g) ?? []).length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  rows.push({
    backend,
    path: `POST /v1/batch ×100, ${concurrency} clients`,
    events,
    seconds,
    p50: q(0.5),
    p99: q(0.99),
  });
  await db.drop();
}

/**
 * The floor: the same events inserted into a bare SQLite `events` table with the same indexes by
 * better-sqlite3 directly (JSON.parse + one prepared INSERT per row, 5,000 per transaction) — no
 * validation, no identity resolution, no facts. What the disk and SQLite allow on this machine.
 */
function benchFloor(): void {
  const dir = fs.mkdtempSync(path.join(work, 'floor-'));
  const db = new Database(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table events (message_id text primary key, type text, name text, known integer,
    customer_id text, timestamp text, received_at text, payload text);
    create index events_customer_time on events (customer_id, timestamp);
    create index events_name_time on events (name, timestamp);`);
  const insert = db.prepare('insert into events values (?, ?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((rows: unknown[][]) => {
    for (const r of rows) insert.run(r);
  });
  const lines = fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean);
  const t0 = performance.now();
  let rowsBuf: unknown[][] = [];
  for (const line of lines) {
    const e = JSON.parse(line) as Record<string, string>;
    rowsBuf.push([
      e.messageId,
      e.type,
      e.event ?? null,
      1,
      e.userId ?? e.anonymousId,
      e.timestamp,
      '',
      JSON.stringify(e),
    ]);
    if (rowsBuf.length === 5000) {
      tx(rowsBuf);
      rowsBuf = [];
    }
  }
  tx(rowsBuf);
  rows.push({
    backend: 'sqlite',
    path: 'floor: bare better-sqlite3 insert',
    events: lines.length,
    seconds: (performance.now() - t0) / 1000,
  });
  db.close();
}

benchFloor();
for (const backend of backends) {
  console.error(`${backend}: import…`);
  await benchImport(backend);
  console.error(`${backend}: HTTP…`);
  await benchHttp(backend);
}

console.log(
  `\nSynthetic store: ${customers} customers, ${store.events} events (seed 7). Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}.\n`,
);
console.log('| backend | path | events | seconds | events/s | p50 ms | p99 ms |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.path} | ${r.events.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${Math.round(r.events / r.seconds).toLocaleString('en-US')} | ${r.p50?.toFixed(1) ?? ''} | ${r.p99?.toFixed(1) ?? ''} |`,
  );
}
fs.rmSync(work, { recursive: true, force: true });
