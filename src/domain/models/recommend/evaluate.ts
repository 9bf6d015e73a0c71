/**
 * Offline evaluation on a time split: each customer's last order (customers with at least two)
 * is held out; the model is trained on everything else, and each customer's views from the day
 * before that order on are dropped as well (the order's own browsing session would give the
 * answer away). A recommender then lists K products as of the held-out order's day, from that
 * customer's earlier orders and views; it is judged against the products of the held-out order.
 *
 *   hit rate@K  = share of test customers with at least one held-out product in their top K
 *   NDCG@K      = mean over customers of DCG / IDCG, DCG = Σ_{rank r ≤ K, item relevant} 1 / log2(r + 1),
 *                 IDCG the DCG of a perfect list (min(K, |held-out products|) hits first)
 *   coverage    = distinct products recommended to anyone / products in the catalog
 *   new-item hit rate@K = hit rate counting only held-out products the customer had never bought
 *
 * Other customers' later purchases stay in the training data (leave-last-out, as in most of the
 * literature); popularity is counted over all training data for the same reason.
 */
import { customerRanges, type InteractionLog } from './history.js';
import {
  DEFAULT_RECOMMENDER_PARAMS,
  modelSource,
  trainRecommender,
  type RecommenderParams,
} from './model.js';
import { rankRecommendations, type CustomerSignals, type Placement } from './rank.js';
import { customerReplenishment } from './replenishment.js';

export interface RecommenderMetrics {
  readonly name: string;
  readonly hitRate: number;
  readonly ndcg: number;
  readonly coverage: number;
  readonly newItemHitRate: number;
}

export interface RecommendationEvaluation {
  readonly k: number;
  readonly testCustomers: number;
  readonly catalogSize: number;
  /** Share of held-out products the customer had bought before (repeat purchases). */
  readonly repeatShare: number;
  readonly results: readonly RecommenderMetrics[];
}

export interface EvaluationOptions {
  readonly k?: number;
  readonly params?: RecommenderParams;
  readonly diversityShare?: number;
  readonly placement?: Placement;
}

export interface TestCase {
  readonly customer: number;
  readonly day: number;
  readonly heldOut: Set<number>;
  readonly seenBefore: Set<number>;
}

/** Splits the log: training log (held-out orders and session views removed) and the test cases. */
export function leaveLastOrderOut(log: InteractionLog): { train: InteractionLog; tests: TestCase[] } {
  const { purchases, views } = log;
  const n = log.customerIds.length;
  const pr = customerRanges(purchases.customer, n);
  const heldOrder = new Int32Array(n).fill(-1);
  const heldDay = new Int32Array(n).fill(2 ** 30);
  const tests: TestCase[] = [];
  for (let c = 0; c < n; c++) {
    const s = pr[c] as number;
    const e = pr[c + 1] as number;
    if (e === s) continue;
    const lastOrder = purchases.order[e - 1] as number;
    let first = e - 1;
    while (first > s && purchases.order[first - 1] === lastOrder) first--;
    if (first === s) continue; // one order only
    heldOrder[c] = lastOrder;
    heldDay[c] = purchases.day[e - 1] as number;
    const heldOut = new Set<number>();
    for (let k = first; k < e; k++) heldOut.add(purchases.item[k] as number);
    const seenBefore = new Set<number>();
    for (let k = s; k < first; k++) seenBefore.add(purchases.item[k] as number);
    tests.push({ customer: c, day: heldDay[c] as number, heldOut, seenBefore });
  }
  const keepP: number[] = [];
  for (let k = 0; k < purchases.customer.length; k++)
    if (purchases.order[k] !== heldOrder[purchases.customer[k] as number]) keepP.push(k);
  const keepV: number[] = [];
  for (let k = 0; k < views.customer.length; k++)
    if ((views.day[k] as number) < (heldDay[views.customer[k] as number] as number) - 1) keepV.push(k);
  const pick = (a: Int32Array, idx: number[]): Int32Array => Int32Array.from(idx, (k) => a[k] as number);
  return {
    train: {
      ...log,
      purchases: {
        customer: pick(purchases.customer, keepP),
        order: pick(purchases.order, keepP),
        item: pick(purchases.item, keepP),
        day: pick(purchases.day, keepP),
        quantity: pick(purchases.quantity, keepP),
      },
      views: {
        customer: pick(views.customer, keepV),
        item: pick(views.item, keepV),
        day: pick(views.day, keepV),
      },
    },
    tests,
  };
}

/** Hit rate, NDCG, coverage and new-item hit rate of one recommender's lists (one per test case). */
export function listMetrics(
  name: string,
  lists: readonly number[][],
  tests: readonly TestCase[],
  k: number,
  catalog: number,
): RecommenderMetrics {
  let hits = 0;
  let ndcg = 0;
  let newHits = 0;
  let newCases = 0;
  const covered = new Set<number>();
  tests.forEach((t, idx) => {
    const list = (lists[idx] ?? []).slice(0, k);
    let dcg = 0;
    let hit = false;
    let newHit = false;
    list.forEach((item, r) => {
      covered.add(item);
      if (t.heldOut.has(item)) {
        dcg += 1 / Math.log2(r + 2);
        hit = true;
        if (!t.seenBefore.has(item)) newHit = true;
      }
    });
    let idcg = 0;
    for (let r = 0; r < Math.min(k, t.heldOut.size); r++) idcg += 1 / Math.log2(r + 2);
    if (hit) hits++;
    ndcg += dcg / idcg;
    if ([...t.heldOut].some((i) => !t.seenBefore.has(i))) {
      newCases++;
      if (newHit) newHits++;
    }
  });
  const m = Math.max(1, tests.length);
  return {
    name,
    hitRate: hits / m,
    ndcg: ndcg / m,
    coverage: covered.size / Math.max(1, catalog),
    newItemHitRate: newHits / Math.max(1, newCases),
  };
}

