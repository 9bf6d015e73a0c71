/**
 * The loyalty programme on a store with real history: `GET /v1/loyalty/me` latency with the
 * programme's sections (tier, tierProgress, challenges, suggestedRewards, referralCode) in-process,
 * and the time of the programme's jobs (tiers for every member, challenge refresh, what-if replay).
 *
 *   npx patron demo --customers 5000 --seed 5 --db sqlite:/tmp/lp5k/p.db     # build the store once
 *   npx tsx bench/loyalty-programme.ts --db sqlite:/tmp/lp5k/p.db [--me 2000]
 */
import { createApiKey } from '../src/app/api-keys.js';
import { whatIf } from '../src/app/loyalty-health.js';
import { memberBalance } from '../src/app/loyalty-ledger.js';
import { evaluateTiers, memberProgramme, refreshChallenges } from '../src/app/loyalty-programme.js';
import { newLoyaltySecret, signCustomerToken } from '../src/app/loyalty-token.js';
import { createApp } from '../src/server/app.js';
import { apiKeyStore } from '../src/store/api-key-repository.js';
import { openStore } from '../src/store/database.js';
import { eventStore } from '../src/store/event-repository.js';
import { ledgerPoints } from '../src/store/loyalty-programme-ledger.js';
import { programmeStore } from '../src/store/loyalty-programme-repository.js';
import { loyaltySecretStore, loyaltyStore } from '../src/store/loyalty-repository.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { settingsStore } from '../src/store/settings-repository.js';

const args = new Map(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] ?? '']] : [])),
);
const url = args.get('db');
if (!url) throw new Error('--db URL of a store built by `patron demo` is required');
const ME = Number(args.get('me') ?? 2000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};
const ms = (x: number) => x.toFixed(2);

const store = openStore(url);
await migrateToLatest(store);
const ps = programmeStore(store);
const now = new Date().toISOString();
const members = (
  await store.db.selectFrom('loyalty_accounts').select('customer_id').orderBy('customer_id').execute()
).map((r) => r.customer_id);
const users = new Map(
  (await store.db.selectFrom('customers').select(['id', 'user_id']).execute()).map((r) => [r.id, r.user_id]),
);

// memberProgramme alone (the programme's share of GET /v1/loyalty/me).
const alone: number[] = [];
for (let i = 0; i < ME; i++) {
  const customerId = members[(i * 7919) % members.length] as string;
  const t = performance.now();
  const balance = await memberBalance(loyaltyStore(store), customerId, now);
  await memberProgramme(ps, { customerId, available: balance.available, now });
  alone.push(performance.now() - t);
}

// The whole request through the HTTP app, with customer tokens.
const keys = apiKeyStore(store);
await createApiKey(keys, { name: 'bench', scopes: ['admin'], now });
const secret = await loyaltySecretStore(store).getOrCreate(now, newLoyaltySecret);
const app = createApp({
  store,
  events: eventStore(store),
  settings: settingsStore(store),
  keys,
  now: () => new Date(),
  maxBodyBytes: 500_000,
  log: () => {},
});
const http: number[] = [];
for (let i = 0; i < ME; i++) {
  const customerId = members[(i * 7919) % members.length] as string;
  const subject = users.get(customerId) ?? customerId;
  const { token } = signCustomerToken(secret, { subject, now: new Date(), ttlSeconds: 600 });
  const t = performance.now();
  const r = await app.request('/v1/loyalty/me', { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`GET /v1/loyalty/me answered ${r.status}: ${await r.text()}`);
  await r.json();
  http.push(performance.now() - t);
}

const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};
const tiers = await time(() => evaluateTiers(ps, { now }));
const challenges = await time(() => refreshChallenges(ps, ledgerPoints(store), { now, seed: 1 }));
const what = await time(() => whatIf(ps, { thresholds: { silver: 300, gold: 800 }, now }));

console.log(`store ${url} (${store.dialect}): ${members.length} members, ${ME} requests each`);
console.log('| measure | p50 ms | p95 ms | p99 ms |');
console.log('| --- | ---: | ---: | ---: |');
console.log(
  `| memberProgramme + balance | ${ms(pct(alone, 0.5))} | ${ms(pct(alone, 0.95))} | ${ms(pct(alone, 0.99))} |`,
);
console.log(
  `| GET /v1/loyalty/me (in-process) | ${ms(pct(http, 0.5))} | ${ms(pct(http, 0.95))} | ${ms(pct(http, 0.99))} |`,
);
console.log('');
console.log('| job | seconds |');
console.log('| --- | ---: |');
console.log(`| evaluateTiers, every member | ${tiers.toFixed(2)} |`);
console.log(`| refreshChallenges, every member | ${challenges.toFixed(2)} |`);
console.log(`| what-if replay (2 configurations) | ${what.toFixed(2)} |`);
await store.close();
