/**
 * Segments + clusters + send times at scale, in memory: a store of N customers and about 10·N
 * orders generated as typed arrays (no database), then timed
 *   1. aggregating the orders into per-customer columns (recency, frequency, monetary, AOV, discount
 *      share, category breadth),
 *   2. RFM quintiles + named segments + k-means (k by sampled silhouette, refined on every row),
 *   3. send times: local hour of week of every open (time zones, DST), the store pattern, the
 *      fitted prior strength and each customer's best hour, weekday and channel.
 * It also prints how often the best hour is within 2 h of the generated preferred hour.
 *
 *   npx tsx bench/segments.ts [--customers 1000000] [--orders-per-customer 10] [--seed 1]
 *
 * The database figure (a smaller store end to end through SQLite) is bench/segments-truth.ts.
 */
import { parseArgs } from 'node:util';
import { computeSegments } from '../src/domain/models/segments/compute.js';
import { SEGMENTS } from '../src/domain/models/segments/rfm.js';
import { computeSendTimes, responseTypeIndex } from '../src/domain/models/timing/compute.js';
import { nextLocalTime } from '../src/domain/models/timing/local-time.js';
import { createRandom } from '../src/domain/random.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    'orders-per-customer': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
  },
});
const N = Number(args.customers);
const perCustomer = Number(args['orders-per-customer']);
const rnd = createRandom(Number(args.seed));
const DAY = 86_400_000;
const start = Date.parse('2025-01-06T00:00:00Z');
const end = start + 728 * DAY;
const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Paris',
  'Australia/Sydney',
  'Asia/Tokyo',
];
const CATEGORIES = 8;

const t = (): number => performance.now();
const secs = (from: number): string => ((performance.now() - from) / 1000).toFixed(2);

// --- generate (not timed as part of the figure) -----------------------------------------------
let t0 = t();
const counts = new Int32Array(N);
let totalOrders = 0;
for (let i = 0; i < N; i++) {
  // 1 + a geometric number of repeat orders with mean perCustomer − 1.
  const p = 1 / perCustomer;
  const k = 1 + Math.floor(Math.log(1 - rnd.next()) / Math.log(1 - p));
  counts[i] = Math.min(k, 200);
  totalOrders += counts[i]!;
}
const orderCustomer = new Int32Array(totalOrders);
const orderAt = new Float64Array(totalOrders);
const orderTotal = new Float64Array(totalOrders);
const orderDiscounted = new Uint8Array(totalOrders);
const orderCategory = new Uint8Array(totalOrders);
const zone = new Int32Array(N);
const preferredHour = new Float64Array(N);
const visits = new Float64Array(N);
const reviews = new Float64Array(N);
const tickets = new Float64Array(N);
let j = 0;
for (let i = 0; i < N; i++) {
  const first = start + rnd.next() * 364 * DAY;
  const span = rnd.next() * (end - first);
  const spend = rnd.gamma(3.5, 3.5 / 6000);
  const dealSeeker = rnd.chance(0.12);
  const home = rnd.int(CATEGORIES);
  const k = counts[i]!;
  for (let o = 0; o < k; o++, j++) {
    orderCustomer[j] = i;
    orderAt[j] = first + (k === 1 ? 0 : (span * o) / (k - 1));
    orderTotal[j] = Math.round(rnd.gamma(6, 6 / spend));
    orderDiscounted[j] = rnd.chance(dealSeeker ? 0.6 : 0.1) ? 1 : 0;
    orderCategory[j] = rnd.chance(0.7) ? home : rnd.int(CATEGORIES);
  }
  zone[i] = rnd.int(ZONES.length);
  preferredHour[i] = Math.min(23.5, Math.max(6.5, rnd.normal(19, 2.5)));
  visits[i] = rnd.poisson(3 * k);
  reviews[i] = rnd.poisson(0.1 * k);
  tickets[i] = rnd.poisson(0.05 * k);
}
// Opens: Poisson(8) per customer at the preferred local hour ± 1.5 h, on weekly campaigns.
const openStart = new Int32Array(N + 1);
const opensPer = new Int32Array(N);
let totalOpens = 0;
for (let i = 0; i < N; i++) {
  opensPer[i] = rnd.poisson(8);
  totalOpens += opensPer[i]!;
}
const openAt = new Float64Array(totalOpens);
const openType = new Uint8Array(totalOpens);
let e = 0;
const openIdx = responseTypeIndex('email', 'open');
const clickIdx = responseTypeIndex('email', 'click');
for (let i = 0; i < N; i++) {
  openStart[i] = e;
  const z = ZONES[zone[i]!]!;
  for (let k = 0; k < opensPer[i]!; k++, e++) {
    const week = start + rnd.int(104) * 7 * DAY + DAY + 15 * 3_600_000;
    const hour = Math.min(23.5, Math.max(6.5, rnd.normal(preferredHour[i]!, 1.5)));
    openAt[e] =
      nextLocalTime(z, week + rnd.next() * 2 * DAY, Math.floor(hour), null) + (hour % 1) * 3_600_000;
    openType[e] = rnd.chance(0.22) ? clickIdx : openIdx;
  }
}
openStart[N] = e;
console.log(
  `generated ${N.toLocaleString('en-US')} customers, ${totalOrders.toLocaleString('en-US')} orders, ${totalOpens.toLocaleString('en-US')} opens/clicks in ${secs(t0)} s`,
);