/**
 * Patron's recommender (with and without the diversity slots) against popularity and against
 * the customer's own history (their products by number of purchase days, then recency, padded
 * with popular products), on the leave-last-order-out split.
 */
export function evaluateRecommendations(
  log: InteractionLog,
  options: EvaluationOptions = {},
): RecommendationEvaluation {
  const k = options.k ?? 10;
  const params = options.params ?? DEFAULT_RECOMMENDER_PARAMS;
  const diversity = options.diversityShare ?? 0.2;
  const placement = options.placement ?? 'email';
  const { train, tests } = leaveLastOrderOut(log);
  let asOf = 0;
  for (const t of tests) asOf = Math.max(asOf, t.day);
  const model = trainRecommender(train, asOf, { ...params, popularityWindowDays: Number.POSITIVE_INFINITY });
  const source = modelSource(model);
  const index = new Map(model.products.map((p, i) => [p.productId, i]));
  const idOf = (i: number): string => (model.products[i] as { productId: string }).productId;
  const intervals = new Map<string, { intervalDays: number; typicalQuantity: number }>();
  model.replenishment.intervals.forEach((iv, i) => {
    if (iv) intervals.set(idOf(i), iv);
  });
  const n = log.customerIds.length;
  const pr = customerRanges(train.purchases.customer, n);
  const vr = customerRanges(train.views.customer, n);
  const popular = Array.from(model.popularity);

  const patron: number[][] = [];
  const patronNoDiversity: number[][] = [];
  const popularity: number[][] = [];
  const own: number[][] = [];
  let repeat = 0;
  let heldTotal = 0;
  for (const t of tests) {
    const c = t.customer;
    const purchases: Array<{ productId: string; day: number; quantity: number; orderId: string }> = [];
    for (let e = pr[c] as number; e < (pr[c + 1] as number); e++)
      purchases.push({
        productId: idOf(train.purchases.item[e] as number),
        day: train.purchases.day[e] as number,
        quantity: train.purchases.quantity[e] as number,
        orderId: String(train.purchases.order[e]),
      });
    const views: Array<{ productId: string; day: number }> = [];
    for (let e = vr[c] as number; e < (vr[c + 1] as number); e++)
      views.push({ productId: idOf(train.views.item[e] as number), day: train.views.day[e] as number });
    const signals: CustomerSignals = {
      purchases,
      views,
      replenishment: customerReplenishment(
        purchases,
        intervals,
        model.replenishment.quantityElasticity,
        t.day,
      ),
    };
    const toItems = (recs: ReadonlyArray<{ productId: string }>): number[] =>
      recs.map((r) => index.get(r.productId) as number);
    patron.push(
      toItems(
        rankRecommendations(source, signals, {
          placement,
          limit: k,
          asOfDay: t.day,
          diversityShare: diversity,
        }),
      ),
    );
    patronNoDiversity.push(
      toItems(
        rankRecommendations(source, signals, { placement, limit: k, asOfDay: t.day, diversityShare: 0 }),
      ),
    );
    popularity.push(popular.slice(0, k));
    // Own history: products by purchase days, then most recent.
    const days = new Map<number, { n: number; last: number; prevDay: number }>();
    for (let e = pr[c] as number; e < (pr[c + 1] as number); e++) {
      const i = train.purchases.item[e] as number;
      const d = train.purchases.day[e] as number;
      const cur = days.get(i);
      if (!cur) days.set(i, { n: 1, last: d, prevDay: d });
      else if (d !== cur.prevDay) {
        cur.n++;
        cur.last = d;
        cur.prevDay = d;
      }
    }
    const history = [...days]
      .sort((a, b) => b[1].n - a[1].n || b[1].last - a[1].last || a[0] - b[0])
      .map(([i]) => i);
    const list = history.slice(0, k);
    for (const i of popular) {
      if (list.length >= k) break;
      if (!days.has(i)) list.push(i);
    }
    own.push(list);
    for (const i of t.heldOut) {
      heldTotal++;
      if (t.seenBefore.has(i)) repeat++;
    }
  }
  const catalog = model.products.length;
  return {
    k,
    testCustomers: tests.length,
    catalogSize: catalog,
    repeatShare: repeat / Math.max(1, heldTotal),
    results: [
      listMetrics(
        `patron (${placement}, ${Math.round(diversity * 100)}% diversity)`,
        patron,
        tests,
        k,
        catalog,
      ),
      listMetrics(`patron (${placement}, no diversity slots)`, patronNoDiversity, tests, k, catalog),
      listMetrics('popularity', popularity, tests, k, catalog),
      listMetrics('own history, then popularity', own, tests, k, catalog),
    ],
  };
}
