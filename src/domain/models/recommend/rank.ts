/**
 * Ranking one customer's recommendations from precomputed neighbour lists — pure, so the HTTP
 * request (a few indexed reads, then this) and the offline evaluation run the same code.
 *
 * Candidates and their scores, for placement weights W (table in `PLACEMENTS`):
 *
 *   score(c) = Σ_h w(h) · [ W.coPurchase · ŝ_cf(h→c) + W.content(c) · ŝ_content(h→c) ]
 *            + Σ_{o ∈ anchor order} W.boughtTogether · ŝ_fbt(o→c)
 *
 * over the customer's history items h: a purchase weighs 0.5^(age / 180 days), a view (of a
 * product never bought) W.view · 0.5^(age / W.viewHalfLifeDays); a viewed product is also a
 * candidate itself, with 1.25 × its view weight ("because you viewed X"). ŝ is a neighbour's score divided
 * by the best score in its list (each list's scale differs). Content similarity counts fully only
 * for cold products (fewer than 5 buyers, so collaborative filtering knows nothing of them) and at
 * W.contentWarm otherwise. The reason of an item is its largest single contribution.
 *
 * Order of the list: consumables due for replenishment first ("running low on Z", at most
 * W.maxReplenishment), then the scored candidates, then popular products ("popular in C").
 * Nothing the customer has bought is recommended again except as a due replenishment. A share of
 * the slots (`diversityShare`, rounded) goes to categories the customer has never bought from —
 * their best-scored candidates, else their most popular products — at most one per category.
 */
import type { ReplenishmentItem } from './replenishment.js';

