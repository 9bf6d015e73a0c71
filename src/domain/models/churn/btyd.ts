/**
 * BG/NBD outputs as churn features: fit on every customer's purchase days before the cut-off
 * (weeks), then each customer's probability of being alive and expected purchases over the
 * churn window. The fit is unsupervised, so it may use the same rows the churn model learns from.
 */
import type { HistoryAsOf } from '../../features/churn/features.js';
import { bgNbd, fitBgNbd, InsufficientDataError } from '../clv/index.js';
import { DAY_MS } from './label.js';

export type BtydView = NonNullable<HistoryAsOf['btyd']>;

/** One BTYD view per history (null for all when the store cannot identify a BG/NBD model). */
export function btydAtCutoff(views: readonly HistoryAsOf[], horizonDays: number): Array<BtydView | null> {
  const n = views.length;
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  views.forEach((h, i) => {
    const cutoffDay = h.cutoff / DAY_MS;
    const days = [...new Set(h.orders.map((o) => Math.floor(o.at / DAY_MS)))];
    const first = days[0] ?? cutoffDay;
    const last = days[days.length - 1] ?? cutoffDay;
    x[i] = Math.max(0, days.length - 1);
    tx[i] = (last - first) / 7;
    T[i] = Math.max((cutoffDay - first) / 7, tx[i]!);
  });
  let params;
  try {
    params = fitBgNbd({ frequency: x, recency: tx, T }).params;
  } catch (e) {
    if (e instanceof InsufficientDataError) return views.map(() => null);
    throw e;
  }
  return views.map((_h, i) => ({
    probabilityAlive: bgNbd.probabilityAlive(params, x[i]!, tx[i]!, T[i]!),
    expectedPurchases: bgNbd.expectedPurchases(params, horizonDays / 7, x[i]!, tx[i]!, T[i]!),
    horizonDays,
  }));
}
