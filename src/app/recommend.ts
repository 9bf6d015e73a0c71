/**
 * Recommendation and replenishment use cases: train the recommender and store its tables
 * (`patron recommend train`), evaluate it offline (`patron recommend evaluate`), answer a
 * customer's recommendations and an order's frequently-bought-together list (HTTP), and tell which
 * of a customer's cycled products are due ("replenishment due for customer X as of t").
 */
import { randomBytes } from 'node:crypto';
import type { InteractionLog } from '../domain/models/recommend/history.js';
import { customerRanges } from '../domain/models/recommend/history.js';
import {
  evaluateRecommendations,
  type RecommendationEvaluation,
} from '../domain/models/recommend/evaluate.js';
import {
  DEFAULT_RECOMMENDER_PARAMS,
  trainRecommender,
  type RecommenderModel,
  type RecommenderParams,
} from '../domain/models/recommend/model.js';
import {
  boughtTogether,
  rankRecommendations,
  type NeighbourKind,
  type Placement,
  type ProductCard,
  type RankingSource,
  type Reason,
} from '../domain/models/recommend/rank.js';
import {
  customerReplenishment,
  describeReplenishment,
  type ReplenishmentDue,
  type ReplenishmentItem,
} from '../domain/models/recommend/replenishment.js';

export type { ReplenishmentDue };
import type { NeighbourLists } from '../domain/models/recommend/similarity.js';
import { err, ok, type Result } from '../domain/result.js';
import type {
  CustomerActivity,
  RecommenderCatalog,
  RecommenderSnapshot,
  RecommendStore,
} from '../store/recommend-repository.js';

const DAY_MS = 86_400_000;
const dayOf = (d: Date): number => Math.floor(d.getTime() / DAY_MS);
const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Where training reads the interaction log from (store/recommend-history-repository.ts). */
export interface InteractionSource {
  load(options?: { before?: string }): Promise<InteractionLog>;
}

export type RecommendError =
  | { type: 'InvalidDate'; message: string }
  | { type: 'InsufficientData'; message: string }
  | { type: 'NoModel'; message: string }
  | { type: 'NotFound'; message: string };

const NO_MODEL: RecommendError = {
  type: 'NoModel',
  message: 'No recommender has been trained yet: run `patron recommend train`.',
};

export interface TrainSummary {
  readonly modelVersion: string;
  readonly asOf: string;
  readonly products: number;
  readonly customers: number;
  readonly purchaseLines: number;
  readonly views: number;
  readonly neighbourRows: Record<NeighbourKind, number>;
  readonly replenishment: {
    readonly products: number;
    readonly fromCategory: number;
    readonly quantityElasticity: number;
    readonly elasticityPairs: number;
    readonly customersWithCycles: number;
    readonly byCategory: ReadonlyArray<{ category: string; products: number; medianIntervalDays: number }>;
  };
  readonly seconds: { load: number; train: number; save: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function parseDayOption(asOf: string | undefined): Result<number | null, RecommendError> {
  if (asOf === undefined) return ok(null);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf)))
    return err({ type: 'InvalidDate', message: `--as-of: "${asOf}" is not a date (YYYY-MM-DD)` });
  return ok(Date.parse(asOf) / DAY_MS);
}

