/**
 * Replenishment: how long a product lasts, learned from the customers who bought it more than
 * once, and when each customer will run out.
 *
 * Per product, a *gap* is the number of days between two consecutive purchase days of the same
 * product by the same customer (same-day lines merged, quantities summed). The product's
 * re-purchase interval is the median of all its gaps (robust to the long gaps of occasional
 * re-buyers and to missed purchases), with the quartiles as its spread. An interval is learned
 * only from a minimum sample (≥ `minCustomers` repeat customers and ≥ `minGaps` gaps) and only for
 * products bought on a cycle: the gaps' quartile dispersion (Q3 − Q1) / median must be at most
 * `maxDispersion` (exponential, memoryless gaps give ln 3 / ln 2 ≈ 1.585; a monthly habit far
 * less) and at least `minRepeatShare` of the product's buyers must have bought it again. A product
 * without enough sample of its own takes its category's pooled interval when the category passes
 * the same tests (`source: 'category'`).
 *
 * Run-out: last purchase day + interval × (quantity / typical quantity)^β, where the typical
 * quantity is the median quantity per purchase of the product and β ∈ [0, 1] the store's quantity
 * elasticity of the gap, fitted by least squares through the origin of ln(gap / interval) on
 * ln(quantity / typical) over all gaps of cycled products (β = 1 — two units last twice as long —
 * when fewer than 100 gaps have an atypical quantity).
 */
import { customerRanges, type PurchaseColumns } from './history.js';

export interface ReplenishmentOptions {
  readonly minCustomers: number;
  readonly minGaps: number;
  readonly maxDispersion: number;
  readonly minRepeatShare: number;
}

export const DEFAULT_REPLENISHMENT_OPTIONS: ReplenishmentOptions = {
  minCustomers: 5,
  minGaps: 10,
  maxDispersion: 1.0,
  minRepeatShare: 0.1,
};

/** What was measured for one product (or category), whether or not it qualified. */
export interface GapStatistics {
  readonly buyers: number;
  readonly repeatCustomers: number;
  readonly gaps: number;
  readonly medianDays: number;
  readonly q1Days: number;
  readonly q3Days: number;
  readonly typicalQuantity: number;
}

export interface ReplenishmentInterval extends GapStatistics {
  readonly intervalDays: number;
  readonly source: 'product' | 'category';
}

export interface ReplenishmentModel {
  /** Per item: its interval, or null when it is not bought on a cycle (or too rarely to tell). */
  readonly intervals: ReadonlyArray<ReplenishmentInterval | null>;
  /** Per item: the gap statistics measured (null: never re-bought). */
  readonly statistics: ReadonlyArray<GapStatistics | null>;
  readonly quantityElasticity: number;
  /** Pairs the elasticity was fitted on (0 → the default β = 1). */
  readonly elasticityPairs: number;
}

/** An append-only Int32 column that grows by doubling (millions of gaps without boxed numbers). */
class IntColumn {
  private data: Int32Array;
  private size = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.size === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.size++] = v;
  }
  values(): Int32Array {
    return this.data.subarray(0, this.size);
  }
}

