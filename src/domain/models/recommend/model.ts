/**
 * Training the recommender: the three neighbour lists (co-purchase over customers' histories,
 * bought together within an order, content), popularity and replenishment intervals, from an
 * interaction log. What `patron recommend train` stores and a request reads.
 */
import { contentSimilarities } from './content.js';
import { customerRanges, type InteractionLog } from './history.js';
import type { NeighbourKind, ProductCard, RankingSource } from './rank.js';
import {
  DEFAULT_REPLENISHMENT_OPTIONS,
  learnReplenishment,
  type ReplenishmentModel,
  type ReplenishmentOptions,
} from './replenishment.js';
import { basketsFromEntries, itemSimilarities, type NeighbourLists } from './similarity.js';

export interface RecommenderParams {
  /** Popularity exponent α of the recommended item (½ = cosine). */
  readonly alpha: number;
  /** Shrinkage λ of the similarity. */
  readonly shrinkage: number;
  readonly topK: number;
  /** Weight of a product viewed but not bought in a customer's co-purchase basket (a purchase is 1). */
  readonly viewWeight: number;
  /** Smallest co-occurrence kept for co-purchase and bought-together pairs. */
  readonly minSupport: number;
  /** Popularity counts buyers over the last this many days before the as-of day. */
  readonly popularityWindowDays: number;
  readonly replenishment: ReplenishmentOptions;
}

export const DEFAULT_RECOMMENDER_PARAMS: RecommenderParams = {
  alpha: 0.6,
  shrinkage: 5,
  topK: 20,
  viewWeight: 0.3,
  minSupport: 2,
  popularityWindowDays: 90,
  replenishment: DEFAULT_REPLENISHMENT_OPTIONS,
};

export interface RecommenderModel {
  readonly params: RecommenderParams;
  readonly asOfDay: number;
  readonly products: readonly ProductCard[];
  readonly coPurchase: NeighbourLists;
  readonly boughtTogether: NeighbourLists;
  readonly content: NeighbourLists;
  /** Buyers in the popularity window, per item. */
  readonly recentBuyers: Int32Array;
  /** Item indices by popularity, best first. */
  readonly popularity: Int32Array;
  readonly replenishment: ReplenishmentModel;
}

/** Trains every part of the recommender on `log` (everything in it is training data). */
export function trainRecommender(
  log: InteractionLog,
  asOfDay: number,
  params: RecommenderParams = DEFAULT_RECOMMENDER_PARAMS,
): RecommenderModel {
  const itemCount = log.products.length;
  const customerCount = log.customerIds.length;
  const { purchases, views } = log;

  // Co-purchase baskets: each customer's purchased items (weight 1) and viewed items (viewWeight).
  const pr = customerRanges(purchases.customer, customerCount);
  const vr = customerRanges(views.customer, customerCount);
  const total = purchases.item.length + views.item.length;
  const basketOf = new Int32Array(total);
  const itemOf = new Int32Array(total);
  const weightOf = new Float32Array(total);
  let at = 0;
  for (let c = 0; c < customerCount; c++) {
    for (let e = pr[c] as number; e < (pr[c + 1] as number); e++) {
      basketOf[at] = c;
      itemOf[at] = purchases.item[e] as number;
      weightOf[at++] = 1;
    }
    for (let e = vr[c] as number; e < (vr[c + 1] as number); e++) {
      basketOf[at] = c;
      itemOf[at] = views.item[e] as number;
      weightOf[at++] = params.viewWeight;
    }
  }
  const options = {
    alpha: params.alpha,
    shrinkage: params.shrinkage,
    topK: params.topK,
    minSupport: params.minSupport,
  };
  const coPurchase = itemSimilarities(basketsFromEntries(itemCount, basketOf, itemOf, weightOf), options);
  const boughtTogether = itemSimilarities(
    basketsFromEntries(itemCount, purchases.order, purchases.item),
    options,
  );
  const content = contentSimilarities(log.products, { topK: params.topK });

  // Buyers (all time and recent), counted once per customer.
  const buyers = new Int32Array(itemCount);
  const recentBuyers = new Int32Array(itemCount);
  const lastCustomer = new Int32Array(itemCount).fill(-1);
  const lastRecent = new Int32Array(itemCount).fill(-1);
  const from = asOfDay - params.popularityWindowDays;
  for (let e = 0; e < purchases.item.length; e++) {
    const i = purchases.item[e] as number;
    const c = purchases.customer[e] as number;
    if (lastCustomer[i] !== c) {
      lastCustomer[i] = c;
      buyers[i]!++;
    }
    if ((purchases.day[e] as number) > from && lastRecent[i] !== c) {
      lastRecent[i] = c;
      recentBuyers[i]!++;
    }
  }
  const popularity = Int32Array.from({ length: itemCount }, (_, i) => i).sort(
    (a, b) =>
      (recentBuyers[b] as number) - (recentBuyers[a] as number) ||
      (buyers[b] as number) - (buyers[a] as number) ||
      a - b,
  );
  const products: ProductCard[] = log.products.map((p, i) => ({ ...p, buyers: buyers[i] as number }));
  const replenishment = learnReplenishment(
    purchases,
    itemCount,
    log.products.map((p) => p.category),
    params.replenishment,
  );
  return {
    params,
    asOfDay,
    products,
    coPurchase,
    boughtTogether,
    content,
    recentBuyers,
    popularity,
    replenishment,
  };
}

/** The in-memory model as the ranking's source (offline evaluation, tests). */
export function modelSource(model: RecommenderModel): RankingSource {
  const index = new Map(model.products.map((p, i) => [p.productId, i]));
  const lists: Record<NeighbourKind, NeighbourLists> = {
    co_purchase: model.coPurchase,
    bought_together: model.boughtTogether,
    content: model.content,
  };
  const cache = new Map<string, Array<{ productId: string; score: number }>>();
  return {
    product: (id) => {
      const i = index.get(id);
      return i === undefined ? undefined : model.products[i];
    },
    neighbours(id, kind) {
      const key = `${kind}|${id}`;
      let out = cache.get(key);
      if (!out) {
        const i = index.get(id);
        const l = lists[kind];
        out = [];
        if (i !== undefined)
          for (let k = l.offsets[i] as number; k < (l.offsets[i + 1] as number); k++)
            out.push({
              productId: (model.products[l.neighbour[k] as number] as ProductCard).productId,
              score: l.score[k] as number,
            });
        cache.set(key, out);
      }
      return out;
    },
    popular: Array.from(model.popularity, (i) => (model.products[i] as ProductCard).productId),
  };
}