/** The stored rows of a trained model. */
export function snapshotRows(
  model: RecommenderModel,
  log: InteractionLog,
  meta: { id: string; trainedAt: string },
): RecommenderSnapshot {
  const products = model.products;
  const rank = new Int32Array(products.length);
  model.popularity.forEach((item, r) => (rank[item] = r));
  const similarities: RecommenderSnapshot['similarities'][number][] = [];
  const lists: Array<[NeighbourKind, NeighbourLists]> = [
    ['co_purchase', model.coPurchase],
    ['bought_together', model.boughtTogether],
    ['content', model.content],
  ];
  for (const [kind, l] of lists)
    for (let i = 0; i < products.length; i++)
      for (let k = l.offsets[i] as number; k < (l.offsets[i + 1] as number); k++)
        similarities.push({
          product_id: products[i]!.productId,
          kind,
          rank: k - (l.offsets[i] as number),
          neighbor_id: products[l.neighbour[k] as number]!.productId,
          score: l.score[k] as number,
          support: Math.round((l.support[k] as number) * 1000) / 1000,
        });
  const intervals = model.replenishment.intervals.flatMap((iv, i) =>
    iv === null
      ? []
      : [
          {
            product_id: products[i]!.productId,
            category: products[i]!.category,
            interval_days: iv.intervalDays,
            source: iv.source,
            typical_quantity: iv.typicalQuantity,
            repeat_customers: iv.repeatCustomers,
            gaps: iv.gaps,
            q1_days: iv.q1Days,
            q3_days: iv.q3Days,
          },
        ],
  );
  const lookup = new Map(
    intervals.map((r) => [
      r.product_id,
      { intervalDays: r.interval_days, typicalQuantity: r.typical_quantity },
    ]),
  );
  const customerRows: RecommenderSnapshot['customerReplenishment'][number][] = [];
  const ranges = customerRanges(log.purchases.customer, log.customerIds.length);
  for (let c = 0; c < log.customerIds.length; c++) {
    const purchases: Array<{ productId: string; day: number; quantity: number }> = [];
    for (let e = ranges[c] as number; e < (ranges[c + 1] as number); e++) {
      const id = products[log.purchases.item[e] as number]!.productId;
      if (lookup.has(id))
        purchases.push({
          productId: id,
          day: log.purchases.day[e] as number,
          quantity: log.purchases.quantity[e] as number,
        });
    }
    if (purchases.length === 0) continue;
    for (const r of customerReplenishment(
      purchases,
      lookup,
      model.replenishment.quantityElasticity,
      model.asOfDay,
    ))
      customerRows.push({
        customer_id: log.customerIds[c] as string,
        product_id: r.productId,
        last_purchased_on: dayText(r.lastPurchasedDay),
        last_quantity: r.lastQuantity,
        interval_days: r.intervalDays,
        run_out_on: dayText(r.runOutDay),
      });
  }
  const byCategory = new Map<string, number[]>();
  for (const r of intervals) {
    const c = r.category ?? '(none)';
    byCategory.set(c, [...(byCategory.get(c) ?? []), r.interval_days]);
  }
  const stats = {
    quantityElasticity: model.replenishment.quantityElasticity,
    elasticityPairs: model.replenishment.elasticityPairs,
    customersWithCycles: new Set(customerRows.map((r) => r.customer_id)).size,
    byCategory: [...byCategory]
      .map(([category, xs]) => ({ category, products: xs.length, medianIntervalDays: median(xs) }))
      .sort((a, b) => (a.category < b.category ? -1 : 1)),
  };
  return {
    model: {
      id: meta.id,
      trained_at: meta.trainedAt,
      as_of: dayText(model.asOfDay),
      params: JSON.stringify({ ...model.params, popularityWindowDays: model.params.popularityWindowDays }),
      stats: JSON.stringify(stats),
    },
    products: products.map((p, i) => ({
      product_id: p.productId,
      name: p.name,
      category: p.category,
      price_minor: p.priceMinor,
      buyers: p.buyers,
      recent_buyers: model.recentBuyers[i] as number,
      popularity_rank: rank[i] as number,
    })),
    similarities,
    intervals,
    customerReplenishment: customerRows,
  };
}

