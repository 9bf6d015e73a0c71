/**
 * Gamma–Gamma spend model — Colombo & Jiang (1999), "A stochastic RFM model", Journal of
 * Interactive Marketing 13(3); Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves
 * for Customer Base Analysis", Journal of Marketing Research 42(4). Each transaction's value is
 * Gamma(p, ν) around a customer mean p/ν, with ν ~ Gamma(q, γ) across customers; spend is assumed
 * independent of the purchase process.
 */
import { InsufficientDataError } from './rfm-data.js';
import { minimize } from './optimize.js';
import type { FitOptions as BgFitOptions, FitResult } from './bg-family.js';
import { digamma, logGamma } from './special-functions.js';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** Repeat customers' frequency x and mean repeat transaction value m (rows with x = 0 are skipped). */
export interface SpendInput {
  frequency: ArrayLike<number>;
  monetaryValue: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

export interface GammaGammaFitOptions extends Omit<BgFitOptions, 'initial'> {
  initial?: Partial<GammaGammaParams>;
}

/**
 * Maximum likelihood of the mean repeat value m of x transactions (FHL 2005, "RFM and CLV", eq. 3):
 * f(m | p, q, γ, x) = Γ(px+q) / (Γ(px)Γ(q)) · γ^q m^(px−1) x^(px) / (γ + x m)^(px+q).
 * Uses customers with x > 0 and m > 0; throws InsufficientDataError with fewer than 3 of them.
 */
export function fitGammaGamma(
  input: SpendInput,
  options: GammaGammaFitOptions = {},
): FitResult<GammaGammaParams> {
  const n = input.frequency.length;
  if (input.monetaryValue.length !== n)
    throw new RangeError('frequency and monetaryValue must have equal length');
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if ((input.frequency[i] as number) > 0 && (input.monetaryValue[i] as number) > 0) rows++;
  }
  const xs = new Float64Array(rows);
  const ms = new Float64Array(rows);
  const ws = new Float64Array(rows);
  const groupOf = new Int32Array(rows);
  const groupIndex = new Map<number, number>();
  const groupX: number[] = [];
  const groupW: number[] = [];
  let total = 0;
  let sumLogM = 0;
  let sumXLogXM = 0;
  let sumM = 0;
  for (let i = 0, k = 0; i < n; i++) {
    const x = input.frequency[i] as number;
    const m = input.monetaryValue[i] as number;
    if (!(x > 0 && m > 0)) continue;
    const w = input.weights ? (input.weights[i] as number) : 1;
    xs[k] = x;
    ms[k] = m;
    ws[k] = w;
    let g = groupIndex.get(x);
    if (g === undefined) {
      g = groupX.length;
      groupIndex.set(x, g);
      groupX.push(x);
      groupW.push(0);
    }
    groupW[g] = (groupW[g] as number) + w;
    groupOf[k] = g;
    total += w;
    sumLogM += w * Math.log(m);
    sumXLogXM += w * x * (Math.log(x) + Math.log(m));
    sumM += w * m;
    k++;
  }
  if (total < 3) {
    throw new InsufficientDataError(
      `Gamma-Gamma needs at least 3 repeat customers (frequency > 0) with a positive mean value; got ${total}`,
    );
  }
  const G = groupX.length;
  const init = options.initial ?? {};
  const start = [Math.log(init.p ?? 1), Math.log(init.q ?? 2), Math.log(init.gamma ?? sumM / total)];

  const objective = (th: Float64Array, grad: Float64Array): number => {
    const p = Math.exp(th[0] as number);
    const q = Math.exp(th[1] as number);
    const gamma = Math.exp(th[2] as number);
    const lnGamma = Math.log(gamma);
    let ll = p * sumXLogXM - sumLogM + total * (q * lnGamma - logGamma(q));
    let dp = sumXLogXM;
    let dq = total * (lnGamma - digamma(q));
    let dg = (total * q) / gamma;
    for (let g = 0; g < G; g++) {
      const x = groupX[g] as number;
      const w = groupW[g] as number;
      ll += w * (logGamma(p * x + q) - logGamma(p * x));
      const psiPXQ = digamma(p * x + q);
      dp += w * x * (psiPXQ - digamma(p * x));
      dq += w * psiPXQ;
    }
    for (let i = 0; i < rows; i++) {
      const x = xs[i] as number;
      const w = ws[i] as number;
      const d = x * (ms[i] as number) + gamma;
      const ld = Math.log(d);
      const pxq = p * x + q;
      ll -= w * pxq * ld;
      dp -= w * x * ld;
      dq -= w * ld;
      dg -= (w * pxq) / d;
    }
    grad[0] = (-dp * p) / total;
    grad[1] = (-dq * q) / total;
    grad[2] = (-dg * gamma) / total;
    return -ll / total;
  };

  const result = minimize(objective, start, options);
  return {
    params: {
      p: Math.exp(result.x[0] as number),
      q: Math.exp(result.x[1] as number),
      gamma: Math.exp(result.x[2] as number),
    },
    logLikelihood: -result.value * total,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
  };
}

/**
 * E[M | x, m̄] = (γ + x m̄) p / (p x + q − 1) — a weighted mean of the population mean pγ/(q−1)
 * and the customer's own mean (FHL 2005 eq. 5). With x = 0 it is the population mean.
 * Infinity when px + q ≤ 1 (the posterior mean does not exist).
 */
export function conditionalExpectedAverageValue(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  const den = p * x + q - 1;
  if (!(den > 0)) return Infinity;
  return (p * (gamma + x * (x > 0 ? m : 0))) / den;
}
