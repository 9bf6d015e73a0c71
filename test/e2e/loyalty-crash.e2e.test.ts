/**
 * kill -9 in the middle of `patron loyalty run` (a burst of earn, bonus and refund postings), then a
 * re-run: every order earns exactly once, every refund reverses exactly once, nothing is lost, and
 * the reconciliation holds. The real CLI in a child process, on each backend.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestBatch } from '../../src/app/ingest-events.js';
import { eventStore } from '../../src/store/event-repository.js';
import { loyaltyStore } from '../../src/store/loyalty-repository.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../support/databases.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
const ORDERS = 2000;
const CUSTOMERS = 200;
const REFUND_EVERY = 10;

describe.each(DATABASES)('a loyalty run killed with SIGKILL on %s', (dialect) => {
  let t: TestDatabase;
  let expectedPoints = 0;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    // Orders of the last 60 days (the return window has closed for some, not for others).
    const start = Date.now() - 60 * 86_400_000;
    const events: unknown[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const total = 10 + (i % 50);
      expectedPoints += total;
      events.push({
        type: 'track',
        event: 'Order Completed',
        messageId: `lc-o${i}`,
        userId: `lc-u${i % CUSTOMERS}`,
        timestamp: new Date(start + i * 600_000).toISOString(),
        properties: { order_id: `lc-o${i}`, total, currency: 'USD' },
      });
      if (i % REFUND_EVERY === 0) {
        expectedPoints -= total;
        events.push({
          type: 'track',
          event: 'Order Refunded',
          messageId: `lc-r${i}`,
          userId: `lc-u${i % CUSTOMERS}`,
          timestamp: new Date(start + i * 600_000 + 3_600_000).toISOString(),
          properties: { order_id: `lc-o${i}`, total, currency: 'USD' },
        });
      }
    }
    expectedPoints += CUSTOMERS * 100; // first-order bonuses
    for (let i = 0; i < events.length; i += 500) {
      const r = await ingestBatch(eventStore(t.store), events.slice(i, i + 500), {
        currency: { baseCurrency: 'USD', rates: {} },
        receivedAt: new Date().toISOString(),
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error[0]));
    }
  }, 120_000);
  afterAll(async () => {
    await t.drop();
  });

  const count = async (q: string): Promise<number> =>
    Number((await sql<{ n: number }>`${sql.raw(q)}`.execute(t.store.db)).rows[0]?.n ?? 0);

  it('loses nothing and duplicates nothing after the restart', async () => {
    const events = ORDERS + ORDERS / REFUND_EVERY;
    const child = spawn(process.execPath, [...cli, '--db', t.url, 'loyalty', 'run'], {
      cwd: root,
      stdio: 'ignore',
    });
    for (let i = 0; i < 1000; i++) {
      if ((await count('select count(*) as n from loyalty_processed_events')) > 50) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const processedAtKill = await count('select count(*) as n from loyalty_processed_events');
    expect(processedAtKill).toBeGreaterThan(0);
    expect(processedAtKill).toBeLessThan(events);
    // What committed before the kill is whole: every processed order has its points.
    expect((await loyaltyStore(t.store).reconcile()).ok).toBe(true);

    const rerun = spawnSync(process.execPath, [...cli, '--db', t.url, 'loyalty', 'run', '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(rerun.status, rerun.stderr).toBe(0);
    const again = spawnSync(process.execPath, [...cli, '--db', t.url, 'loyalty', 'run', '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').pop() as string)).toMatchObject({
      events: 0,
      entries: 0,
    });

    expect(await count('select count(*) as n from loyalty_processed_events')).toBe(events);
    expect(await count("select count(*) as n from loyalty_entries where kind = 'earn'")).toBe(ORDERS);
    expect(await count("select count(*) as n from loyalty_entries where kind = 'bonus'")).toBe(CUSTOMERS);
    expect(await count("select count(*) as n from loyalty_entries where kind = 'reverse'")).toBe(
      ORDERS / REFUND_EVERY,
    );
    expect(await count('select sum(pending) + sum(available) - sum(debt) as n from loyalty_accounts')).toBe(
      expectedPoints,
    );
    const reconcile = spawnSync(process.execPath, [...cli, '--db', t.url, 'loyalty', 'reconcile'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(reconcile.status, reconcile.stdout + reconcile.stderr).toBe(0);
    expect(reconcile.stdout).toMatch(/^OK/);
  }, 180_000);
});