/** Trains on the history through `asOf` (default: the latest order day) and replaces the stored model. */
export async function trainRecommendations(
  source: InteractionSource,
  store: RecommendStore,
  options: { now: Date; asOf?: string; params?: Partial<RecommenderParams> },
): Promise<Result<TrainSummary, RecommendError>> {
  const asOf = parseDayOption(options.asOf);
  if (!asOf.ok) return asOf;
  const t0 = performance.now();
  const log = await source.load(
    asOf.value === null ? {} : { before: `${dayText(asOf.value + 1)}T00:00:00.000Z` },
  );
  const t1 = performance.now();
  if (log.purchases.item.length === 0)
    return err({ type: 'InsufficientData', message: 'No order lines with a product id to learn from.' });
  let lastDay = 0;
  for (const d of log.purchases.day) lastDay = Math.max(lastDay, d);
  const asOfDay = asOf.value ?? lastDay;
  const model = trainRecommender(log, asOfDay, { ...DEFAULT_RECOMMENDER_PARAMS, ...options.params });
  const id = `rec_${dayText(asOfDay).replaceAll('-', '')}_${randomBytes(4).toString('hex')}`;
  const rows = snapshotRows(model, log, { id, trainedAt: options.now.toISOString() });
  const t2 = performance.now();
  await store.replace(rows);
  const t3 = performance.now();
  const stats = JSON.parse(rows.model.stats) as TrainSummary['replenishment'];
  const count = (kind: NeighbourKind): number => rows.similarities.filter((r) => r.kind === kind).length;
  return ok({
    modelVersion: id,
    asOf: dayText(asOfDay),
    products: log.products.length,
    customers: log.customerIds.length,
    purchaseLines: log.purchases.item.length,
    views: log.views.item.length,
    neighbourRows: {
      co_purchase: count('co_purchase'),
      bought_together: count('bought_together'),
      content: count('content'),
    },
    replenishment: {
      products: rows.intervals.length,
      fromCategory: rows.intervals.filter((r) => r.source === 'category').length,
      quantityElasticity: stats.quantityElasticity,
      elasticityPairs: stats.elasticityPairs,
      customersWithCycles: stats.customersWithCycles,
      byCategory: stats.byCategory,
    },
    seconds: { load: (t1 - t0) / 1000, train: (t2 - t1) / 1000, save: (t3 - t2) / 1000 },
  });
}

/** Offline evaluation (leave the last order out) of the store's history; nothing is stored. */
export async function evaluateRecommendationModels(
  source: InteractionSource,
  options: { diversityShare?: number; k?: number; params?: Partial<RecommenderParams> } = {},
): Promise<Result<RecommendationEvaluation, RecommendError>> {
  const log = await source.load();
  if (log.purchases.item.length === 0)
    return err({ type: 'InsufficientData', message: 'No order lines with a product id to evaluate on.' });
  return ok(
    evaluateRecommendations(log, {
      params: { ...DEFAULT_RECOMMENDER_PARAMS, ...options.params },
      ...(options.diversityShare !== undefined ? { diversityShare: options.diversityShare } : {}),
      ...(options.k !== undefined ? { k: options.k } : {}),
    }),
  );
}

/** One recommended product as the API returns it. */
export interface RecommendedProduct {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number | null;
  readonly score: number;
  readonly reason: Omit<Reason, 'runOutDay'> & { runOutOn?: string };
  readonly explore: boolean;
}

export interface CustomerRecommendations {
  readonly customerId: string;
  readonly placement: Placement;
  readonly modelVersion: string;
  readonly trainedAsOf: string;
  readonly items: RecommendedProduct[];
}

function rankingSource(
  catalog: RecommenderCatalog,
  rows: Awaited<ReturnType<RecommendStore['neighbours']>>,
): RankingSource {
  const lists: Record<NeighbourKind, Map<string, Array<{ productId: string; score: number }>>> = {
    co_purchase: new Map(),
    bought_together: new Map(),
    content: new Map(),
  };
  // The rows come grouped by product and kind (best first): look a list up once per group.
  let current: Array<{ productId: string; score: number }> | undefined;
  let prev: (typeof rows)[number] | undefined;
  for (const r of rows) {
    if (!current || r.product_id !== prev!.product_id || r.kind !== prev!.kind) {
      const byProduct = lists[r.kind as NeighbourKind];
      if (!byProduct) continue;
      current = byProduct.get(r.product_id);
      if (!current) byProduct.set(r.product_id, (current = []));
    }
    prev = r;
    current.push({ productId: r.neighbor_id, score: r.score });
  }
  const cards = new Map<string, ProductCard | undefined>();
  return {
    product: (id) => {
      if (cards.has(id)) return cards.get(id);
      const p = catalog.products.get(id);
      const card = p
        ? {
            productId: p.product_id,
            name: p.name,
            category: p.category,
            priceMinor: p.price_minor,
            buyers: p.buyers,
          }
        : undefined;
      cards.set(id, card);
      return card;
    },
    neighbours: (id, kind) => lists[kind].get(id) ?? [],
    popular: catalog.popular,
  };
}

