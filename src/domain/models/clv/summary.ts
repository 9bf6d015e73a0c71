/**
 * Per-customer RFM summaries in the Fader–Hardie / `lifetimes` convention: several purchases on
 * one day are one transaction; frequency counts repeat purchase days; recency and T are measured
 * from the first purchase day.
 */

/** The unit of recency, T and the model's time axis. A month is 365.25 / 12 days. */
export type TimeUnit = 'day' | 'week' | 'month';

/** Days per unit of time. */
export function daysPerUnit(unit: TimeUnit): number {
  switch (unit) {
    case 'day':
      return 1;
    case 'week':
      return 7;
    case 'month':
      return 365.25 / 12;
    default: {
      const _exhaustive: never = unit;
      throw new RangeError(`unknown time unit ${String(_exhaustive)}`);
    }
  }
}

/** One purchase: day number since 1970-01-01 (UTC, integer) and amount in integer minor units. */
export interface Purchase {
  day: number;
  amount: number;
}

/** A customer's calibration-period summary. */
export interface CustomerSummary {
  /** Number of distinct purchase days after the first purchase day. */
  frequency: number;
  /** (last purchase day − first purchase day), in units. */
  recency: number;
  /** (calibration end day − first purchase day), in units: the customer's age. */
  T: number;
  /** Mean of the repeat purchase days' amounts (minor units, each day summed); 0 when frequency = 0. */
  monetaryValue: number;
}

/**
 * Summarise one customer's purchases up to and including `calibrationEndDay`.
 * Returns undefined when the customer has no purchase on or before that day.
 */
export function summarizeCustomer(
  purchases: readonly Purchase[],
  calibrationEndDay: number,
  unit: TimeUnit = 'week',
): CustomerSummary | undefined {
  const byDay = new Map<number, number>();
  for (const p of purchases) {
    if (p.day > calibrationEndDay) continue;
    byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.amount);
  }
  if (byDay.size === 0) return undefined;
  const days = [...byDay.keys()].sort((a, b) => a - b);
  const first = days[0] as number;
  const last = days[days.length - 1] as number;
  let repeatTotal = 0;
  for (let i = 1; i < days.length; i++) repeatTotal += byDay.get(days[i] as number) as number;
  const frequency = days.length - 1;
  const perUnit = daysPerUnit(unit);
  return {
    frequency,
    recency: (last - first) / perUnit,
    T: (calibrationEndDay - first) / perUnit,
    monetaryValue: frequency > 0 ? repeatTotal / frequency : 0,
  };
}

/** Columnar summaries, one row per customer kept (customers first buying after the end are dropped). */
export interface SummaryColumns {
  /** For each row, the customer's index in the input (0 … customerCount − 1). */
  customer: Int32Array;
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  monetaryValue: Float64Array;
}

/**
 * The batch form of {@link summarizeCustomer} over transaction columns: `customer[i]` is a
 * non-negative integer customer index, `day[i]` an integer day, `amount[i]` integer minor units.
 * Rows may come in any order; rows after `calibrationEndDay` are ignored.
 */
export function summarizeTransactions(
  customer: ArrayLike<number>,
  day: ArrayLike<number>,
  amount: ArrayLike<number>,
  calibrationEndDay: number,
  unit: TimeUnit = 'week',
): SummaryColumns {
  const n = customer.length;
  if (day.length !== n || amount.length !== n) throw new RangeError('columns must have equal length');
  const order = new Int32Array(n);
  let kept = 0;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    if ((day[i] as number) > calibrationEndDay) continue;
    if (kept > 0) {
      const j = order[kept - 1] as number;
      const c0 = customer[j] as number;
      const c1 = customer[i] as number;
      if (c1 < c0 || (c1 === c0 && (day[i] as number) < (day[j] as number))) sorted = false;
    }
    order[kept++] = i;
  }
  const idx = order.subarray(0, kept);
  if (!sorted) {
    idx.sort(
      (i, j) => (customer[i] as number) - (customer[j] as number) || (day[i] as number) - (day[j] as number),
    );
  }

  // Count customers, then fill.
  let customers = 0;
  for (let k = 0; k < kept; k++) {
    if (k === 0 || customer[idx[k] as number] !== customer[idx[k - 1] as number]) customers++;
  }
  const out: SummaryColumns = {
    customer: new Int32Array(customers),
    frequency: new Float64Array(customers),
    recency: new Float64Array(customers),
    T: new Float64Array(customers),
    monetaryValue: new Float64Array(customers),
  };
  const perUnit = daysPerUnit(unit);
  let row = -1;
  let first = 0;
  let lastDay = 0;
  let repeatDays = 0;
  let repeatTotal = 0;
  const flush = (): void => {
    if (row < 0) return;
    out.frequency[row] = repeatDays;
    out.recency[row] = (lastDay - first) / perUnit;
    out.T[row] = (calibrationEndDay - first) / perUnit;
    out.monetaryValue[row] = repeatDays > 0 ? repeatTotal / repeatDays : 0;
  };
  for (let k = 0; k < kept; k++) {
    const i = idx[k] as number;
    const c = customer[i] as number;
    const d = day[i] as number;
    const a = amount[i] as number;
    if (row < 0 || c !== out.customer[row]) {
      flush();
      row++;
      out.customer[row] = c;
      first = d;
      lastDay = d;
      repeatDays = 0;
      repeatTotal = 0;
      continue;
    }
    if (d !== lastDay) {
      repeatDays++;
      lastDay = d;
    }
    if (d !== first) repeatTotal += a;
  }
  flush();
  return out;
}