function quantile(sorted: Int32Array | Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

function qualifies(s: GapStatistics, o: ReplenishmentOptions): boolean {
  return (
    s.repeatCustomers >= o.minCustomers &&
    s.gaps >= o.minGaps &&
    s.medianDays > 0 &&
    (s.q3Days - s.q1Days) / s.medianDays <= o.maxDispersion &&
    s.repeatCustomers / Math.max(1, s.buyers) >= o.minRepeatShare
  );
}

/**
 * Learns every item's re-purchase interval from purchase lines sorted by customer then day.
 * `categoryOf[item]` groups items for the category fallback (null: no fallback).
 */
export function learnReplenishment(
  purchases: PurchaseColumns,
  itemCount: number,
  categoryOf: ReadonlyArray<string | null>,
  options: ReplenishmentOptions = DEFAULT_REPLENISHMENT_OPTIONS,
): ReplenishmentModel {
  const n = purchases.customer.length;
  let customerCount = 0;
  for (let e = 0; e < n; e++) customerCount = Math.max(customerCount, (purchases.customer[e] as number) + 1);
  const ranges = customerRanges(purchases.customer, customerCount);

  // Pass 1: gaps as (item, days, quantity of the earlier purchase), buyers and repeat customers.
  const gapItem = new IntColumn(n);
  const gapDays = new IntColumn(n);
  const gapQty = new IntColumn(n);
  const buyers = new Int32Array(itemCount);
  const repeaters = new Int32Array(itemCount);
  const lastDay = new Int32Array(itemCount).fill(-1);
  const lastQty = new Int32Array(itemCount);
  const gapsHere = new Int32Array(itemCount);
  const touched: number[] = [];
  // Quantities per purchase day, for the typical quantity (every purchase, not only the gaps').
  const qtyItem = new IntColumn(n);
  const qtyValue = new IntColumn(n);
  const flush = (item: number): void => {
    qtyItem.push(item);
    qtyValue.push(lastQty[item] as number);
  };
  for (let c = 0; c < customerCount; c++) {
    for (let e = ranges[c] as number; e < (ranges[c + 1] as number); e++) {
      const item = purchases.item[e] as number;
      const day = purchases.day[e] as number;
      const q = Math.max(1, purchases.quantity[e] as number);
      const prev = lastDay[item] as number;
      if (prev < 0) {
        touched.push(item);
        buyers[item]!++;
        lastDay[item] = day;
        lastQty[item] = q;
      } else if (day === prev) {
        lastQty[item]! += q;
      } else {
        flush(item);
        gapItem.push(item);
        gapDays.push(day - prev);
        gapQty.push(lastQty[item] as number);
        if (gapsHere[item]!++ === 0) repeaters[item]!++;
        lastDay[item] = day;
        lastQty[item] = q;
      }
    }
    for (const item of touched) {
      flush(item);
      lastDay[item] = -1;
      gapsHere[item] = 0;
    }
    touched.length = 0;
  }

  const group = (keyColumn: IntColumn, valueColumn: IntColumn, size: number): Int32Array[] => {
    const keys = keyColumn.values();
    const values = valueColumn.values();
    const count = new Int32Array(size);
    for (let g = 0; g < keys.length; g++) count[keys[g] as number]!++;
    const out = Array.from({ length: size }, (_, k) => new Int32Array(count[k] as number));
    const fill = new Int32Array(size);
    for (let g = 0; g < keys.length; g++) {
      const k = keys[g] as number;
      (out[k] as Int32Array)[fill[k]!++] = values[g] as number;
    }
    for (const a of out) a.sort();
    return out;
  };
  const gapsByItem = group(gapItem, gapDays, itemCount);
  const qtyByItem = group(qtyItem, qtyValue, itemCount);

  const stats = (gaps: Int32Array, qty: Int32Array, b: number, r: number): GapStatistics | null =>
    gaps.length === 0
      ? null
      : {
          buyers: b,
          repeatCustomers: r,
          gaps: gaps.length,
          medianDays: quantile(gaps, 0.5),
          q1Days: quantile(gaps, 0.25),
          q3Days: quantile(gaps, 0.75),
          typicalQuantity: Math.max(1, quantile(qty, 0.5)),
        };
  const statistics = gapsByItem.map((g, i) =>
    stats(g, qtyByItem[i] as Int32Array, buyers[i] as number, repeaters[i] as number),
  );

  // Category pools.
  const categories = [...new Set(categoryOf.filter((c): c is string => c !== null))];
  const categoryStats = new Map<string, GapStatistics | null>();
  for (const cat of categories) {
    const members = categoryOf.flatMap((c, i) => (c === cat ? [i] : []));
    const concat = (parts: Int32Array[]): Int32Array => {
      const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out.sort();
    };
    categoryStats.set(
      cat,
      stats(
        concat(members.map((i) => gapsByItem[i] as Int32Array)),
        concat(members.map((i) => qtyByItem[i] as Int32Array)),
        members.reduce((s, i) => s + (buyers[i] as number), 0),
        members.reduce((s, i) => s + (repeaters[i] as number), 0),
      ),
    );
  }

  const intervals: Array<ReplenishmentInterval | null> = statistics.map((s, i) => {
    if (s !== null && qualifies(s, options)) return { ...s, intervalDays: s.medianDays, source: 'product' };
    const enoughOwn = s !== null && s.repeatCustomers >= options.minCustomers && s.gaps >= options.minGaps;
    const cat = categoryOf[i] ?? null;
    const cs = cat === null ? null : (categoryStats.get(cat) ?? null);
    if (!enoughOwn && cs !== null && qualifies(cs, options) && (buyers[i] as number) > 0) {
      return {
        ...(s ?? { ...cs, buyers: buyers[i] as number, repeatCustomers: 0, gaps: 0 }),
        typicalQuantity: s?.typicalQuantity ?? cs.typicalQuantity,
        intervalDays: cs.medianDays,
        source: 'category',
      };
    }
    return null;
  });

  // Quantity elasticity of the gap, over the gaps of cycled products.
  let sxy = 0;
  let sxx = 0;
  let pairs = 0;
  const gi = gapItem.values();
  const gd = gapDays.values();
  const gq = gapQty.values();
  for (let g = 0; g < gi.length; g++) {
    const iv = intervals[gi[g] as number];
    if (!iv) continue;
    const x = Math.log((gq[g] as number) / iv.typicalQuantity);
    if (x === 0) continue;
    sxy += x * Math.log((gd[g] as number) / iv.intervalDays);
    sxx += x * x;
    pairs++;
  }
  const fitted = pairs >= 100 && sxx > 0;
  return {
    intervals,
    statistics,
    quantityElasticity: fitted ? Math.min(1, Math.max(0, sxy / sxx)) : 1,
    elasticityPairs: fitted ? pairs : 0,
  };
}

/** One product a customer buys on a cycle, with when it runs out. */
export interface ReplenishmentItem {
  readonly productId: string;
  readonly lastPurchasedDay: number;
  readonly lastQuantity: number;
  readonly intervalDays: number;
  readonly runOutDay: number;
  /** `upcoming` before the lead window, `due` from `leadDays` before the run-out to one interval after it, then `lapsed`. */
  readonly status: 'upcoming' | 'due' | 'lapsed';
}

export interface IntervalLookup {
  get(productId: string): { intervalDays: number; typicalQuantity: number } | undefined;
}

/** The expected run-out day of a purchase (formula in the module comment). */
export function runOutDay(
  lastDay: number,
  quantity: number,
  interval: { intervalDays: number; typicalQuantity: number },
  elasticity: number,
): number {
  const factor = Math.pow(Math.max(1, quantity) / Math.max(1, interval.typicalQuantity), elasticity);
  return lastDay + Math.round(interval.intervalDays * factor);
}

/**
 * A customer's cycled products as of `asOfDay`: for each product with a learned interval, the
 * last purchase day on or before `asOfDay` (same-day quantities summed) and its run-out day.
 * Sorted by run-out day.
 */
export function customerReplenishment(
  purchases: ReadonlyArray<{ productId: string; day: number; quantity: number }>,
  intervals: IntervalLookup,
  elasticity: number,
  asOfDay: number,
  leadDays = 7,
): ReplenishmentItem[] {
  const last = new Map<string, { day: number; quantity: number }>();
  for (const p of purchases) {
    if (p.day > asOfDay) continue;
    const cur = last.get(p.productId);
    if (!cur || p.day > cur.day) last.set(p.productId, { day: p.day, quantity: Math.max(1, p.quantity) });
    else if (p.day === cur.day) cur.quantity += Math.max(1, p.quantity);
  }
  const out: ReplenishmentItem[] = [];
  for (const [productId, l] of last) {
    const iv = intervals.get(productId);
    if (!iv) continue;
    const runOut = runOutDay(l.day, l.quantity, iv, elasticity);
    const daysLeft = runOut - asOfDay;
    out.push({
      productId,
      lastPurchasedDay: l.day,
      lastQuantity: l.quantity,
      intervalDays: iv.intervalDays,
      runOutDay: runOut,
      status: daysLeft > leadDays ? 'upcoming' : -daysLeft <= iv.intervalDays ? 'due' : 'lapsed',
    });
  }
  return out.sort((a, b) => a.runOutDay - b.runOutDay || (a.productId < b.productId ? -1 : 1));
}
