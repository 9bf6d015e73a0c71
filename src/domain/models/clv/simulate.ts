/**
 * A seeded simulator of the BG/NBD purchase process with Gamma–Gamma spend, for parameter-recovery
 * tests and benchmarks. Time runs in weeks on a day grid, as a store's data would: purchases on the
 * same day merge into one transaction.
 */
import type { Random } from '../../random.js';
import type { BgNbdParams } from './bg-nbd.js';
import type { GammaGammaParams } from './gamma-gamma.js';

export interface SimulationOptions {
  customers: number;
  /** First purchases fall uniformly on days 0 … acquisitionDays − 1 (default 84: 12 weeks). */
  acquisitionDays?: number;
  /** The calibration period ends on this day, inclusive (default 272: 39 weeks after day 0 … 1). */
  calibrationEndDay?: number;
  /**
   * true (default): purchase times fall on days and same-day purchases merge, as in a store's data
   * (a small departure from the model: about (r+1)/(7α) of purchases merge, ~4% for CDNOW-like
   * parameters). false: continuous time, exactly the model.
   */
  dayGrid?: boolean;
}

export interface SimulatedSummary {
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  /** Mean repeat transaction value (0 for one-time buyers). */
  monetaryValue: Float64Array;
}

/**
 * Each customer: λ ~ Gamma(r, α) per week, p ~ Beta(a, b); exponential waits between purchases;
 * after each repeat purchase she leaves with probability p. Values: ν ~ Gamma(q, γ), each
 * transaction ~ Gamma(p, ν).
 */
export function simulateBgNbdGammaGamma(
  random: Random,
  transactions: BgNbdParams,
  spend: GammaGammaParams,
  options: SimulationOptions,
): SimulatedSummary {
  const n = options.customers;
  const acquisitionDays = options.acquisitionDays ?? 84;
  const end = options.calibrationEndDay ?? 272;
  const dayGrid = options.dayGrid ?? true;
  const out: SimulatedSummary = {
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const first = random.int(acquisitionDays);
    const ageDays = end - first;
    const lambda = random.gamma(transactions.r, transactions.alpha) / 7; // per day
    const p = random.beta(transactions.a, transactions.b);
    const nu = random.gamma(spend.q, spend.gamma);
    let t = 0;
    let lastDay = 0;
    let x = 0;
    let total = 0;
    for (;;) {
      t += lambda > 0 ? random.exponential(lambda) : Infinity;
      if (!(t <= ageDays)) break;
      const day = dayGrid ? Math.floor(t) : t;
      if (day !== lastDay) {
        x++;
        lastDay = day;
      }
      const value = random.gamma(spend.p, nu);
      if (day > 0) total += value; // the first day's spend is not a repeat transaction
      if (random.chance(p)) break;
    }
    out.frequency[i] = x;
    out.recency[i] = lastDay / 7;
    out.T[i] = ageDays / 7;
    out.monetaryValue[i] = x > 0 ? total / x : 0;
  }
  return out;
}
