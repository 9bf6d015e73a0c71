/**
 * Recommendation and replenishment benchmark.
 *
 *   npx tsx bench/recommend.ts [--customers N] [--seed S] [--dir DIR] [--requests R]
 *   npx tsx bench/recommend.ts --scale [--scale-customers 1000000] [--scale-orders 10000000] [--products 232]
 *
 * Store mode: generate (or reuse) the synthetic store, import it into SQLite, then time loading the
 * interaction log and training (`patron recommend train`), run the offline evaluation (leave the
 * last order out), compare the learned replenishment intervals with the catalog's ground truth per
 * category, and time R in-process `GET /v1/customers/{id}/recommendations` requests (p50/p95/p99)
 * over random customers and placements.
 *
 * Scale mode: a synthetic interaction log of N customers and M orders built in memory with typed
 * arrays (customers prefer 1–3 categories; products drawn by popularity), then the item similarities
 * (co-purchase and bought together) and the replenishment intervals are timed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey } from '../src/app/api-keys.js';
import { evaluateRecommendationModels, trainRecommendations } from '../src/app/recommend.js';
import type { InteractionLog } from '../src/domain/models/recommend/history.js';
import { DEFAULT_RECOMMENDER_PARAMS } from '../src/domain/models/recommend/model.js';
import { learnReplenishment } from '../src/domain/models/recommend/replenishment.js';
import { basketsFromEntries, itemSimilarities } from '../src/domain/models/recommend/similarity.js';
import { createRandom } from '../src/domain/random.js';
import { createApp } from '../src/server/app.js';
import { apiKeyStore } from '../src/store/api-key-repository.js';
import { eventStore } from '../src/store/event-repository.js';
import { loadInteractionLog } from '../src/store/recommend-history-repository.js';
import { recommendStore } from '../src/store/recommend-repository.js';
import { settingsStore } from '../src/store/settings-repository.js';
import { categorySpecs } from '../src/synth/catalog.js';
import { openSyntheticStore } from './support/synthetic-store.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    dir: { type: 'string' },
    requests: { type: 'string', default: '2000' },
    scale: { type: 'boolean', default: false },
    'scale-customers': { type: 'string', default: '1000000' },
    'scale-orders': { type: 'string', default: '10000000' },
    products: { type: 'string', default: '232' },
  },
});

const time = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
};
const loadAverage = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const percentiles = (name: string, xs: number[]): Record<string, string | number> => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { measure: name, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1]! };
};
/** Wall-clock and CPU seconds of a step (the box is shared: CPU time is what the step costs). */
const timed = async <T>(fn: () => Promise<T> | T): Promise<[T, number, number]> => {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return [r, (performance.now() - t) / 1000, (c.user + c.system) / 1e6];
};
const table = (rows: Array<Record<string, string | number>>): void => {
  const cols = Object.keys(rows[0] ?? {});
  const fmt = (v: string | number): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(3)) : v;
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(width[i] ?? 0)).join(' | ')} |`;
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => fmt(r[c] ?? ''))));
  console.log();
};

if (args.scale) await scale();
else await storeBench();

async function storeBench(): Promise<void> {
  const customers = Number(args.customers);
  const seed = Number(args.seed);
  const dir = args.dir ?? path.join('.patron', 'bench', `recommend-${customers}-${seed}`);
  const store = await openSyntheticStore({ dir, customers, seed });
  const [log, loadS] = await time(() => loadInteractionLog(store));
  const cached = { load: async () => log };
  const [trained, trainS] = await time(() =>
    trainRecommendations(cached, recommendStore(store), { now: new Date() }),
  );
  if (!trained.ok) throw new Error(trained.error.message);
  const [evaluation, evalS] = await time(() => evaluateRecommendationModels(cached));
  if (!evaluation.ok) throw new Error(evaluation.error.message);
  console.log(`\nSynthetic store: ${customers.toLocaleString('en-US')} customers, seed ${seed} (${dir})\n`);
  table([
    {
      step: 'load interaction log (SQLite)',
      rows: log.purchases.item.length + log.views.item.length,
      seconds: loadS,
    },
    {
      step: 'train + store (recommend train)',
      rows: trained.value.neighbourRows.co_purchase,
      seconds: trainS,
    },
    { step: 'offline evaluation', rows: evaluation.value.testCustomers, seconds: evalS },
  ]);
  const e = evaluation.value;
  console.log(
    `Offline evaluation: ${e.testCustomers.toLocaleString('en-US')} customers with ≥ 2 orders, last order held out; catalog ${e.catalogSize}; ${(e.repeatShare * 100).toFixed(1)}% of held-out products were bought by the customer before.\n`,
  );
  table(
    e.results.map((r) => ({
      recommender: r.name,
      [`HR@${e.k}`]: r.hitRate,
      [`NDCG@${e.k}`]: r.ndcg,
      coverage: r.coverage,
      [`new-item HR@${e.k}`]: r.newItemHitRate,
    })),
  );

  // Replenishment against the catalog's ground truth.
  const repl = learnReplenishment(
    log.purchases,
    log.products.length,
    log.products.map((x) => x.category),
  );
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0
      ? NaN
      : s.length % 2
        ? s[s.length >> 1]!
        : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const rows = categorySpecs.map((spec) => {
    const cat = repl.categories.find((c) => c.category === spec.name);
    const items = log.products.flatMap((p, i) => (p.category === spec.name ? [i] : []));
    const learned = items.flatMap((i) => (repl.intervals[i] ? [repl.intervals[i]!] : []));
    const own = learned.filter((i) => i.source === 'product');
    const truthDays = spec.replenishmentDays;
    const err = (x: number): number => (truthDays === null ? NaN : x - truthDays);
    const d = (x: number): string | number => (Number.isFinite(x) ? Math.round(x * 10) / 10 : '—');
    return {
      category: spec.name,
      'true days': truthDays ?? '—',
      'pooled gaps': cat?.statistics?.gaps ?? 0,
      'median gap': d(cat?.statistics?.medianDays ?? NaN),
      'mode (interval)': d(cat?.statistics?.modeDays ?? NaN),
      concentration: cat?.statistics?.concentration ?? 0,
      z: cat?.statistics?.cyclicZ ?? 0,
      cyclic: cat?.cyclic ? 'yes' : 'no',
      'products own / category': `${own.length} / ${learned.length - own.length}`,
      'category error (days)': cat?.cyclic ? d(err(cat.statistics!.modeDays)) : '—',
      'own-interval median abs error': own.length
        ? d(med(own.map((i) => Math.abs(err(i.intervalDays)))))
        : '—',
    };
  });
  console.log(
    `Replenishment intervals against the catalog's replenishmentDays (quantity elasticity β = ${repl.quantityElasticity.toFixed(3)} over ${repl.elasticityPairs} gaps):\n`,
  );
  table(rows);

  // Request latency, in process.
  const keys = apiKeyStore(store);
  const secret = (
    await createApiKey(keys, { name: 'bench', scopes: ['read'], now: new Date().toISOString() })
  ).secret;
  const app = createApp({
    store,
    events: eventStore(store),
    settings: settingsStore(store),
    keys,
    now: () => new Date(`${trained.value.asOf}T12:00:00Z`),
    maxBodyBytes: 500_000,
    log: () => {},
  });
  const users = (
    await store.db.selectFrom('customers').select('user_id').where('user_id', 'is not', null).execute()
  ).map((r) => r.user_id as string);
  const rng = createRandom(seed);
  const placements = ['post_purchase', 'email', 'home'];
  const requests = Number(args.requests);
  const lat: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < requests + 200; i++) {
    const u = users[rng.int(users.length)]!;
    const c0 = process.cpuUsage();
    const t = performance.now();
    const res = await app.request(
      `/v1/customers/${encodeURIComponent(u)}/recommendations?placement=${placements[i % 3]}&limit=10`,
      { headers: { authorization: `Bearer ${secret}` } },
    );
    await res.json();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    if (i >= 200) {
      // the first 200 warm the statement cache and JIT
      lat.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  console.log(
    `GET /v1/customers/{id}/recommendations, ${requests} requests in process after 200 warm-up (ms); load average ${loadAverage()} on ${os.cpus().length} cores:\n`,
  );
  table([percentiles('wall clock', lat), percentiles('CPU time of the process', cpu)]);
  await store.close();
}

async function scale(): Promise<void> {
  const nCustomers = Number(args['scale-customers']);
  const nOrders = Number(args['scale-orders']);
  const nProducts = Number(args.products);
  const rng = createRandom(7);
  const [log, genS, genC] = await timed(() => syntheticLog(nCustomers, nOrders, nProducts, rng));
  const p = DEFAULT_RECOMMENDER_PARAMS;
  const opts = { alpha: p.alpha, shrinkage: p.shrinkage, topK: p.topK, minSupport: p.minSupport };
  const [, cfS, cfC] = await timed(() =>
    itemSimilarities(basketsFromEntries(nProducts, log.purchases.customer, log.purchases.item), opts),
  );
  const [, fbtS, fbtC] = await timed(() =>
    itemSimilarities(basketsFromEntries(nProducts, log.purchases.order, log.purchases.item), opts),
  );
  const [repl, replS, replC] = await timed(() =>
    learnReplenishment(
      log.purchases,
      nProducts,
      log.products.map((x) => x.category),
    ),
  );
  console.log(
    `\nIn memory: ${nCustomers.toLocaleString('en-US')} customers, ${nOrders.toLocaleString('en-US')} orders, ${log.purchases.item.length.toLocaleString('en-US')} order lines, ${nProducts} products; load average ${loadAverage()} on ${os.cpus().length} cores\n`,
  );
  table([
    { step: 'generate the log (typed arrays)', 'wall s': genS, 'CPU s': genC },
    { step: 'co-purchase similarities (customer baskets)', 'wall s': cfS, 'CPU s': cfC },
    { step: 'bought-together similarities (order baskets)', 'wall s': fbtS, 'CPU s': fbtC },
    { step: 'replenishment intervals', 'wall s': replS, 'CPU s': replC },
    { step: 'similarities + replenishment', 'wall s': cfS + fbtS + replS, 'CPU s': cfC + fbtC + replC },
  ]);
  console.log(
    `${repl.intervals.filter((x) => x !== null).length} of ${nProducts} products with an interval; the generator's cycles are a timing load, not a ground truth (the synthetic store's is checked above).`,
  );
}

/** Cycles of the consumable categories in the scale generator (days; the catalog's). */
function cycleOf(category: number): number | null {
  return categorySpecs[category]?.replenishmentDays ?? null;
}

/**
 * N customers, M orders (about M/N each, geometric): 1–3 preferred categories (80 % of picks),
 * products by a Gamma(0.8) popularity; a third of the customers whose first preferred category is
 * a consumable one are replenishers of one product of it (Erlang-8 gaps with the category's cycle,
 * the product in 85 % of their orders); everyone else has exponential gaps with a mean of 60 days.
 */
function syntheticLog(
  nCustomers: number,
  nOrders: number,
  nProducts: number,
  rng: ReturnType<typeof createRandom>,
): InteractionLog {
  const cats = categorySpecs.map((c) => c.name);
  const productCat = Int32Array.from({ length: nProducts }, (_, i) => i % cats.length);
  const byCat = cats.map((_, c) =>
    Array.from({ length: nProducts }, (_, i) => i).filter((i) => productCat[i] === c),
  );
  const cum = byCat.map((items) => {
    let acc = 0;
    return items.map(() => (acc += 0.05 + rng.gamma(0.8, 1)));
  });
  const pick = (c: number): number => {
    const cs = cum[c]!;
    const u = rng.next() * cs[cs.length - 1]!;
    let lo = 0;
    let hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cs[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return byCat[c]![lo]!;
  };
  const cap = Math.ceil(nOrders * 3.2);
  const customer = new Int32Array(cap);
  const order = new Int32Array(cap);
  const item = new Int32Array(cap);
  const day = new Int32Array(cap);
  const quantity = new Int32Array(cap);
  let n = 0;
  let o = 0;
  const mean = nOrders / nCustomers;
  for (let c = 0; c < nCustomers && o < nOrders; c++) {
    const prefs = Array.from({ length: 1 + rng.int(3) }, () => rng.int(cats.length));
    const orders =
      c === nCustomers - 1 ? nOrders - o : 1 + Math.floor(rng.exponential(1 / (mean - 1 + 1e-9)));
    const cycle = cycleOf(prefs[0]!);
    const staple = cycle !== null && rng.chance(1 / 3) ? pick(prefs[0]!) : -1;
    let d = rng.int(365);
    for (let k = 0; k < orders && o < nOrders; k++, o++) {
      const lines = 1 + rng.int(4);
      const seen = new Set<number>();
      for (let l = 0; l < lines && n < cap; l++) {
        const it =
          l === 0 && staple >= 0 && rng.chance(0.85)
            ? staple
            : pick(rng.chance(0.8) ? prefs[rng.int(prefs.length)]! : rng.int(cats.length));
        if (seen.has(it)) continue;
        seen.add(it);
        customer[n] = c;
        order[n] = o;
        item[n] = it;
        day[n] = d;
        quantity[n++] = 1 + rng.int(2);
      }
      d += Math.max(1, Math.round(staple >= 0 ? rng.gamma(8, 8 / cycle!) : rng.exponential(1 / 60)));
    }
  }
  return {
    products: Array.from({ length: nProducts }, (_, i) => ({
      productId: `p${i}`,
      name: null,
      category: cats[productCat[i]!]!,
      priceMinor: null,
    })),
    customerIds: [],
    purchases: {
      customer: customer.subarray(0, n),
      order: order.subarray(0, n),
      item: item.subarray(0, n),
      day: day.subarray(0, n),
      quantity: quantity.subarray(0, n),
    },
    views: { customer: new Int32Array(0), item: new Int32Array(0), day: new Int32Array(0) },
    orderIds: [],
  };
}
