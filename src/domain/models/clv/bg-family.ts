/**
 * The shared maths of the BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel &
 * Filiztekin 2007) models. They differ only in whether a customer may drop out right after the
 * first purchase (MBG) or only after repeat purchases (BG). In the formulas below the MBG is the
 * BG with b replaced by b + 1 in the Beta–geometric terms and the dropout term applying at x = 0.
 */
import {
  collapseRfm,
  groupByFrequency,
  indexValues,
  requireIdentifiable,
  type RfmInput,
} from './rfm-data.js';
import { minimize, type MinimizeOptions } from './optimize.js';
import { digamma, log1pExp, logGamma, logHyp2f1Signed } from './special-functions.js';

/** Parameters: λ ~ Gamma(r, α) (shape, rate), dropout probability p ~ Beta(a, b). */
export interface BgParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface FitOptions extends MinimizeOptions {
  /** Starting point (default r = 1, α from the mean purchase rate, a = b = 1). */
  initial?: Partial<BgParams>;
}

export interface FitResult<P> {
  params: P;
  /** Total log-likelihood at the estimate (summed over customers). */
  logLikelihood: number;
  iterations: number;
  /** Likelihood (with gradient) evaluations. */
  evaluations: number;
  converged: boolean;
}

/**
 * Maximum likelihood of the BG/NBD (modified = false) or MBG/NBD (modified = true) on
 * log-parameters, with the analytic gradient. Rows are collapsed to distinct (x, tₓ, T).
 */
export function fitBgFamily(
  input: RfmInput,
  modified: boolean,
  options: FitOptions = {},
): FitResult<BgParams> {
  const model = modified ? 'MBG/NBD' : 'BG/NBD';
  const data = collapseRfm(input);
  requireIdentifiable(data, model);
  const { x, tx, T, w, rows } = data;
  const groups = groupByFrequency(x, w);
  const G = groups.values.length;
  const shift = modified ? 0 : 1; // b + x − shift in the dropout term
  const bgShift = modified ? 1 : 0; // b + x + bgShift in the Beta terms

  let sumWT = 0;
  let sumWX = 0;
  for (let i = 0; i < rows; i++) {
    sumWT += (w[i] as number) * (T[i] as number);
    sumWX += (w[i] as number) * (x[i] as number);
  }
  const meanRate = Math.max(sumWX / Math.max(sumWT, 1e-12), 1e-6);
  const init = options.initial ?? {};
  const r0 = init.r ?? 1;
  const start = [
    Math.log(r0),
    Math.log(init.alpha ?? r0 / meanRate),
    Math.log(init.a ?? 1),
    Math.log(init.b ?? 1),
  ];

  const lnDrop = new Float64Array(G); // ln(b + x − shift) per group
  const invDrop = new Float64Array(G);
  const applies = new Uint8Array(G);
  for (let g = 0; g < G; g++) applies[g] = modified || (groups.values[g] as number) > 0 ? 1 : 0;
  const total = data.customers;
  // ln(α + T) and ln(α + tₓ) are tabulated per distinct value (few on a day grid).
  const ages = indexValues(T);
  const recencies = indexValues(tx);
  const lnAT = new Float64Array(ages.values.length);
  const invAT = new Float64Array(ages.values.length);
  const lnAX = new Float64Array(recencies.values.length);
  const invAX = new Float64Array(recencies.values.length);

  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const r = Math.exp(theta[0] as number);
    const alpha = Math.exp(theta[1] as number);
    const a = Math.exp(theta[2] as number);
    const b = Math.exp(theta[3] as number);
    const lnA = Math.log(a);
    const lnAlpha = Math.log(alpha);
    let ll = 0;
    let dr = 0;
    let dAlpha = 0;
    let da = 0;
    let db = 0;
    const psiR = digamma(r);
    const lgR = logGamma(r);
    const psiAB = digamma(a + b);
    const psiB = digamma(b);
    const lgAB = logGamma(a + b);
    const lgB = logGamma(b);
    for (let g = 0; g < G; g++) {
      const xg = groups.values[g] as number;
      const wg = groups.weight[g] as number;
      const xb = xg + bgShift;
      ll +=
        wg * (logGamma(r + xg) - lgR + r * lnAlpha + lgAB + logGamma(b + xb) - lgB - logGamma(a + b + xb));
      dr += wg * (digamma(r + xg) - psiR + lnAlpha);
      dAlpha += (wg * r) / alpha;
      const psiABX = digamma(a + b + xb);
      da += wg * (psiAB - psiABX);
      db += wg * (psiAB + digamma(b + xb) - psiB - psiABX);
      if (applies[g]) {
        lnDrop[g] = Math.log(b + xg - shift);
        invDrop[g] = 1 / (b + xg - shift);
      }
    }
    for (let k = 0; k < lnAT.length; k++) {
      const v = alpha + (ages.values[k] as number);
      lnAT[k] = Math.log(v);
      invAT[k] = 1 / v;
    }
    for (let k = 0; k < lnAX.length; k++) {
      const v = alpha + (recencies.values[k] as number);
      lnAX[k] = Math.log(v);
      invAX[k] = 1 / v;
    }
    for (let i = 0; i < rows; i++) {
      const xi = x[i] as number;
      const wi = w[i] as number;
      const rx = r + xi;
      const kT = ages.index[i] as number;
      const LA = lnAT[kT] as number;
      const iA = invAT[kT] as number;
      ll -= wi * rx * LA;
      dr -= wi * LA;
      dAlpha -= wi * rx * iA;
      const g = groups.rowGroup[i] as number;
      if (!applies[g]) continue;
      const kX = recencies.index[i] as number;
      const LX = lnAX[kX] as number;
      const u = lnA - (lnDrop[g] as number) + rx * (LA - LX);
      const e = Math.exp(-Math.abs(u));
      const sigma = u >= 0 ? 1 / (1 + e) : e / (1 + e);
      ll += wi * ((u > 0 ? u : 0) + Math.log1p(e));
      const ws = wi * sigma;
      dr += ws * (LA - LX);
      dAlpha += ws * rx * (iA - (invAX[kX] as number));
      da += ws / a;
      db -= ws * (invDrop[g] as number);
    }
    grad[0] = (-dr * r) / total;
    grad[1] = (-dAlpha * alpha) / total;
    grad[2] = (-da * a) / total;
    grad[3] = (-db * b) / total;
    return -ll / total;
  };

  const result = minimize(objective, start, options);
  return {
    params: {
      r: Math.exp(result.x[0] as number),
      alpha: Math.exp(result.x[1] as number),
      a: Math.exp(result.x[2] as number),
      b: Math.exp(result.x[3] as number),
    },
    logLikelihood: -result.value * total,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
  };
}

