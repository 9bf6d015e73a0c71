/**
 * Loyalty ledger benchmark: earn and redeem postings per second with 16 concurrent clients on
 * SQLite and PostgreSQL, invariants checked afterwards by the reconciliation (which recomputes
 * every balance and lot from the postings); then `GET /v1/loyalty/me` latency in-process.
 *
 *   npx tsx bench/loyalty.ts [--db sqlite,postgres] [--members 2000] [--postings 20000] [--clients 16] [--me 3000]
 *
 * Each client loops: pick a member at random (seeded), post an earn (a credit with its own
 * business key) or, one time in three, a redemption of a few points with an Idempotency-Key.
 * A redemption refused for lack of points counts as a posting attempt but not as a posting.
 * `wall s` and `cpu s` are the posting phase's elapsed time and this process's CPU time (user +
 * system; on PostgreSQL the server's own CPU is not in it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApiKey } from '../src/app/api-keys.js';
import { creditPoints, redeemPoints } from '../src/app/loyalty-ledger.js';
import { signCustomerToken, newLoyaltySecret } from '../src/app/loyalty-token.js';
import { createRandom } from '../src/domain/random.js';
import { createApp } from '../src/server/app.js';
import { apiKeyStore } from '../src/store/api-key-repository.js';
import { openStore, type Store } from '../src/store/database.js';
import { eventStore } from '../src/store/event-repository.js';
import { ledgerIds, loyaltySecretStore, loyaltyStore } from '../src/store/loyalty-repository.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { settingsStore } from '../src/store/settings-repository.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const backends = (args.get('db') ?? 'sqlite,postgres').split(',');
const MEMBERS = Number(args.get('members') ?? 2000);
const POSTINGS = Number(args.get('postings') ?? 20000);
const CLIENTS = Number(args.get('clients') ?? 16);
const ME = Number(args.get('me') ?? 3000);
const PG = process.env.PATRON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function open(dialect: string): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-bench-loyalty-'));
    const store = openStore(`sqlite:${path.join(dir, 'patron.db')}`);
    await migrateToLatest(store);
    return {
      store,
      drop: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_loyalty_${process.pid}`;
  const store = openStore(`${PG}?schema=${schema}`);
  await migrateToLatest(store);
  return {
    store,
    drop: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

const rows: string[][] = [];
for (const dialect of backends) {
  const { store, drop } = await open(dialect);
  try {
    const ledger = loyaltyStore(store);
    const now = new Date().toISOString();
    // Members with a starting balance, so redemptions have something to draw from.
    for (let m = 0; m < MEMBERS; m++) {
      await creditPoints(ledger, ledgerIds, {
        customerId: `cus_b${m}`,
        businessKey: `seed:${m}`,
        source: 'earn',
        rule: 'spend',
        points: 200,
        qualifying: 200,
        release: null,
        effectiveAt: now,
        now,
      });
    }
    let next = 0;
    let earned = 0;
    let redeemed = 0;
    let refused = 0;
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const rng = createRandom(1000 + c);
        for (;;) {
          const i = next++;
          if (i >= POSTINGS) return;
          const member = `cus_b${rng.int(MEMBERS)}`;
          const t = new Date().toISOString();
          if (i % 3 === 2) {
            const r = await redeemPoints(ledger, ledgerIds, {
              customerId: member,
              points: 1 + rng.int(40),
              now: t,
              idempotency: { key: `bench-${i}`, requestHash: 'h' },
            });
            if (r.ok) redeemed++;
            else refused++;
          } else {
            const r = await creditPoints(ledger, ledgerIds, {
              customerId: member,
              businessKey: `bench:${i}`,
              source: 'earn',
              rule: 'spend',
              points: 1 + rng.int(50),
              qualifying: 1,
              release: null,
              effectiveAt: t,
              now: t,
            });
            if (r.ok) earned++;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rec = await ledger.reconcile();

    // GET /v1/loyalty/me, in-process, sequential requests with a customer token.
    const keys = apiKeyStore(store);
    await createApiKey(keys, { name: 'bench', scopes: ['admin'], now });
    const secret = await loyaltySecretStore(store).getOrCreate(now, newLoyaltySecret);
    // The token names the member by Patron id, so the members need customer rows.
    await store.db
      .insertInto('customers')
      .values(
        Array.from({ length: 200 }, (_, m) => ({
          id: `cus_b${m}`,
          user_id: null,
          email: null,
          phone: null,
          timezone: null,
          traits: null,
          created_at: now,
          merged_into: null,
        })),
      )
      .execute();
    const app = createApp({
      store,
      events: eventStore(store),
      settings: settingsStore(store),
      keys,
      now: () => new Date(),
      maxBodyBytes: 50_000,
      log: () => {},
    });
    const tokens = Array.from(
      { length: 200 },
      (_, m) => signCustomerToken(secret, { subject: `cus_b${m}`, now: new Date(), ttlSeconds: 3600 }).token,
    );
    const lat: number[] = [];
    for (let i = 0; i < ME; i++) {
      const t0 = performance.now();
      const r = await app.request('/v1/loyalty/me', {
        headers: { authorization: `Bearer ${tokens[i % tokens.length]}` },
      });
      await r.text();
      if (r.status !== 200) throw new Error(`GET /v1/loyalty/me answered ${r.status}`);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    rows.push([
      dialect,
      String(CLIENTS),
      String(earned + redeemed),
      String(refused),
      ((earned + redeemed) / seconds).toFixed(0),
      seconds.toFixed(2),
      cpuSeconds.toFixed(2),
      rec.ok ? '0' : String(rec.mismatchCount),
      pct(lat, 0.5).toFixed(2),
      pct(lat, 0.99).toFixed(2),
    ]);
  } finally {
    await drop();
  }
}

console.log(
  `members ${MEMBERS}, ${POSTINGS} posting attempts (2/3 earns, 1/3 redemptions), ${ME} GET /v1/loyalty/me`,
);
const head = [
  'backend',
  'clients',
  'postings',
  'refused',
  'postings/s',
  'wall s',
  'cpu s',
  'violations',
  'me p50 ms',
  'me p99 ms',
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
console.log(line(head));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