export const PLACEMENTS = ['post_purchase', 'email', 'home'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export type NeighbourKind = 'co_purchase' | 'bought_together' | 'content';

export interface Neighbour {
  readonly productId: string;
  readonly score: number;
}

export interface ProductCard {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number | null;
  /** Customers who bought it (training data). */
  readonly buyers: number;
}

/** What the ranking reads: products, their neighbour lists, and the popularity order. */
export interface RankingSource {
  product(productId: string): ProductCard | undefined;
  /** Neighbours best first; empty when none. */
  neighbours(productId: string, kind: NeighbourKind): readonly Neighbour[];
  /** Products by popularity, best first (long enough to cover every category). */
  readonly popular: readonly string[];
}

export interface CustomerSignals {
  readonly purchases: ReadonlyArray<{ productId: string; day: number; quantity: number; orderId: string }>;
  readonly views: ReadonlyArray<{ productId: string; day: number }>;
  readonly replenishment: readonly ReplenishmentItem[];
  /** The order the placement follows (post-purchase: the order just placed); default the latest. */
  readonly anchorOrderId?: string;
}

export interface RankOptions {
  readonly placement: Placement;
  readonly limit: number;
  readonly asOfDay: number;
  /** Share of slots for categories the customer has not bought from, in [0, 1]. */
  readonly diversityShare: number;
}

export type Reason =
  | { type: 'running_low'; productId: string; runOutDay: number; text: string }
  | { type: 'bought'; productId: string; text: string }
  | { type: 'viewed'; productId: string; text: string }
  | { type: 'bought_with'; productId: string; text: string }
  | { type: 'similar'; productId: string; text: string }
  | { type: 'popular'; category: string | null; text: string };

export interface Recommendation {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number | null;
  readonly score: number;
  readonly reason: Reason;
  /** True for a slot given to a category the customer has not bought from. */
  readonly explore: boolean;
}

interface PlacementWeights {
  readonly coPurchase: number;
  readonly boughtTogether: number;
  readonly contentCold: number;
  readonly contentWarm: number;
  readonly view: number;
  readonly viewHalfLifeDays: number;
  readonly maxReplenishmentShare: number;
}

export const PLACEMENT_WEIGHTS: Readonly<Record<Placement, PlacementWeights>> = {
  post_purchase: {
    coPurchase: 1,
    boughtTogether: 2,
    contentCold: 0.6,
    contentWarm: 0.15,
    view: 0.5,
    viewHalfLifeDays: 30,
    maxReplenishmentShare: 0.2,
  },
  email: {
    coPurchase: 1,
    boughtTogether: 0.5,
    contentCold: 0.6,
    contentWarm: 0.15,
    view: 0.5,
    viewHalfLifeDays: 30,
    maxReplenishmentShare: 0.5,
  },
  home: {
    coPurchase: 1,
    boughtTogether: 0.5,
    contentCold: 0.6,
    contentWarm: 0.15,
    view: 1,
    viewHalfLifeDays: 14,
    maxReplenishmentShare: 0.5,
  },
};

const COLD_BUYERS = 5;
const VIEWED_ITSELF = 1.25;
const PURCHASE_HALF_LIFE_DAYS = 180;

const label = (p: ProductCard | undefined, id: string): string => p?.name ?? id;

/** Ranks one customer's recommendations (see the module comment). */
export function rankRecommendations(
  source: RankingSource,
  signals: CustomerSignals,
  options: RankOptions,
): Recommendation[] {
  const { limit, asOfDay } = options;
  const W = PLACEMENT_WEIGHTS[options.placement];
  if (limit <= 0) return [];

  const bought = new Map<string, number>(); // product → last purchase day
  let anchor = signals.anchorOrderId;
  let anchorDay = -Infinity;
  for (const p of signals.purchases) {
    if (p.day > asOfDay) continue;
    bought.set(p.productId, Math.max(bought.get(p.productId) ?? -Infinity, p.day));
    if (signals.anchorOrderId === undefined && p.day >= anchorDay) {
      anchorDay = p.day;
      anchor = p.orderId;
    }
  }
  const anchorItems = new Set(
    signals.purchases.filter((p) => p.orderId === anchor && p.day <= asOfDay).map((p) => p.productId),
  );
  const boughtCategories = new Set<string>();
  for (const id of bought.keys()) {
    const c = source.product(id)?.category;
    if (c != null) boughtCategories.add(c);
  }

  const chosen: Recommendation[] = [];
  const taken = new Set<string>();
  const card = (id: string): ProductCard | undefined => source.product(id);
  const push = (id: string, score: number, reason: Reason, explore = false): void => {
    const p = card(id);
    taken.add(id);
    chosen.push({
      productId: id,
      name: p?.name ?? null,
      category: p?.category ?? null,
      priceMinor: p?.priceMinor ?? null,
      score,
      reason,
      explore,
    });
  };

  // 1. Replenishment due (after a purchase: never what is in the order just placed).
  const maxRepl = Math.max(1, Math.round(limit * W.maxReplenishmentShare));
  for (const r of signals.replenishment) {
    if (chosen.length >= maxRepl) break;
    if (r.status !== 'due' || !card(r.productId)) continue;
    if (options.placement === 'post_purchase' && anchorItems.has(r.productId)) continue;
    const p = card(r.productId);
    push(r.productId, 1e6 - (r.runOutDay - asOfDay), {
      type: 'running_low',
      productId: r.productId,
      runOutDay: r.runOutDay,
      text: `running low on ${label(p, r.productId)}`,
    });
  }

  // 2. Scored candidates.
  const scores = new Map<string, { score: number; best: number; reason: Reason }>();
  const add = (c: string, contribution: number, reason: () => Reason): void => {
    if (contribution <= 0 || bought.has(c) || taken.has(c)) return;
    const cur = scores.get(c);
    if (!cur) scores.set(c, { score: contribution, best: contribution, reason: reason() });
    else {
      cur.score += contribution;
      if (contribution > cur.best) {
        cur.best = contribution;
        cur.reason = reason();
      }
    }
  };
  const spread = (
    from: string,
    kind: NeighbourKind,
    weight: (c: string) => number,
    reason: (fromName: string) => Reason,
  ): void => {
    const list = source.neighbours(from, kind);
    const top = list[0]?.score ?? 0;
    if (top <= 0) return;
    const fromName = label(card(from), from);
    for (const n of list) add(n.productId, (weight(n.productId) * n.score) / top, () => reason(fromName));
  };
  const contentWeight = (c: string): number =>
    (card(c)?.buyers ?? 0) < COLD_BUYERS ? W.contentCold : W.contentWarm;

  for (const [h, day] of bought) {
    const w = Math.pow(0.5, Math.max(0, asOfDay - day) / PURCHASE_HALF_LIFE_DAYS);
    const because = (name: string): Reason => ({
      type: 'bought',
      productId: h,
      text: `because you bought ${name}`,
    });
    spread(h, 'co_purchase', () => w * W.coPurchase, because);
    spread(
      h,
      'content',
      (c) => w * contentWeight(c),
      (name) => ({
        type: 'similar',
        productId: h,
        text: `similar to ${name}, which you bought`,
      }),
    );
  }
  const lastView = new Map<string, number>();
  for (const v of signals.views) {
    if (v.day > asOfDay || bought.has(v.productId)) continue;
    lastView.set(v.productId, Math.max(lastView.get(v.productId) ?? -Infinity, v.day));
  }
  for (const [h, day] of lastView) {
    const w = W.view * Math.pow(0.5, Math.max(0, asOfDay - day) / W.viewHalfLifeDays);
    // A product viewed but not bought is itself a candidate, a little stronger than its best neighbour.
    add(h, VIEWED_ITSELF * w, () => ({
      type: 'viewed',
      productId: h,
      text: `because you viewed ${label(card(h), h)}`,
    }));
    const viewed = (name: string): Reason => ({
      type: 'viewed',
      productId: h,
      text: `because you viewed ${name}`,
    });
    spread(h, 'co_purchase', () => w * W.coPurchase, viewed);
    spread(h, 'content', (c) => w * contentWeight(c), viewed);
  }
  for (const o of anchorItems) {
    spread(
      o,
      'bought_together',
      () => W.boughtTogether,
      (name) => ({
        type: 'bought_with',
        productId: o,
        text: `often bought with ${name}`,
      }),
    );
  }
  const ranked = [...scores]
    .filter(([id]) => card(id) !== undefined)
    .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));

  // 3. Diversity: slots for categories never bought from (only when the customer has bought).
  const slotsLeft = limit - chosen.length;
  const exploreSlots =
    boughtCategories.size === 0 ? 0 : Math.min(slotsLeft, Math.round(limit * options.diversityShare));
  const explore: Array<{ id: string; score: number; reason: Reason }> = [];
  if (exploreSlots > 0) {
    const usedCategories = new Set<string>();
    const fresh = (id: string): string | null => {
      const c = card(id)?.category ?? null;
      return c !== null && !boughtCategories.has(c) && !usedCategories.has(c) ? c : null;
    };
    for (const [id, s] of ranked) {
      if (explore.length >= exploreSlots) break;
      const c = fresh(id);
      if (c === null) continue;
      usedCategories.add(c);
      explore.push({ id, score: s.score, reason: s.reason });
    }
    for (const id of source.popular) {
      if (explore.length >= exploreSlots) break;
      const c = fresh(id);
      if (c === null || bought.has(id) || taken.has(id)) continue;
      usedCategories.add(c);
      explore.push({ id, score: 0, reason: { type: 'popular', category: c, text: `popular in ${c}` } });
    }
  }
  const exploring = new Set(explore.map((e) => e.id));
  for (const [id, s] of ranked) {
    if (chosen.length >= limit - explore.length) break;
    if (exploring.has(id)) continue;
    push(id, s.score, s.reason);
  }

  // 4. Popularity fills what is left of the main slots.
  for (const id of source.popular) {
    if (chosen.length >= limit - explore.length) break;
    if (bought.has(id) || taken.has(id) || exploring.has(id)) continue;
    const c = card(id)?.category ?? null;
    push(id, 0, { type: 'popular', category: c, text: c === null ? 'popular right now' : `popular in ${c}` });
  }
  for (const e of explore) push(e.id, e.score, e.reason, true);
  return chosen.slice(0, limit);
}

