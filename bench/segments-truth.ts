/**
 * Segments, advocacy and timing end to end on the synthetic store, against its ground truth:
 * generate (or reuse) a store, import it into SQLite, time loading the signals and each run
 * (segments + clusters, advocacy, timing — through the database), then print
 *   - the named segments against the true churn (churned customers should be in the lapsed segments),
 *   - the share of customers whose best send hour is within 2 h of their true preferred hour,
 *   - the advocacy score's AUC and precision@k for community members, referrers and promoters,
 *   - the learned review time-to-value per category.
 *
 *   npx tsx bench/segments-truth.ts [--customers N] [--seed S] [--dir DIR]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeAdvocacy } from '../src/app/advocacy.js';
import { computeSegmentsRun } from '../src/app/segments.js';
import { computeTiming } from '../src/app/timing.js';
import { precisionAtK, rocAuc } from '../src/domain/models/evaluate/metrics.js';
import { SEGMENTS } from '../src/domain/models/segments/rfm.js';
import { advocacyStore } from '../src/store/advocacy-repository.js';
import { loadCustomerSignals } from '../src/store/customer-signals-repository.js';
import { segmentStore } from '../src/store/segment-repository.js';
import { timingStore } from '../src/store/timing-repository.js';
import type { CustomerTruth } from '../src/synth/simulator.js';
import { openSyntheticStore } from './support/synthetic-store.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '42' },
    dir: { type: 'string' },
  },
});
const customers = Number(args.customers);
const seed = Number(args.seed);
const dir = args.dir ?? path.join('.patron', 'bench', `segments-${customers}-${seed}`);

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
};

const store = await openSyntheticStore({ dir, customers, seed });
const now = new Date();
const [signals, loadS] = await time(() => loadCustomerSignals(store));
const cached = { load: async () => signals };
const [segs, segS] = await time(() => computeSegmentsRun(cached, segmentStore(store), { now, seed }));
if (!segs.ok) throw new Error(segs.error.message);
const [adv, advS] = await time(() => computeAdvocacy(cached, advocacyStore(store), { now }));
const [tim, timS] = await time(() => computeTiming(cached, timingStore(store), { now }));

const truth = fs
  .readFileSync(path.join(dir, 'ground-truth.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CustomerTruth);
const users = new Map(
  (
    await store.db
      .selectFrom('customers')
      .select(['id', 'user_id'])
      .where('merged_into', 'is', null)
      .execute()
  ).map((r) => [r.user_id, r.id]),
);
const members = new Map((await segmentStore(store).memberships()).map((m) => [m.customer_id, m.segment]));
const advocacy = new Map(
  (await store.db.selectFrom('customer_advocacy').select(['customer_id', 'score']).execute()).map((r) => [
    r.customer_id,
    Number(r.score),
  ]),
);
const timing = new Map(
  (await store.db.selectFrom('customer_timing').selectAll().execute()).map((r) => [r.customer_id, r]),
);
await store.close();

const n = (v: number): string => v.toLocaleString('en-US');
const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
console.log(`segments, advocacy and timing on the synthetic store: ${n(customers)} customers, seed ${seed}`);
console.log('');
console.log('| step (SQLite, through the database) | customers | seconds |');
console.log('| --- | ---: | ---: |');
console.log(`| load signals (orders, lines, updates, events) | ${n(signals.length)} | ${loadS.toFixed(2)} |`);
console.log(
  `| segments compute: RFM + k-means (k = ${segs.value.k}) + store memberships | ${n(segs.value.customers)} | ${segS.toFixed(2)} |`,
);
console.log(`| advocacy compute + store | ${n(adv.customers)} | ${advS.toFixed(2)} |`);
console.log(
  `| timing compute (send times, channel, review requests) + store | ${n(tim.customers)} | ${timS.toFixed(2)} |`,
);
console.log('');

// Segments against the true churn.
const LAPSED = new Set(['At Risk', 'Hibernating', 'Lost', 'Cannot Lose']);
const table = new Map<string, { churned: number; active: number }>(
  SEGMENTS.map((s) => [s, { churned: 0, active: 0 }]),
);
let churned = 0;
let active = 0;
let churnedLapsed = 0;
let activeLapsed = 0;
let churnedSleep = 0;
let longGone = 0;
let longGoneLapsed = 0;
const asOfMs = Date.parse(segs.value.asOf);
for (const g of truth) {
  const seg = members.get(users.get(g.userId) ?? '');
  if (seg === undefined) continue;
  const row = table.get(seg)!;
  if (g.churned) {
    row.churned++;
    churned++;
    if (LAPSED.has(seg)) churnedLapsed++;
    if (seg === 'About to Sleep') churnedSleep++;
    if (g.churnTime !== null && Date.parse(g.churnTime) <= asOfMs - 180 * 86_400_000) {
      longGone++;
      if (LAPSED.has(seg)) longGoneLapsed++;
    }
  } else {
    row.active++;
    active++;
    if (LAPSED.has(seg)) activeLapsed++;
  }
}
console.log(
  `RFM segments as of ${segs.value.asOf} against the true churn (churned = dropped out within the horizon):`,
);
console.log('');
console.log('| segment | customers | churned | active | share churned |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [s, r] of table)
  console.log(
    `| ${s} | ${n(r.churned + r.active)} | ${n(r.churned)} | ${n(r.active)} | ${r.churned + r.active ? pct(r.churned / (r.churned + r.active)) : '—'} |`,
  );
console.log('');
console.log(
  `churned customers in At Risk / Hibernating / Lost / Cannot Lose: ${pct(churnedLapsed / churned)} (with About to Sleep ${pct((churnedLapsed + churnedSleep) / churned)}); active customers there: ${pct(activeLapsed / active)}`,
);
console.log(
  `customers who churned 180 days or more before the as-of time: ${n(longGone)}, of whom ${pct(longGoneLapsed / longGone)} are in At Risk / Hibernating / Lost / Cannot Lose`,
);
console.log(
  `clusters (silhouette ${segs.value.silhouettes.map((s) => `k=${s.k} ${s.silhouette.toFixed(3)}`).join(', ')}):`,
);
for (const c of segs.value.clusters) console.log(`  ${c.cluster}: ${n(c.size)} — ${c.description}`);
console.log('');

// Send time against the true preferred hour.
const circ = (a: number, b: number): number => {
  const d = Math.abs(a - b) % 24;
  return Math.min(d, 24 - d);
};
const buckets = [
  [1, 4],
  [5, 9],
  [10, 19],
  [20, 1e9],
] as const;
console.log(
  `send time: prior strength α = ${tim.priorStrength.toFixed(1)} pseudo-responses; store-wide best ${tim.storeBest.weekday} ${tim.storeBest.hour}:00`,
);
console.log('');
console.log(
  '| opens | customers | within 2 h (Patron) | within 2 h (store-wide hour for all) | mean abs error (h) |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [lo, hi] of buckets) {
  let k = 0;
  let close = 0;
  let closeStore = 0;
  let err = 0;
  for (const g of truth) {
    const row = timing.get(users.get(g.userId) ?? '');
    if (!row || row.opens < lo || row.opens > hi) continue;
    const target = Math.min(23.5, Math.max(6.5, g.preferredHour));
    const d = circ(Number(row.best_local_hour) + 0.5, target);
    k++;
    err += d;
    if (d <= 2) close++;
    if (circ(tim.storeBest.hour + 0.5, target) <= 2) closeStore++;
  }
  console.log(
    `| ${lo}–${hi >= 1e9 ? '∞' : hi} | ${n(k)} | ${k ? pct(close / k) : '—'} | ${k ? pct(closeStore / k) : '—'} | ${k ? (err / k).toFixed(2) : '—'} |`,
  );
}
console.log(
  `preferred channel: ${Object.entries(tim.channels)
    .map(([c, k]) => `${c} ${n(k)}`)
    .join(', ')}`,
);
console.log('');

// Advocacy against the truth.
const referrers = new Set(truth.map((g) => g.referredBy).filter((x): x is string => x !== null));
const flags: Array<[string, (g: CustomerTruth) => boolean]> = [
  ['community member', (g) => g.communityMember],
  ['referrer', (g) => referrers.has(g.userId)],
  ['promoter (happiness ≥ 0.85)', (g) => g.happiness >= 0.85],
  ['any of the three', (g) => g.communityMember || referrers.has(g.userId) || g.happiness >= 0.85],
];
const scores = truth.map((g) => advocacy.get(users.get(g.userId) ?? '') ?? 0);
console.log('| advocacy vs truth | positives | AUC | precision@100 | precision@k (k = positives) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, f] of flags) {
  const labels = truth.map((g) => (f(g) ? 1 : 0));
  const pos = labels.reduce<number>((s, v) => s + v, 0);
  console.log(
    `| ${name} | ${n(pos)} (${pct(pos / truth.length)}) | ${rocAuc(labels, scores).toFixed(3)} | ${precisionAtK(labels, scores, 100).toFixed(3)} | ${precisionAtK(labels, scores, pos).toFixed(3)} |`,
  );
}
console.log('');
console.log('| category | reviews | median days | default | used (shrunk) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const c of tim.timeToValue)
  console.log(
    `| ${c.category} | ${n(c.reviews)} | ${c.medianDays === null ? '—' : c.medianDays.toFixed(2)} | ${c.defaultDays} | ${c.days.toFixed(2)} |`,
  );