/** Log of the total likelihood at given parameters (for checks and model comparison). */
export function bgFamilyLogLikelihood(params: BgParams, input: RfmInput, modified: boolean): number {
  const { r, alpha, a, b } = params;
  const n = input.frequency.length;
  const shift = modified ? 0 : 1;
  const bgShift = modified ? 1 : 0;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const xi = input.frequency[i] as number;
    const ti = input.recency[i] as number;
    const Ti = input.T[i] as number;
    const wi = input.weights ? (input.weights[i] as number) : 1;
    const xb = xi + bgShift;
    let row =
      logGamma(r + xi) -
      logGamma(r) +
      r * Math.log(alpha) +
      logGamma(a + b) +
      logGamma(b + xb) -
      logGamma(b) -
      logGamma(a + b + xb) -
      (r + xi) * Math.log(alpha + Ti);
    if (modified || xi > 0) {
      row += log1pExp(
        Math.log(a) - Math.log(b + xi - shift) + (r + xi) * (Math.log(alpha + Ti) - Math.log(alpha + ti)),
      );
    }
    ll += wi * row;
  }
  return ll;
}

/** P(alive at T | x, tₓ, T). BG: 1 / (1 + [x>0] a/(b+x−1) ((α+T)/(α+tₓ))^(r+x)); MBG: a/(b+x), any x. */
export function bgProbabilityAlive(
  params: BgParams,
  modified: boolean,
  x: number,
  tx: number,
  T: number,
): number {
  if (!modified && x === 0) return 1;
  const { r, alpha, a, b } = params;
  const shift = modified ? 0 : 1;
  const u = Math.log(a) - Math.log(b + x - shift) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return u > 0 ? Math.exp(-u) / (1 + Math.exp(-u)) : 1 / (1 + Math.exp(u));
}

/**
 * E[Y(t) | x, tₓ, T] (FHL 2005 eq. 10):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive),
 * with b → b+1 for the MBG. Computed through Euler's transformation, which turns the bracket into
 * 1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z); written as an expm1 so that a → 1 and
 * large x stay exact and finite.
 */
export function bgExpectedPurchases(
  params: BgParams,
  modified: boolean,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  if (t <= 0) return 0;
  const { r, alpha, a } = params;
  const bb = params.b + (modified ? 1 : 0);
  const C = a + bb + x - 1;
  const A = C - (r + x);
  const eps = a - 1;
  const z = t / (alpha + T + t);
  const L = Math.log1p(-z);
  const pAlive = bgProbabilityAlive(params, modified, x, tx, T);
  if (!(C > 0)) {
    // Outside the Euler form's comfort zone (a + b < 1 at x = 0): use the direct series.
    const h = logHyp2f1Signed(r + x, bb + x, C, z);
    return (C / eps) * (1 - h.sign * Math.exp(h.log + (r + x) * L)) * pAlive;
  }
  // S' = (₂F₁(A, ε; C; z) − 1) / ε, summed without dividing by ε.
  let term = (A * z) / C;
  let sum = term;
  for (let n = 1; n < 1_000_000 && term !== 0; n++) {
    term *= (((A + n) * (eps + n)) / ((C + n) * (n + 1))) * z;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum) && n + 1 > -A) break;
  }
  const es = eps * sum;
  const q = Math.abs(es) < 1e-10 ? sum * (1 - es / 2) : Math.log1p(es) / eps;
  const yOverEps = L + q;
  const y = eps * yOverEps;
  const expm1OverY = Math.abs(y) < 1e-10 ? 1 + y / 2 : Math.expm1(y) / y;
  return C * -yOverEps * expm1OverY * pAlive;
}

/**
 * P(no purchase in (T, T+w] | x, tₓ, T) = 1 − P(alive) + P(alive) · ((α+T)/(α+T+w))^(r+x):
 * a dead customer never buys; an alive one (posterior λ ~ Gamma(r+x, α+T)) drops out only
 * after a purchase, so silence needs the next purchase to come after w.
 */
export function bgProbabilityNoPurchase(
  params: BgParams,
  modified: boolean,
  window: number,
  x: number,
  tx: number,
  T: number,
): number {
  const pAlive = bgProbabilityAlive(params, modified, x, tx, T);
  const { r, alpha } = params;
  const quiet = Math.exp((r + x) * (Math.log(alpha + T) - Math.log(alpha + T + window)));
  return 1 - pAlive + pAlive * quiet;
}

/** Median time to the next purchase of an alive customer: λ ~ Gamma(r+x, α+T) ⇒ (α+T)(2^(1/(r+x)) − 1). */
export function medianTimeToNextPurchase(r: number, alpha: number, x: number, T: number): number {
  return (alpha + T) * Math.expm1(Math.LN2 / (r + x));
}
