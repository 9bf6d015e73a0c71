/**
 * Outbox benchmark: queue N order-confirmation emails, send them with `patron send` (a child
 * process, the real CLI) to a local SMTP server (smtp-server, in this process), kill -9 the sender
 * half-way, wait for its leases to expire, restart it, and count what the server received by
 * Message-ID. Prints throughput (each run, and overall without the lease wait), the sender's peak
 * memory (VmHWM from /proc) and the delivery counts.
 *
 *   npx tsx bench/outbox.ts [--messages 100000] [--db sqlite|postgres] [--concurrency 16] [--batch 64]
 *                           [--kill-at 0.5] [--pg postgres://postgres@127.0.0.1:5432/test]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { enqueueMessage, stableMessageId } from '../src/app/outbox.js';
import { openStore, type Store } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { outboxCounts } from '../src/store/outbox-repository.js';
import { writeTransaction } from '../src/store/transaction.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    db: { type: 'string', default: 'sqlite' },
    concurrency: { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
    'kill-at': { type: 'string', default: '0.5' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const N = Number(args.messages);
const concurrency = Number(args.concurrency);
const batch = Number(args.batch);
const killAt = Number(args['kill-at']);
const SEND_TIMEOUT = 10_000;
const LEASE = Math.ceil((batch / concurrency) * SEND_TIMEOUT * 1.5);
const root = path.resolve(import.meta.dirname, '..');

async function database(): Promise<{ url: string; store: Store; drop: () => Promise<void> }> {
  if (args.db === 'postgres') {
    const schema = `patron_bench_outbox_${process.pid}`;
    const url = `${args.pg}?schema=${schema}`;
    const store = openStore(url);
    await migrateToLatest(store);
    return {
      url,
      store,
      drop: async () => {
        await store.close();
        const c = new pg.Client({ connectionString: args.pg });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-bench-outbox-'));
  const url = `sqlite:${path.join(dir, 'patron.db')}`;
  const store = openStore(url);
  await migrateToLatest(store);
  return {
    url,
    store,
    drop: async () => (await store.close(), fs.rmSync(dir, { recursive: true, force: true })),
  };
}

function peakRssMb(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

const { url, store, drop } = await database();
const smtp = await startSmtpSink({ keepRaw: false });
try {
  // Customers: inserted directly (the bench measures the outbox, not ingestion).
  const CUSTOMERS = Math.min(N, 10_000);
  const now = new Date('2026-03-01T00:00:00Z');
  await writeTransaction(store, async (tx) => {
    for (let i = 0; i < CUSTOMERS; i += 500) {
      await tx
        .insertInto('customers')
        .values(
          Array.from({ length: Math.min(500, CUSTOMERS - i) }, (_, j) => ({
            id: `cus_b${i + j}`,
            user_id: `b${i + j}`,
            email: `b${i + j}@example.com`,
            phone: null,
            timezone: null,
            traits: null,
            created_at: now.toISOString(),
            merged_into: null,
          })),
        )
        .execute();
    }
  });
  let t = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await writeTransaction(store, async (tx) => {
      for (let j = i; j < Math.min(N, i + 1000); j++) {
        await enqueueMessage(
          tx,
          {
            idempotencyKey: `bench-${j}`,
            customerId: `cus_b${j % CUSTOMERS}`,
            channel: 'email',
            purpose: 'transactional',
            actionId: 'order_confirmation',
            templateId: 'order_confirmation',
            variables: {
              firstName: 'Alex',
              order: {
                id: `ord_${j}`,
                totalMinor: 4599,
                items: [
                  {
                    name: 'Pour-over kettle',
                    priceMinor: 4599,
                    guidance: 'Descale monthly with citric acid.',
                  },
                ],
              },
              points: { balance: 120 + (j % 500) },
              tier: { current: 'Silver', next: 'Gold', progress: 0.4 },
            },
            notBefore: now.toISOString(),
          },
          now,
        );
      }
    });
  }
  const enqueueS = (performance.now() - t) / 1000;

  const run = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        // PATRON_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each sender run there.
        ...(process.env.PATRON_BENCH_CPU_PROF
          ? ['--cpu-prof', '--cpu-prof-dir', process.env.PATRON_BENCH_CPU_PROF]
          : []),
        '--import',
        'tsx',
        path.join(root, 'src/cli/main.ts'),
        '--db',
        url,
        'send',
        '--until-empty',
        '--batch',
        String(batch),
        '--concurrency',
        String(concurrency),
        '--send-timeout-ms',
        String(SEND_TIMEOUT),
        '--lease-ms',
        String(LEASE),
        '--smtp',
        smtp.url,
        '--json',
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  const watch = async (child: ChildProcess, until: () => boolean) => {
    let peak = 0;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let done = false;
    void exited.then(() => (done = true));
    while (!done && !until()) {
      peak = Math.max(peak, peakRssMb(child.pid as number));
      await new Promise((r) => setTimeout(r, 100));
    }
    return { peak, exited };
  };

  t = performance.now();
  const first = run();
  const w1 = await watch(first, () => smtp.received.length >= N * killAt);
  first.kill('SIGKILL');
  await w1.exited;
  const firstS = (performance.now() - t) / 1000;
  const atKill = smtp.received.length;
  await new Promise((r) => setTimeout(r, LEASE + 200));
  t = performance.now();
  const second = run();
  const w2 = await watch(second, () => false);
  await w2.exited;
  const secondS = (performance.now() - t) / 1000;

  const counts = smtp.counts();
  let missing = 0;
  for (let i = 0; i < N; i++) if (!counts.has(stableMessageId(`bench-${i}`))) missing++;
  const dups = [...counts.values()].filter((n) => n > 1).length;
  const status = await outboxCounts(store);
  const mb = (x: number) => x.toFixed(0);
  const rows: Array<[string, string]> = [
    [
      'backend',
      `${store.dialect} (sender: patron send, concurrency ${concurrency}, batch ${batch}, lease ${LEASE} ms)`,
    ],
    [
      'messages queued',
      `${N} in ${enqueueS.toFixed(1)} s (${Math.round(N / enqueueS)}/s, enqueueMessage in transactions of 1000)`,
    ],
    [
      'run 1 (killed)',
      `${atKill} delivered in ${firstS.toFixed(1)} s = ${Math.round(atKill / firstS)}/s (incl. start-up), peak RSS ${mb(w1.peak)} MB`,
    ],
    ['lease wait', `${((LEASE + 200) / 1000).toFixed(1)} s`],
    [
      'run 2 (restart)',
      `${smtp.received.length - atKill} delivered in ${secondS.toFixed(1)} s = ${Math.round((smtp.received.length - atKill) / secondS)}/s, peak RSS ${mb(w2.peak)} MB`,
    ],
    [
      'overall',
      `${Math.round(smtp.received.length / (firstS + secondS))} messages/s (without the lease wait)`,
    ],
    [
      'deliveries',
      `${smtp.received.length} received, ${counts.size} distinct Message-IDs, ${missing} missing, ${dups} duplicated`,
    ],
    ['outbox', JSON.stringify(status)],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(18)} ${v}`);
  console.log(
    `machine            ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await smtp.close();
  await drop();
}