/**
 * The source restricted to the neighbour lists of these products: what a single request loads
 * for one customer, so the batch (which holds every customer's lists) ranks exactly as it does.
 */
function readingOnly(source: RankingSource, products: ReadonlySet<string>): RankingSource {
  return {
    product: source.product,
    neighbours: (id, kind) => (products.has(id) ? source.neighbours(id, kind) : []),
    popular: source.popular,
  };
}

function replenishmentOf(
  catalog: RecommenderCatalog,
  purchases: ReadonlyArray<{ productId: string; day: number; quantity: number }>,
  asOfDay: number,
): ReplenishmentItem[] {
  const lookup = {
    get: (id: string) => {
      const iv = catalog.intervals.get(id);
      return iv ? { intervalDays: iv.interval_days, typicalQuantity: iv.typical_quantity } : undefined;
    },
  };
  return customerReplenishment(purchases, lookup, catalog.quantityElasticity, asOfDay);
}

const HISTORY_ITEMS = 30;
const VIEW_ITEMS = 20;

/** The products whose neighbour lists a customer's ranking reads: recent purchases, then views. */
function historyProducts(activity: CustomerActivity): string[] {
  const wanted = new Set<string>();
  for (let i = activity.purchases.length - 1; i >= 0; i--) {
    if (wanted.size >= HISTORY_ITEMS) break;
    wanted.add(activity.purchases[i]!.productId);
  }
  let viewed = 0;
  for (const v of activity.views) {
    if (viewed >= VIEW_ITEMS) break;
    if (!wanted.has(v.productId)) {
      wanted.add(v.productId);
      viewed++;
    }
  }
  return [...wanted];
}

interface RecommendationQuery {
  readonly placement: Placement;
  readonly limit: number;
  readonly diversityShare?: number;
}

/** The pure ranking of one customer's activity, as the API returns it. */
function rankActivity(
  catalog: RecommenderCatalog,
  source: RankingSource,
  activity: CustomerActivity,
  query: RecommendationQuery,
  asOfDay: number,
): RecommendedProduct[] {
  const items = rankRecommendations(
    source,
    {
      purchases: activity.purchases,
      views: activity.views,
      replenishment: replenishmentOf(catalog, activity.purchases, asOfDay),
    },
    { placement: query.placement, limit: query.limit, asOfDay, diversityShare: query.diversityShare ?? 0.2 },
  );
  return items.map((r) => {
    const { reason } = r;
    const shown =
      reason.type === 'running_low'
        ? {
            type: reason.type,
            productId: reason.productId,
            text: reason.text,
            runOutOn: dayText(reason.runOutDay),
          }
        : reason;
    return { ...r, score: Math.round(r.score * 1e4) / 1e4, reason: shown };
  });
}

/** A customer's recommendations for a placement, as of `now` (a few indexed reads, then pure ranking). */
export async function recommendForCustomer(
  store: RecommendStore,
  idOrUserId: string,
  query: RecommendationQuery,
  now: Date,
): Promise<Result<CustomerRecommendations, RecommendError>> {
  const [catalog, customerId] = await Promise.all([store.catalog(), store.resolveCustomer(idOrUserId)]);
  if (customerId === null)
    return err({ type: 'NotFound', message: `No customer with id or userId "${idOrUserId}".` });
  if (catalog === null) return err(NO_MODEL);
  const activity = await store.activity(customerId);
  const source = rankingSource(catalog, await store.neighbours(historyProducts(activity)));
  return ok({
    customerId,
    placement: query.placement,
    modelVersion: catalog.modelId,
    trainedAsOf: catalog.asOf,
    items: rankActivity(catalog, source, activity, query, dayOf(now)),
  });
}

