/**
 * A child process for the race test: opens the database, waits for the start signal (a wall-clock
 * instant), fires `--count` simultaneous redemptions of `--points` for one member, and prints the
 * outcomes as JSON. Several of these run at once against one database.
 *
 *   tsx test/support/loyalty-redeem-child.ts <db-url> <customerId> <prefix> <count> <points> <startAtMs>
 */
import { redeemPoints } from '../../src/app/loyalty-ledger.js';
import { openStore } from '../../src/store/database.js';
import { ledgerIds, loyaltyStore } from '../../src/store/loyalty-repository.js';

const [url, customerId, prefix, count, points, startAt] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const store = openStore(url);
const ledger = loyaltyStore(store);
// Warm the connection (and, on PostgreSQL, the pool) before the start signal.
await store.db.selectFrom('loyalty_accounts').select('customer_id').limit(1).execute();
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    redeemPoints(ledger, ledgerIds, {
      customerId,
      points: Number(points),
      now: new Date().toISOString(),
      idempotency: { key: `${prefix}-${i}`, requestHash: 'race' },
    }).then((r) => (r.ok ? 'ok' : r.error.type)),
  ),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
await store.close();
