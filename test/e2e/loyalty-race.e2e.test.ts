/**
 * 50 simultaneous redemptions of 100 points against a balance of 1,000, from five processes with
 * ten requests in flight each (their own connections: SQLite files opened five times, PostgreSQL
 * pools of ten): exactly 10 succeed, the other 40 are refused for insufficient points, on each backend.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditPoints, memberBalance } from '../../src/app/loyalty-ledger.js';
import { ledgerIds, loyaltyStore } from '../../src/store/loyalty-repository.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../support/databases.js';

const root = path.resolve(import.meta.dirname, '../..');
const child = path.join(root, 'test/support/loyalty-redeem-child.ts');

function run(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim()) as string[]) : reject(new Error(errText)),
    );
  });
}

describe.each(DATABASES)('simultaneous redemptions from several processes on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('lets exactly 10 of 50 redemptions of 100 points through against a balance of 1,000', async () => {
    const ledger = loyaltyStore(t.store);
    const now = new Date().toISOString();
    await creditPoints(ledger, ledgerIds, {
      customerId: 'cus_race',
      businessKey: 'race:seed',
      source: 'earn',
      rule: 'spend',
      points: 1000,
      release: null,
      effectiveAt: now,
      now,
    });
    const startAt = String(Date.now() + 4000);
    const outcomes = (
      await Promise.all(
        Array.from({ length: 5 }, (_, p) => run([t.url, 'cus_race', `p${p}`, '10', '100', startAt])),
      )
    ).flat();
    expect(outcomes).toHaveLength(50);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'InsufficientPoints')).toHaveLength(40);
    expect((await memberBalance(ledger, 'cus_race', new Date().toISOString())).available).toBe(0);
    const rec = await ledger.reconcile();
    expect(rec.mismatches).toEqual([]);
    expect(rec.ok).toBe(true);
  }, 60_000);
});