// --- 1. aggregate orders ----------------------------------------------------------------------
const asOf = end;
t0 = t();
const lastOrderAt = new Float64Array(N);
const firstOrderAt = new Float64Array(N).fill(Infinity);
const frequency = new Float64Array(N);
const monetary = new Float64Array(N);
const discounted = new Float64Array(N);
const catMask = new Int32Array(N);
for (let o = 0; o < totalOrders; o++) {
  const c = orderCustomer[o]!;
  const at = orderAt[o]!;
  if (at > lastOrderAt[c]!) lastOrderAt[c] = at;
  if (at < firstOrderAt[c]!) firstOrderAt[c] = at;
  frequency[c]!++;
  monetary[c] = monetary[c]! + orderTotal[o]!;
  discounted[c] = discounted[c]! + orderDiscounted[o]!;
  catMask[c] = catMask[c]! | (1 << orderCategory[o]!);
}
const tenure = new Float64Array(N);
const categories = new Float64Array(N);
const emailOpens = new Float64Array(N);
for (let i = 0; i < N; i++) {
  tenure[i] = (asOf - firstOrderAt[i]!) / DAY;
  let m = catMask[i]!;
  let b = 0;
  while (m) {
    m &= m - 1;
    b++;
  }
  categories[i] = b;
  emailOpens[i] = opensPer[i]!;
}
const aggS = secs(t0);

// --- 2. segments + clusters -------------------------------------------------------------------
t0 = t();
const run = computeSegments(
  {
    rows: N,
    orders: frequency,
    tenureDays: tenure,
    orderTotalMinor: monetary,
    discountedOrders: discounted,
    categories,
    emailOpens,
    visits,
    reviews,
    tickets,
    lastOrderAt,
    monetaryMinor: monetary,
  },
  asOf,
  createRandom(7),
);
const segS = secs(t0);

// --- 3. send times ----------------------------------------------------------------------------
t0 = t();
const times = computeSendTimes({
  customers: N,
  start: openStart,
  at: openAt,
  type: openType,
  zone,
  zones: ZONES,
});
const timeS = secs(t0);

let withOpens = 0;
let close = 0;
for (let i = 0; i < N; i++) {
  if (opensPer[i]! < 5) continue;
  withOpens++;
  const d = Math.abs(times.bestHour[i]! + 0.5 - preferredHour[i]!) % 24;
  if (Math.min(d, 24 - d) <= 2) close++;
}
const segCounts = new Map<string, number>();
for (let i = 0; i < N; i++) {
  const s = SEGMENTS[run.segment[i]!]!;
  segCounts.set(s, (segCounts.get(s) ?? 0) + 1);
}
const total = Number(aggS) + Number(segS) + Number(timeS);
console.log('');
console.log('| step | rows | seconds |');
console.log('| --- | ---: | ---: |');
console.log(
  `| aggregate orders into per-customer columns | ${totalOrders.toLocaleString('en-US')} orders | ${aggS} |`,
);
console.log(
  `| RFM quintiles + 11 segments + k-means (k = ${run.clusters.k} by sampled silhouette, refined on all rows) | ${N.toLocaleString('en-US')} customers | ${segS} |`,
);
console.log(
  `| send times: local hour of week, prior strength (α = ${times.model.priorStrength.toFixed(1)}), best hour, weekday, channel | ${totalOpens.toLocaleString('en-US')} responses | ${timeS} |`,
);
console.log(`| **total** | | **${total.toFixed(2)}** |`);
console.log('');
console.log(
  `best hour within 2 h of the generated preferred hour (customers with ≥ 5 opens): ${((100 * close) / withOpens).toFixed(1)} % of ${withOpens.toLocaleString('en-US')}`,
);
console.log(`segments: ${[...segCounts].map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(', ')}`);
console.log(
  `clusters: ${run.clusters.clusters.map((c) => `${c.size.toLocaleString('en-US')} "${c.description}"`).join('; ')}`,
);
console.log(
  `heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