/** Many customers' recommendations from one load (see `recommendForCustomers`). */
export interface BatchRecommender {
  readonly modelVersion: string;
  readonly trainedAsOf: string;
  /** The customer's recommendations: the same list `recommendForCustomer` gives (Patron ids). */
  recommend(customerId: string, query: RecommendationQuery): RecommendedProduct[];
}

/**
 * The recommender for a set of customers (every customer when `customerIds` is absent) as of
 * `now`, or null before the first training run: their purchases and views in two set-based
 * queries and the neighbour lists of all their history products in one, then the same pure
 * ranking as a single request, per customer on demand.
 */
export async function recommendForCustomers(
  store: RecommendStore,
  customerIds: readonly string[] | undefined,
  now: Date,
): Promise<BatchRecommender | null> {
  const catalog = await store.catalog();
  if (catalog === null) return null;
  const activities = await store.activities(customerIds);
  // Each customer's history products, once: they decide which lists to load and which to read.
  const histories = new Map<string, ReadonlySet<string>>();
  const wanted = new Set<string>();
  for (const [id, a] of activities) {
    const own = new Set(historyProducts(a));
    histories.set(id, own);
    for (const p of own) wanted.add(p);
  }
  const source = rankingSource(catalog, await store.neighbours([...wanted]));
  const asOfDay = dayOf(now);
  const none: CustomerActivity = { purchases: [], views: [] };
  const nothing: ReadonlySet<string> = new Set();
  return {
    modelVersion: catalog.modelId,
    trainedAsOf: catalog.asOf,
    recommend: (customerId, query) => {
      const activity = activities.get(customerId) ?? none;
      const own = readingOnly(source, histories.get(customerId) ?? nothing);
      return rankActivity(catalog, own, activity, query, asOfDay);
    },
  };
}

/** Products often bought in the same order as this order's products (not already in it). */
export async function frequentlyBoughtTogether(
  store: RecommendStore,
  orderId: string,
  limit: number,
): Promise<Result<{ orderId: string; modelVersion: string; items: RecommendedProduct[] }, RecommendError>> {
  const [catalog, order] = await Promise.all([store.catalog(), store.order(orderId)]);
  if (order === null) return err({ type: 'NotFound', message: `No order with id "${orderId}".` });
  if (catalog === null) return err(NO_MODEL);
  const source = rankingSource(catalog, await store.neighbours(order.productIds));
  return ok({
    orderId,
    modelVersion: catalog.modelId,
    items: boughtTogether(source, order.productIds, limit).map((r) => ({
      ...r,
      score: Math.round(r.score * 1e4) / 1e4,
    })),
  });
}

/**
 * Replenishment due for a customer as of `asOf`: every product they buy on a cycle with its
 * run-out day and status (`due` from 7 days before the run-out to one interval after it). Live:
 * computed from the customer's orders now and the intervals of the last training run.
 */
export async function replenishmentForCustomer(
  store: RecommendStore,
  idOrUserId: string,
  asOf: Date,
): Promise<Result<{ customerId: string; asOf: string; items: ReplenishmentDue[] }, RecommendError>> {
  const [catalog, customerId] = await Promise.all([store.catalog(), store.resolveCustomer(idOrUserId)]);
  if (customerId === null)
    return err({ type: 'NotFound', message: `No customer with id or userId "${idOrUserId}".` });
  if (catalog === null) return err(NO_MODEL);
  const activity = await store.activity(customerId, 0);
  const asOfDay = dayOf(asOf);
  return ok({
    customerId,
    asOf: dayText(asOfDay),
    items: describeReplenishment(
      replenishmentOf(catalog, activity.purchases, asOfDay),
      (id) => catalog.products.get(id),
      asOfDay,
    ),
  });
}
