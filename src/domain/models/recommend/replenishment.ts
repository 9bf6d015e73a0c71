/**
 * Replenishment: how long a product lasts, learned from the customers who bought it more than
 * once, and when each customer will run out.
 *
 * Per product, a *gap* is the number of days between two consecutive purchase days of the same
 * product by the same customer (same-day lines merged, quantities summed). Two kinds of customer
 * re-buy a product: those on a habit (a bag of coffee a month, gaps close to the cycle) and those
 * who happen to pick it again (memoryless gaps spread over months). The second kind drags the
 * median far above the cycle (synthetic coffee, cycle 30 days: median gap 42), so the interval
 * is the **mode** of the gaps, estimated robustly as the half-sample mode of ln(gap) (Bickel &
 * Frühwirth 2006: repeatedly keep the half of the sorted sample with the shortest range).
 *
 * Is a product bought on a cycle at all? Its *concentration* is the share of its gaps within a
 * factor 1.5 of the mode. Memoryless (exponential) gaps put at most 0.29 of their mass in any
 * such window (max over m of e^(−m/1.5μ) − e^(−1.5m/μ)); a habit (Erlang-8, CV 0.35) about 0.75.
 * A product — or the pool of a category's gaps — is *cyclic* when its concentration is above
 * 0.29 at one-sided 1 % (z = (k − 0.29 n) / √(0.29 · 0.71 · n) ≥ 2.33).
 *
 * Interval of a product: in a cyclic category, its own mode when it has a minimum sample
 * (≥ `minCustomers` repeat customers and ≥ `minGaps` gaps) and is cyclic itself, else the
 * category's mode (`source: 'category'`); outside a cyclic category, its own mode only when it has
 * the sample and is cyclic; otherwise none.
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
  /** z of the concentration test (2.33 = one-sided 1 %). */
  readonly minZ: number;
}

export const DEFAULT_REPLENISHMENT_OPTIONS: ReplenishmentOptions = {
  minCustomers: 5,
  minGaps: 10,
  minZ: 2.33,
};

/** Largest share of memoryless gaps within a factor 1.5 of any point. */
export const MEMORYLESS_CONCENTRATION = 0.29;
const WINDOW = 1.5;

/** What was measured for one product (or category), whether or not it qualified. */
export interface GapStatistics {
  readonly buyers: number;
  readonly repeatCustomers: number;
  readonly gaps: number;
  readonly modeDays: number;
  readonly medianDays: number;
  readonly q1Days: number;
  readonly q3Days: number;
  /** Share of gaps within a factor 1.5 of the mode. */
  readonly concentration: number;
  /** z of the concentration against the memoryless bound. */
  readonly cyclicZ: number;
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
  /** Per category: the pooled statistics and whether the category is cyclic. */
  readonly categories: ReadonlyArray<{ category: string; statistics: GapStatistics | null; cyclic: boolean }>;
  readonly quantityElasticity: number;
  /** Pairs the elasticity was fitted on (0 → the default β = 1). */
  readonly elasticityPairs: number;
}

/** Half-sample mode of sorted values (Bickel & Frühwirth 2006). */
export function halfSampleMode(sorted: ArrayLike<number>): number {
  let lo = 0;
  let n = sorted.length;
  if (n === 0) return NaN;
  while (n > 3) {
    const h = Math.ceil(n / 2);
    let best = lo;
    let width = Infinity;
    for (let i = lo; i + h - 1 < lo + n; i++) {
      const w = (sorted[i + h - 1] as number) - (sorted[i] as number);
      if (w < width) {
        width = w;
        best = i;
      }
    }
    lo = best;
    n = h;
  }
  const a = sorted[lo] as number;
  if (n === 1) return a;
  const b = sorted[lo + 1] as number;
  if (n === 2) return (a + b) / 2;
  const c = sorted[lo + 2] as number;
  return b - a < c - b ? (a + b) / 2 : b - a > c - b ? (b + c) / 2 : b;
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

const enough = (s: GapStatistics, o: ReplenishmentOptions): boolean =>
  s.repeatCustomers >= o.minCustomers && s.gaps >= o.minGaps;
const cyclic = (s: GapStatistics | null, o: ReplenishmentOptions): s is GapStatistics =>
  s !== null && s.gaps >= o.minGaps && s.cyclicZ >= o.minZ;

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

  const stats = (gaps: Int32Array, qty: Int32Array, b: number, r: number): GapStatistics | null => {
    if (gaps.length === 0) return null;
    const logs = Float64Array.from(gaps, (g) => Math.log(g)); // gaps sorted, so logs are too
    const mode = Math.exp(halfSampleMode(logs));
    let k = 0;
    for (const g of gaps) if (g >= mode / WINDOW && g <= mode * WINDOW) k++;
    const n = gaps.length;
    const p0 = MEMORYLESS_CONCENTRATION;
    return {
      buyers: b,
      repeatCustomers: r,
      gaps: n,
      modeDays: Math.round(mode * 10) / 10,
      medianDays: quantile(gaps, 0.5),
      q1Days: quantile(gaps, 0.25),
      q3Days: quantile(gaps, 0.75),
      concentration: k / n,
      cyclicZ: (k - p0 * n) / Math.sqrt(p0 * (1 - p0) * n),
      typicalQuantity: Math.max(1, quantile(qty, 0.5)),
    };
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

  const categoryCyclic = new Map<string, GapStatistics>();
  for (const [cat, cs] of categoryStats) if (cyclic(cs, options)) categoryCyclic.set(cat, cs);
  const intervals: Array<ReplenishmentInterval | null> = statistics.map((s, i) => {
    const own = s !== null && enough(s, options) && cyclic(s, options);
    if (own) return { ...s, intervalDays: s.modeDays, source: 'product' };
    const cat = categoryOf[i] ?? null;
    const cs = cat === null ? undefined : categoryCyclic.get(cat);
    if (cs === undefined || (buyers[i] as number) === 0) return null;
    const base: GapStatistics = s ?? {
      ...cs,
      buyers: buyers[i] as number,
      repeatCustomers: 0,
      gaps: 0,
      typicalQuantity: quantile(qtyByItem[i] as Int32Array, 0.5) || cs.typicalQuantity,
    };
    return { ...base, intervalDays: cs.modeDays, source: 'category' };
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
    categories: categories.map((category) => ({
      category,
      statistics: categoryStats.get(category) ?? null,
      cyclic: categoryCyclic.has(category),
    })),
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

/** A cycled product as the API and the profile show it (days as YYYY-MM-DD). */
export interface ReplenishmentDue {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly lastPurchasedOn: string;
  readonly lastQuantity: number;
  readonly intervalDays: number;
  readonly runOutOn: string;
  /** Days from the as-of day to the run-out (negative: overdue). */
  readonly daysLeft: number;
  readonly status: ReplenishmentItem['status'];
}

const dayText = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

/** The items with product names and calendar days. */
export function describeReplenishment(
  items: readonly ReplenishmentItem[],
  product: (productId: string) => { name: string | null; category: string | null } | undefined,
  asOfDay: number,
): ReplenishmentDue[] {
  return items.map((r) => {
    const p = product(r.productId);
    return {
      productId: r.productId,
      name: p?.name ?? null,
      category: p?.category ?? null,
      lastPurchasedOn: dayText(r.lastPurchasedDay),
      lastQuantity: r.lastQuantity,
      intervalDays: r.intervalDays,
      runOutOn: dayText(r.runOutDay),
      daysLeft: r.runOutDay - asOfDay,
      status: r.status,
    };
  });
}
