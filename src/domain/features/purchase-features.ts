/**
 * Features of a customer's purchase history as of a cut-off day, for the learned CLV (and later
 * churn) models. Pure: columns in, columns out. Every feature only looks at purchases on or
 * before the cut-off, so a model trained on features at an earlier cut-off and labels after it
 * never sees its own future.
 *
 * Purchases on one day are one purchase occasion (the BTYD convention), so counts below are
 * distinct purchase days.
 */

/** All purchases as columns, sorted by customer index, then day (what the order-history read returns). */
export interface PurchaseColumns {
  /** Customer index, 0 … customers − 1, non-decreasing. */
  readonly customer: Int32Array;
  /** UTC day number, non-decreasing within a customer. */
  readonly day: Int32Array;
  /** Amount in integer minor units. */
  readonly amount: Float64Array;
}

/** Purchase columns with the store's id of each customer index. */
export interface PurchaseHistory extends PurchaseColumns {
  readonly customerIds: readonly string[];
}

/** The recent-activity windows, in days (4, 13 and 26 weeks). */
export const RECENT_WINDOWS = [28, 91, 182] as const;

/** Feature names, in column order. */
export const PURCHASE_FEATURES = [
  'frequency',
  'recencyDays',
  'ageDays',
  'daysSinceLast',
  'rate',
  'monetaryValue',
  'firstOrderValue',
  'meanOrderValue',
  'lastOrderValue',
  'ordersLast28d',
  'ordersLast91d',
  'ordersLast182d',
  'meanGapDays',
  'lastGapDays',
  'gapTrend',
  'silenceRatio',
] as const;

export type PurchaseFeature = (typeof PURCHASE_FEATURES)[number];

/** Features of the customers who had bought by the cut-off. */
export interface PurchaseFeatureTable {
  /** Customer index of each row (ascending). */
  readonly customer: Int32Array;
  /** Row-major values, `PURCHASE_FEATURES.length` per row; NaN = not defined (e.g. gaps of a one-time buyer). */
  readonly values: Float64Array;
  readonly rows: number;
  readonly names: readonly PurchaseFeature[];
}

/** Ranges [start, end) of each customer's rows in sorted purchase columns. */
export function customerRanges(purchases: PurchaseColumns, customers: number): Int32Array {
  const start = new Int32Array(customers + 1);
  const n = purchases.customer.length;
  for (let i = 0; i < n; i++) {
    const c = purchases.customer[i] as number;
    if (i > 0 && c < (purchases.customer[i - 1] as number))
      throw new RangeError('purchases must be sorted by customer');
    start[c + 1] = (start[c + 1] as number) + 1;
  }
  for (let c = 0; c < customers; c++) start[c + 1] = (start[c + 1] as number) + (start[c] as number);
  return start;
}

/**
 * Per-customer features as of `cutoffDay` (inclusive), in days:
 * - frequency x (repeat purchase days), recencyDays (last − first day), ageDays T (cut-off − first
 *   day), daysSinceLast = T − recency, rate = x / T (0 when T = 0): the RFM summary;
 * - monetaryValue (mean repeat day value, 0 when x = 0), first / mean / last day value;
 * - ordersLast28d / 91d / 182d: purchase days in (cut-off − w, cut-off];
 * - meanGapDays = recency / x, lastGapDays (the last gap), gapTrend = last gap / mean gap
 *   (> 1: slowing down), silenceRatio = daysSinceLast / mean gap (> 1: overdue against the
 *   customer's own rhythm). NaN for a one-time buyer.
 */
export function purchaseFeatures(
  purchases: PurchaseColumns,
  customers: number,
  cutoffDay: number,
): PurchaseFeatureTable {
  const ranges = customerRanges(purchases, customers);
  const rowsCustomer: number[] = [];
  const values: number[] = [];
  const { day, amount } = purchases;
  for (let c = 0; c < customers; c++) {
    const lo = ranges[c] as number;
    const hi = ranges[c + 1] as number;
    if (hi === lo || (day[lo] as number) > cutoffDay) continue;
    const first = day[lo] as number;
    let firstValue = 0;
    let dayCount = 0;
    let total = 0;
    let repeatTotal = 0;
    let lastDay = first;
    let lastValue = 0;
    let previousDay = first;
    const recent = [0, 0, 0];
    for (let i = lo; i < hi; i++) {
      const d = day[i] as number;
      if (d > cutoffDay) break;
      const a = amount[i] as number;
      if (dayCount === 0 || d !== lastDay) {
        if (dayCount > 0) previousDay = lastDay;
        dayCount++;
        lastDay = d;
        lastValue = 0;
        for (let w = 0; w < RECENT_WINDOWS.length; w++) {
          if (d > cutoffDay - (RECENT_WINDOWS[w] as number)) recent[w] = (recent[w] as number) + 1;
        }
      }
      lastValue += a;
      total += a;
      if (d === first) firstValue += a;
      else repeatTotal += a;
    }
    const x = dayCount - 1;
    const recency = lastDay - first;
    const age = cutoffDay - first;
    const since = cutoffDay - lastDay;
    const meanGap = x > 0 ? recency / x : NaN;
    const lastGap = x > 0 ? lastDay - previousDay : NaN;
    rowsCustomer.push(c);
    values.push(
      x,
      recency,
      age,
      since,
      age > 0 ? x / age : 0,
      x > 0 ? repeatTotal / x : 0,
      firstValue,
      total / dayCount,
      lastValue,
      recent[0] as number,
      recent[1] as number,
      recent[2] as number,
      meanGap,
      lastGap,
      x > 0 && meanGap > 0 ? lastGap / meanGap : NaN,
      x > 0 && meanGap > 0 ? since / meanGap : NaN,
    );
  }
  return {
    customer: Int32Array.from(rowsCustomer),
    values: Float64Array.from(values),
    rows: rowsCustomer.length,
    names: PURCHASE_FEATURES,
  };
}

/**
 * Purchase days in the window (fromDay, toDay] for each customer index — the "repeat purchases"
 * a holdout counts (for a customer who first bought on or before `fromDay`, every purchase day in
 * the window is a repeat).
 */
export function purchaseDaysBetween(
  purchases: PurchaseColumns,
  customers: number,
  fromDay: number,
  toDay: number,
): Float64Array {
  const out = new Float64Array(customers);
  const { customer, day } = purchases;
  let lastCustomer = -1;
  let lastDay = Number.NaN;
  for (let i = 0; i < customer.length; i++) {
    const d = day[i] as number;
    if (d <= fromDay || d > toDay) continue;
    const c = customer[i] as number;
    if (c === lastCustomer && d === lastDay) continue;
    out[c] = (out[c] as number) + 1;
    lastCustomer = c;
    lastDay = d;
  }
  return out;
}

/**
 * Total amount (minor units) and number of purchase days in (fromDay, toDay] per customer index:
 * the spend a holdout checks the Gamma–Gamma model against.
 */
export function spendBetween(
  purchases: PurchaseColumns,
  customers: number,
  fromDay: number,
  toDay: number,
): { total: Float64Array; days: Float64Array } {
  const total = new Float64Array(customers);
  const { customer, day, amount } = purchases;
  for (let i = 0; i < customer.length; i++) {
    const d = day[i] as number;
    if (d <= fromDay || d > toDay) continue;
    const c = customer[i] as number;
    total[c] = (total[c] as number) + (amount[i] as number);
  }
  return { total, days: purchaseDaysBetween(purchases, customers, fromDay, toDay) };
}
