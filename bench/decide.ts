/**
 * Decisions after a nightly rescore.
 *
 * 1. The pure policy on N generated customers (default 1,000,000) in memory: triggers, the
 *    next-best-action policy over the catalog, the incentive budget across all of them, and the
 *    guardrails (consent, global control, suppression, quiet hours in each customer's zone,
 *    frequency budget by value) — `planDecisions`, the same function `patron decide` calls.
 * 2. The real database path on a smaller synthetic store (default 5,000 customers, SQLite):
 *    generate, import, score CLV and churn, train the recommender (cross-sell's recommendations),
 *    then `decideCustomers` with the outbox wiring, and
 *    the p50/p99 of the next-best-action query (`nextBestAction`, what the HTTP route calls).
 *
 *   npx tsx bench/decide.ts [--customers 1000000] [--db-customers 5000] [--seed 42] [--skip-db]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decideCustomers, nextBestAction, type DecideDeps } from '../src/app/decide.js';
import { outboxWiring } from '../src/app/decide-outbox.js';
import { scoreChurn, trainChurn } from '../src/app/churn.js';
import { trainRecommendations } from '../src/app/recommend.js';
import { importFile } from '../src/app/import-file.js';
import { scoreCustomers } from '../src/app/score-customers.js';
import type { ScheduledMessage } from '../src/domain/decisioning/guardrails.js';
import {
  defaultDecisioningConfig,
  planDecisions,
  type CustomerContext,
} from '../src/domain/decisioning/plan.js';
import type { ChurnDriver, CustomerState } from '../src/domain/decisioning/state.js';
import { emptyState } from '../src/domain/decisioning/state.js';
import { createRandom } from '../src/domain/random.js';
import { churnHistoryStore } from '../src/store/churn-history-repository.js';
import { churnStore } from '../src/store/churn-repository.js';
import { clvScoreStore } from '../src/store/clv-score-repository.js';
import { openStore } from '../src/store/database.js';
import { decisionIdOf, decisionRepository } from '../src/store/decision-repository.js';
import { loadDecisionStates } from '../src/app/decision-states.js';
import { eventStore } from '../src/store/event-repository.js';
import { importRunStore } from '../src/store/import-run-repository.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { orderHistoryStore } from '../src/store/order-history-repository.js';
import { loadInteractionLog } from '../src/store/recommend-history-repository.js';
import { recommendStoreFor } from '../src/store/recommend-repository.js';
import type { Tx } from '../src/store/transaction.js';
import { writeStore } from '../src/synth/index.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    'db-customers': { type: 'string', default: '5000' },
    seed: { type: 'string', default: '42' },
    'skip-db': { type: 'boolean', default: false },
  },
});
const N = Number(args.customers);
const seed = Number(args.seed);
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-04T14:00:00Z');
const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Paris',
  'Australia/Sydney',
  'Asia/Tokyo',
  'America/Denver',
];
const DRIVERS: Array<ChurnDriver | null> = ['price', 'service', 'quality', 'disengagement', null];
const CATS = ['coffee', 'tea', 'skincare', 'apparel', 'home'];

function generate(n: number): CustomerContext[] {
  const rng = createRandom(seed);
  const out: CustomerContext[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = `cus_${i.toString(36).padStart(8, '0')}`;
    const k = 1 + rng.poisson(2);
    const gap = 10 + rng.exponential(1 / 40);
    const last = NOW - rng.exponential(1 / 80) * DAY;
    const orders = Array.from({ length: k }, (_, j) => ({
      orderId: `ord_${i}_${j}`,
      at: last - (k - 1 - j) * gap * DAY,
      totalMinor: 2000 + rng.int(10_000),
      categories: [CATS[rng.int(CATS.length)]!],
    }));
    const delivered = rng.chance(0.2);
    const p = rng.beta(2, 3);
    const state: CustomerState = {
      ...emptyState(id),
      timezone: ZONES[rng.int(ZONES.length)]!,
      enrolledAt: orders[0]!.at,
      orders,
      deliveries: delivered
        ? [
            {
              orderId: orders[k - 1]!.orderId,
              at: last + 3 * DAY - rng.int(20) * DAY,
              onTime: rng.chance(0.92),
              categories: orders[k - 1]!.categories,
            },
          ]
        : [],
      tickets: rng.chance(0.03)
        ? [
            {
              ticketId: `t${i}`,
              openedAt: NOW - 5 * DAY,
              severity: rng.chance(0.3) ? 'high' : 'low',
              resolvedAt: rng.chance(0.5) ? NOW - DAY : null,
              satisfied: rng.chance(0.5),
            },
          ]
        : [],
      consents: [
        { channel: 'email', purpose: 'transactional', granted: true },
        { channel: 'email', purpose: 'marketing', granted: rng.chance(0.72) },
      ],
      churn: {
        probability: p,
        previousProbability: rng.chance(0.5) ? Math.max(0, p - rng.next() * 0.4) : null,
        driver: DRIVERS[rng.int(DRIVERS.length)]!,
        reasons: ['fewer visits than usual', 'last order late'],
        scoredAt: NOW - DAY,
        lastSeenAt: null,
      },
      clv: {
        clvMinor: Math.round(rng.gamma(1.2, 1 / 12_000)),
        probabilityAlive: 1 - p,
        expectedOrderValueMinor: 2000 + rng.int(8000),
      },
    };
    const scheduled: ScheduledMessage[] = rng.chance(0.3)
      ? [
          {
            key: `${id}:feedback_survey:x`,
            channel: 'email',
            purpose: 'feedback',
            consentPurpose: 'marketing',
            value: rng.int(500),
            sendAt: NOW + rng.int(3) * DAY,
            status: 'queued',
          },
        ]
      : [];
    out[i] = {
      state,
      input: { type: 'Rescored', at: NOW },
      scheduled,
      decided: new Set(),
      inGlobalControl: rng.chance(0.05),
    };
  }
  return out;
}

const rows: Array<[string, string]> = [];
const mem = () => `${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`;

{
  let t = performance.now();
  const contexts = generate(N);
  rows.push([
    `generate ${N.toLocaleString('en-US')} customers (inputs)`,
    `${((performance.now() - t) / 1000).toFixed(1)} s`,
  ]);
  t = performance.now();
  const plan = planDecisions(contexts, {
    config: { ...defaultDecisioningConfig, incentiveBudgetMinor: 20_000_000 },
    outcomes: new Map(),
    now: NOW,
    incentiveBudgetLeftMinor: 20_000_000,
  });
  const seconds = (performance.now() - t) / 1000;
  const counts: Record<string, number> = {};
  for (const d of plan.decisions) {
    const k = d.verdict ? d.verdict.type : 'no_action';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  rows.push([`planDecisions (triggers + policy + budget + guardrails)`, `${seconds.toFixed(1)} s`]);
  rows.push(['  decisions', plan.decisions.length.toLocaleString('en-US')]);
  rows.push([
    '  by verdict',
    Object.entries(counts)
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', '),
  ]);
  rows.push(['  per customer', `${((seconds * 1e6) / N).toFixed(1)} µs`]);
  rows.push([
    '  incentive reserved / budget',
    `${plan.incentiveReservedMinor.toLocaleString('en-US')} / 20,000,000`,
  ]);
  rows.push(['  memory (rss)', mem()]);
}

if (!args['skip-db']) {
  const customers = Number(args['db-customers']);
  const dir = path.join('.patron', 'bench', `decide-${customers}-${seed}`);
  const dbFile = path.join(dir, 'patron.db');
  fs.rmSync(dbFile, { force: true });
  fs.rmSync(`${dbFile}-wal`, { force: true });
  if (!fs.existsSync(path.join(dir, 'events.jsonl'))) await writeStore(dir, { customers, seed });
  const store = openStore(`sqlite:${dbFile}`);
  await migrateToLatest(store);
  let t = performance.now();
  await importFile({
    path: path.join(dir, 'events.jsonl'),
    format: 'events-jsonl',
    events: eventStore(store),
    runs: importRunStore(store),
    currency: { baseCurrency: 'USD', rates: { EUR: 1.087, GBP: 1.266 } },
    now: () => new Date(),
  });
  rows.push([
    `DB: import ${customers.toLocaleString('en-US')}-customer store`,
    `${((performance.now() - t) / 1000).toFixed(1)} s`,
  ]);
  const scoredAt = new Date('2027-01-04T02:00:00Z');
  t = performance.now();
  const clv = await scoreCustomers(orderHistoryStore(store), clvScoreStore(store), {
    scoredAt: scoredAt.toISOString(),
    currency: 'USD',
  });
  if (!clv.ok) throw new Error(clv.error.message);
  const trained = await trainChurn(churnHistoryStore(store), churnStore(store), { now: scoredAt, seed });
  if (!trained.ok) throw new Error(trained.error.message);
  const churn = await scoreChurn(churnHistoryStore(store), churnStore(store), { now: scoredAt });
  if (!churn.ok) throw new Error(churn.error.message);
  rows.push([
    'DB: nightly rescore (CLV + churn train + churn score)',
    `${((performance.now() - t) / 1000).toFixed(1)} s`,
  ]);
  t = performance.now();
  const recommender = await trainRecommendations(
    { load: (o) => loadInteractionLog(store, o) },
    recommendStoreFor(store),
    { now: scoredAt },
  );
  if (!recommender.ok) throw new Error(recommender.error.message);
  rows.push([
    'DB: recommend train (the cross-sell signal)',
    `${((performance.now() - t) / 1000).toFixed(1)} s`,
  ]);
  const now = new Date('2027-01-04T14:00:00Z');
  const wiring = await outboxWiring(store, defaultDecisioningConfig, { now, journeyHoldout: 0.1 });
  const deps: DecideDeps<Tx> = {
    loadStates: (o) => loadDecisionStates(store, o),
    decisions: decisionRepository(store),
    config: defaultDecisioningConfig,
    ...wiring,
  };
  t = performance.now();
  let cpu = process.cpuUsage();
  const summary = await decideCustomers(deps, { now, decisionIdOf });
  const dbSeconds = (performance.now() - t) / 1000;
  const cpuSeconds = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1e6).toFixed(2);
  rows.push([
    `DB: decideCustomers for ${summary.customers.toLocaleString('en-US')} customers (load, decide, store, enqueue)`,
    `${dbSeconds.toFixed(2)} s (CPU ${cpuSeconds(process.cpuUsage(cpu))} s, load ${os.loadavg()[0]!.toFixed(2)})`,
  ]);
  rows.push([
    '  by action',
    Object.entries(summary.byAction)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ]);
  rows.push([
    '  decisions stored / messages enqueued / tasks',
    `${summary.stored} / ${summary.messages} / ${summary.tasks}`,
  ]);
  rows.push([
    '  by status',
    Object.entries(summary.byStatus)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  ]);
  const ids = (
    await store.db.selectFrom('customers').select('id').where('merged_into', 'is', null).execute()
  ).map((r) => r.id);
  const rng = createRandom(seed);
  for (let i = 0; i < 50; i++) await nextBestAction(deps, ids[rng.int(ids.length)]!, now); // warm-up
  const times: number[] = [];
  cpu = process.cpuUsage();
  for (let i = 0; i < 1000; i++) {
    const id = ids[rng.int(ids.length)]!;
    const s = performance.now();
    await nextBestAction(deps, id, now);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
  rows.push([
    'DB: next-best-action, 1,000 random customers',
    `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms (CPU ${cpuSeconds(process.cpuUsage(cpu))} s, load ${os.loadavg()[0]!.toFixed(2)})`,
  ]);
  await store.close();
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`| ${'step'.padEnd(w)} | result |`);
console.log(`| ${'-'.repeat(w)} | ------ |`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