/**
 * "Frequently bought together" for a set of products (an order or a cart): the sum over the
 * products o of ŝ_fbt(o→c), products already in the set left out; the reason names the product
 * with the largest contribution.
 */
export function boughtTogether(
  source: RankingSource,
  productIds: readonly string[],
  limit: number,
): Recommendation[] {
  const inSet = new Set(productIds);
  const scores = new Map<string, { score: number; best: number; from: string }>();
  for (const o of inSet) {
    const list = source.neighbours(o, 'bought_together');
    const top = list[0]?.score ?? 0;
    if (top <= 0) continue;
    for (const n of list) {
      if (inSet.has(n.productId)) continue;
      const s = n.score / top;
      const cur = scores.get(n.productId);
      if (!cur) scores.set(n.productId, { score: s, best: s, from: o });
      else {
        cur.score += s;
        if (s > cur.best) {
          cur.best = s;
          cur.from = o;
        }
      }
    }
  }
  return [...scores]
    .filter(([id]) => source.product(id) !== undefined)
    .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1))
    .slice(0, Math.max(0, limit))
    .map(([id, s]) => {
      const p = source.product(id);
      return {
        productId: id,
        name: p?.name ?? null,
        category: p?.category ?? null,
        priceMinor: p?.priceMinor ?? null,
        score: s.score,
        reason: {
          type: 'bought_with',
          productId: s.from,
          text: `often bought with ${label(source.product(s.from), s.from)}`,
        },
        explore: false,
      };
    });
}
