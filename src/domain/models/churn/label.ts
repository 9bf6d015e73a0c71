/**
 * The churn label and the time split. A customer active before a cut-off (at least one order
 * before it) has churned as of the cut-off when they place no order in [cut-off, cut-off + window).
 * Features read only what happened before the cut-off; the model is trained on an earlier cut-off
 * whose label window ends where the evaluation cut-off begins (rolling origin), so nothing the
 * model learns from lies after the evaluation cut-off.
 */
import type { CustomerHistory } from '../../features/churn/history.js';

export const DAY_MS = 86_400_000;

/** Bounds of the default churn window, in days. */
export const MIN_WINDOW_DAYS = 14;
export const MAX_WINDOW_DAYS = 365;

/** 1 when the customer placed no order in [cutoff, cutoff + windowDays), else 0. */
export function churnLabel(h: CustomerHistory, cutoff: number, windowDays: number): 0 | 1 {
  const end = cutoff + windowDays * DAY_MS;
  for (const o of h.orders) if (o.at >= cutoff && o.at < end) return 0;
  return 1;
}

/** Whether the customer can be scored at the cut-off (an order before it). */
export function activeBefore(h: CustomerHistory, cutoff: number): boolean {
  return h.orders.length > 0 && h.orders[0]!.at < cutoff;
}

/** Gaps in days between consecutive order days of each customer, orders before `before` only. */
export function interPurchaseGaps(histories: readonly CustomerHistory[], before: number): number[] {
  const gaps: number[] = [];
  for (const h of histories) {
    let last: number | null = null;
    for (const o of h.orders) {
      if (o.at >= before) break;
      const day = Math.floor(o.at / DAY_MS);
      if (last !== null && day > last) gaps.push(day - last);
      last = day;
    }
  }
  return gaps;
}

/** Linear-interpolated quantile of unsorted values (NaN when empty). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * The default churn window: the `q` quantile (default 0.9) of the store's gaps between a
 * customer's consecutive order days, rounded up to whole days and clamped to [14, 365] days —
 * a customer who has not bought for longer than 90% of repeat gaps is unlikely to be "between
 * orders". Returns MAX_WINDOW_DAYS when the store has no repeat purchase.
 */
export function defaultChurnWindowDays(
  histories: readonly CustomerHistory[],
  before: number,
  q = 0.9,
): number {
  const g = quantile(interPurchaseGaps(histories, before), q);
  if (!Number.isFinite(g)) return MAX_WINDOW_DAYS;
  return Math.min(MAX_WINDOW_DAYS, Math.max(MIN_WINDOW_DAYS, Math.ceil(g)));
}

export interface ChurnSplit {
  /** Features of the training rows are read before this instant… */
  readonly trainingCutoff: number;
  /** …and their labels over [trainingCutoff, trainingLabelEnd); trainingLabelEnd = testCutoff. */
  readonly trainingLabelEnd: number;
  /** Features of the test (holdout) rows are read before this instant… */
  readonly testCutoff: number;
  /** …and their labels over [testCutoff, testLabelEnd). */
  readonly testLabelEnd: number;
}

/** Share of the test cut-off's customers who must already be customers at the training cut-off. */
export const ACQUIRED_SHARE = 0.9;

/**
 * Rolling origin: the training cut-off is one label window before the test cut-off, so the
 * training labels end exactly where the test features end. When that is too early — fewer than
 * 90% of the test cut-off's customers had bought by then (a young store, or CDNOW's single
 * cohort) — it moves later, to the time 90% had bought, but keeps at least a quarter window of
 * labels; the training window is then shorter than the test window.
 */
export function planChurnSplit(
  testCutoff: number,
  testLabelEnd: number,
  firstOrderTimes: readonly number[],
): ChurnSplit {
  if (!(testLabelEnd > testCutoff)) throw new RangeError('the label window must end after the cut-off');
  const window = testLabelEnd - testCutoff;
  let trainingCutoff = testCutoff - window;
  const firsts = firstOrderTimes.filter((t) => t < testCutoff);
  if (firsts.length > 0) {
    const acquired = firsts.filter((t) => t < trainingCutoff).length / firsts.length;
    if (acquired < ACQUIRED_SHARE) {
      const q = quantile(firsts, ACQUIRED_SHARE);
      trainingCutoff = Math.min(
        Math.ceil(q / DAY_MS + 1) * DAY_MS,
        testCutoff - Math.ceil(window / 4 / DAY_MS) * DAY_MS,
      );
    }
  }
  return { trainingCutoff, trainingLabelEnd: testCutoff, testCutoff, testLabelEnd };
}
