/**
 * kill -9 in the middle of an import, then a re-run: every valid event ends up stored exactly once.
 * Runs the real CLI in a child process against each backend.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, DATABASES, type TestDatabase } from '../support/databases.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
const N = 60_000;

function writeEvents(file: string): void {
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const userId = `crash-u${i % 3000}`;
    lines.push(
      JSON.stringify(
        i % 7 === 0
          ? {
              type: 'track',
              event: 'Order Completed',
              messageId: `crash-${i}`,
              userId,
              timestamp: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
              properties: { order_id: `crash-o${i}`, total: 10 + (i % 50), currency: 'USD' },
            }
          : {
              type: 'track',
              event: 'Product Viewed',
              messageId: `crash-${i}`,
              anonymousId: `crash-a${i % 5000}`,
              userId: i % 2 === 0 ? userId : undefined,
              timestamp: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
              properties: { product_id: `p${i % 40}` },
            },
      ),
    );
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe.each(DATABASES)('an import killed with SIGKILL on %s', (dialect) => {
  let t: TestDatabase;
  let file: string;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'patron-crash-')), 'events.jsonl');
    writeEvents(file);
  });
  afterAll(async () => {
    await t.drop();
  });

  const linesDone = async (): Promise<number> => {
    const r = await sql<{ n: number | null }>`select max(lines_done) as n from import_runs`.execute(
      t.store.db,
    );
    return Number(r.rows[0]?.n ?? 0);
  };

  it('resumes after the kill and stores every event exactly once', async () => {
    const child = spawn(
      process.execPath,
      [...cli, '--db', t.url, 'import', file, '--format', 'events-jsonl'],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
    // Kill it once at least one chunk is committed but before the end.
    for (let i = 0; i < 600; i++) {
      if ((await linesDone()) > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const committed = await linesDone();
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(N);

    const rerun = spawnSync(
      process.execPath,
      [...cli, '--db', t.url, 'import', file, '--format', 'events-jsonl', '--json'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(rerun.status, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout.trim().split('\n').pop() as string) as {
      resumedFromLine: number;
      lines: number;
    };
    expect(summary.resumedFromLine).toBe(committed);
    expect(summary.lines).toBe(N);

    const counts = await sql<{ events: number; distinct_ids: number; orders: number }>`
      select (select count(*) from events where message_id like 'crash-%') as events,
             (select count(distinct message_id) from events where message_id like 'crash-%') as distinct_ids,
             (select count(*) from orders where order_id like 'crash-o%') as orders`.execute(t.store.db);
    const row = counts.rows[0];
    expect(Number(row?.events)).toBe(N);
    expect(Number(row?.distinct_ids)).toBe(N);
    expect(Number(row?.orders)).toBe(Math.ceil(N / 7));
    const users = await sql<{
      n: number;
    }>`select count(*) as n from identities where key like 'user:crash-u%'`.execute(t.store.db);
    expect(Number(users.rows[0]?.n)).toBe(3000);
  }, 180_000);
});
