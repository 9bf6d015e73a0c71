/**
 * Pareto/NBD — Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They
 * and What Will They Do Next?", Management Science 33(1); likelihood as in Fader & Hardie (2005),
 * "A Note on Deriving the Pareto/NBD Model and Related Expressions". While alive a customer buys
 * as a Poisson process with rate λ ~ Gamma(r, α); her lifetime is exponential with rate
 * μ ~ Gamma(s, β).
 */
import { collapseRfm, groupByFrequency, requireIdentifiable, type RfmInput } from './rfm-data.js';
import { minimize } from './optimize.js';
import type { FitOptions as BgFitOptions, FitResult } from './bg-family.js';
import { digamma, logAddExp, logGamma, logHyp2f1Signed } from './special-functions.js';

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

export interface ParetoNbdFitOptions extends Omit<BgFitOptions, 'initial'> {
  initial?: Partial<ParetoNbdParams>;
}

/**
 * ln ₂F₁(m, q; m+1; z) = ln Σ m/(m+n) · (q)ₙ/n! · zⁿ for |z| ≤ ½. For z > ½ Euler's transformation
 * (1−z)^(1−q) ₂F₁(1, m+1−q; m+1; z) gives a series of positive terms whose ratio is below z, which
 * stays accurate where the 1−z connection formula would cancel catastrophically (large m).
 */
function logF(m: number, q: number, z: number): number {
  if (Math.abs(z) <= 0.5) {
    let term = 1; // (q)ₙ zⁿ / n!
    let sum = 1;
    for (let n = 1; n < 100_000; n++) {
      term *= ((q + n - 1) / n) * z;
      const t = (term * m) / (m + n);
      sum += t;
      if (Math.abs(t) <= 1e-17 * Math.abs(sum) && Math.abs(((q + n) / (n + 1)) * z) < 1) break;
    }
    return Math.log(sum);
  }
  if (z > 0 && z < 1) {
    const c = m + 1 - q; // r + x or s + 1: positive
    let term = 1;
    let sum = 1;
    for (let n = 0; n < 10_000_000; n++) {
      term *= ((c + n) / (m + 1 + n)) * z;
      sum += term;
      if (term <= 1e-17 * sum) break;
    }
    return (1 - q) * Math.log1p(-z) + Math.log(sum);
  }
  const h = logHyp2f1Signed(m, q, m + 1, z);
  return h.sign > 0 ? h.log : NaN;
}

/**
 * ln G(τ), G(τ) = ∫_τ^∞ (A+u)^(−p) (B+u)^(−q) du = (M+τ)^(−m) ₂F₁(m, q′; m+1; z) / m with
 * m = p+q−1, M = max(A, B), q′ the exponent of the smaller base and z = |A−B|/(M+τ).
 * `aIsMax` fixes the branch (so that finite differences never straddle the switch).
 */
function logTail(p: number, q: number, A: number, B: number, tau: number, aIsMax: boolean): number {
  const m = p + q - 1;
  const M = aIsMax ? A : B;
  const qq = aIsMax ? q : p;
  const z = (aIsMax ? A - B : B - A) / (M + tau);
  return -m * Math.log(M + tau) + logF(m, qq, z) - Math.log(m);
}

/** ln ∫_lo^hi (A+u)^(−p) (B+u)^(−q) du, via the ₂F₁ tails (−Infinity when lo = hi). */
function logIntegral(p: number, q: number, A: number, B: number, lo: number, hi: number): number {
  if (!(hi > lo)) return -Infinity;
  const aIsMax = A >= B;
  const g1 = logTail(p, q, A, B, lo, aIsMax);
  const g2 = logTail(p, q, A, B, hi, aIsMax);
  return g1 + Math.log(-Math.expm1(g2 - g1));
}

/**
 * Maximum likelihood on log-parameters. Per customer (Fader & Hardie 2005, eq. 22):
 * L = Γ(r+x)αʳβˢ/Γ(r) · [ (α+T)^−(r+x)(β+T)^−s + s ∫_{tₓ}^{T} (α+τ)^−(r+x)(β+τ)^−(s+1) dτ ],
 * the integral written with ₂F₁ as in their A₀ (the α ≥ β / β > α switch picks the convergent
 * form), evaluated in log space. The tails depend on (x, tₓ) and (x, T) only, so they are
 * computed once per distinct pair with central-difference derivatives, and combined per row
 * with the analytic chain rule.
 */
export function fitParetoNbd(input: RfmInput, options: ParetoNbdFitOptions = {}): FitResult<ParetoNbdParams> {
  const data = collapseRfm(input);
  requireIdentifiable(data, 'Pareto/NBD');
  const { x, tx, T, w, rows } = data;
  const groups = groupByFrequency(x, w);
  const G = groups.values.length;

  // Distinct (x, τ) pairs for the tails at tₓ and at T.
  const pairIndex = new Map<number, Map<number, number>>();
  const pairX: number[] = [];
  const pairTau: number[] = [];
  const pairOf = (xi: number, tau: number): number => {
    let inner = pairIndex.get(xi);
    if (!inner) {
      inner = new Map();
      pairIndex.set(xi, inner);
    }
    let k = inner.get(tau);
    if (k === undefined) {
      k = pairX.length;
      inner.set(tau, k);
      pairX.push(xi);
      pairTau.push(tau);
    }
    return k;
  };
  const lo = new Int32Array(rows);
  const hi = new Int32Array(rows);
  let sumWT = 0;
  let sumWX = 0;
  for (let i = 0; i < rows; i++) {
    const xi = x[i] as number;
    lo[i] = pairOf(xi, tx[i] as number);
    hi[i] = pairOf(xi, T[i] as number);
    sumWT += (w[i] as number) * (T[i] as number);
    sumWX += (w[i] as number) * xi;
  }
  const P = pairX.length;
  const lnG = new Float64Array(P);
  const dG = new Float64Array(P * 4);
  const total = data.customers;
  const meanRate = Math.max(sumWX / Math.max(sumWT, 1e-12), 1e-6);
  const meanT = Math.max(sumWT / total, 1e-6);
  const init = options.initial ?? {};
  const r0 = init.r ?? 1;
  const start = [
    Math.log(r0),
    Math.log(init.alpha ?? r0 / meanRate),
    Math.log(init.s ?? 1),
    Math.log(init.beta ?? meanT),
  ];
  const h = 2e-5;
  const theta = new Float64Array(4);

  const objective = (th: Float64Array, grad: Float64Array): number => {
    const r = Math.exp(th[0] as number);
    const alpha = Math.exp(th[1] as number);
    const s = Math.exp(th[2] as number);
    const beta = Math.exp(th[3] as number);
    const aIsMax = alpha >= beta;
    // Tails and their log-parameter derivatives per distinct pair.
    for (let k = 0; k < P; k++) {
      const xk = pairX[k] as number;
      const tau = pairTau[k] as number;
      const tail = (lr: number, la: number, ls: number, lb: number): number =>
        logTail(Math.exp(lr) + xk, Math.exp(ls) + 1, Math.exp(la), Math.exp(lb), tau, aIsMax);
      lnG[k] = tail(th[0] as number, th[1] as number, th[2] as number, th[3] as number);
      for (let j = 0; j < 4; j++) {
        theta.set(th);
        theta[j] = (th[j] as number) + h;
        const up = tail(theta[0] as number, theta[1] as number, theta[2] as number, theta[3] as number);
        theta[j] = (th[j] as number) - h;
        const down = tail(theta[0] as number, theta[1] as number, theta[2] as number, theta[3] as number);
        dG[k * 4 + j] = (up - down) / (2 * h);
      }
    }
    let ll = 0;
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    let g3 = 0;
    const lgR = logGamma(r);
    const psiR = digamma(r);
    const lnAlpha = Math.log(alpha);
    const lnBeta = Math.log(beta);
    const lnS = Math.log(s);
    for (let g = 0; g < G; g++) {
      const xg = groups.values[g] as number;
      const wg = groups.weight[g] as number;
      ll += wg * (logGamma(r + xg) - lgR + r * lnAlpha + s * lnBeta);
      g0 += wg * r * (digamma(r + xg) - psiR + lnAlpha);
      g1 += wg * r;
      g2 += wg * s * lnBeta;
      g3 += wg * s;
    }
    for (let i = 0; i < rows; i++) {
      const xi = x[i] as number;
      const wi = w[i] as number;
      const Ti = T[i] as number;
      const aT = alpha + Ti;
      const bT = beta + Ti;
      const LA = Math.log(aT);
      const LB = Math.log(bT);
      const p = -(r + xi) * LA - s * LB;
      const dp0 = -r * LA;
      const dp1 = (-(r + xi) * alpha) / aT;
      const dp2 = -s * LB;
      const dp3 = (-s * beta) / bT;
      if (!((tx[i] as number) < Ti)) {
        ll += wi * p;
        g0 += wi * dp0;
        g1 += wi * dp1;
        g2 += wi * dp2;
        g3 += wi * dp3;
        continue;
      }
      const k1 = lo[i] as number;
      const k2 = hi[i] as number;
      const a1 = lnG[k1] as number;
      const a2 = lnG[k2] as number;
      const rho = Math.exp(a2 - a1);
      const q = lnS + a1 + Math.log1p(-rho);
      const inv = 1 / (1 - rho);
      const dq0 = ((dG[k1 * 4] as number) - rho * (dG[k2 * 4] as number)) * inv;
      const dq1 = ((dG[k1 * 4 + 1] as number) - rho * (dG[k2 * 4 + 1] as number)) * inv;
      const dq2 = 1 + ((dG[k1 * 4 + 2] as number) - rho * (dG[k2 * 4 + 2] as number)) * inv;
      const dq3 = ((dG[k1 * 4 + 3] as number) - rho * (dG[k2 * 4 + 3] as number)) * inv;
      const u = q - p;
      const e = Math.exp(-Math.abs(u));
      const sigma = u >= 0 ? 1 / (1 + e) : e / (1 + e);
      ll += wi * ((u > 0 ? q : p) + Math.log1p(e));
      const ws = wi * sigma;
      const wp = wi - ws;
      g0 += wp * dp0 + ws * dq0;
      g1 += wp * dp1 + ws * dq1;
      g2 += wp * dp2 + ws * dq2;
      g3 += wp * dp3 + ws * dq3;
    }
    grad[0] = -g0 / total;
    grad[1] = -g1 / total;
    grad[2] = -g2 / total;
    grad[3] = -g3 / total;
    return -ll / total;
  };

  const result = minimize(objective, start, options);
  return {
    params: {
      r: Math.exp(result.x[0] as number),
      alpha: Math.exp(result.x[1] as number),
      s: Math.exp(result.x[2] as number),
      beta: Math.exp(result.x[3] as number),
    },
    logLikelihood: -result.value * total,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
  };
}

/** ln of the bracket [(α+T)^−(r+x)(β+T)^−s , s·∫…] terms: returns [ln alive-term, ln dropout-term]. */
function logTerms(params: ParetoNbdParams, x: number, tx: number, T: number): [number, number] {
  const { r, alpha, s, beta } = params;
  const alive = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const died = Math.log(s) + logIntegral(r + x, s + 1, alpha, beta, tx, T);
  return [alive, died];
}

/** Total log-likelihood of the data at the given parameters. */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, input: RfmInput): number {
  const { r, alpha, s, beta } = params;
  let ll = 0;
  for (let i = 0; i < input.frequency.length; i++) {
    const xi = input.frequency[i] as number;
    const wi = input.weights ? (input.weights[i] as number) : 1;
    const [alive, died] = logTerms(params, xi, input.recency[i] as number, input.T[i] as number);
    ll +=
      wi *
      (logGamma(r + xi) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta) + logAddExp(alive, died));
  }
  return ll;
}

/**
 * P(alive | x, tₓ, T) = (α+T)^−(r+x)(β+T)^−s / [(α+T)^−(r+x)(β+T)^−s + s ∫_{tₓ}^{T} …]
 * (Fader & Hardie 2005, eq. 18, in log space).
 */
export function probabilityAlive(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const [alive, died] = logTerms(params, x, tx, T);
  if (died === -Infinity) return 1;
  const u = died - alive;
  return u > 0 ? Math.exp(-u) / (1 + Math.exp(-u)) : 1 / (1 + Math.exp(u));
}

/** −expm1(k·L)/k, continuous at k = 0 (→ −L). */
function expm1Ratio(k: number, L: number): number {
  return Math.abs(k * L) < 1e-12 ? -L * (1 + (k * L) / 2) : -Math.expm1(k * L) / k;
}

/**
 * E[purchases in (T, T+t] | x, tₓ, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)]
 * · P(alive) (Fader & Hardie 2005, eq. 19; the s → 1 limit is taken continuously).
 */
export function expectedPurchases(
  params: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = params;
  const L = Math.log(beta + T) - Math.log(beta + T + t);
  return (((r + x) * (beta + T)) / (alpha + T)) * expm1Ratio(s - 1, L) * probabilityAlive(params, x, tx, T);
}

/** E[X(t)] for a new customer = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)] (eq. 17). */
export function expectedPurchasesNewCustomer(params: ParetoNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = params;
  return ((r * beta) / alpha) * expm1Ratio(s - 1, Math.log(beta) - Math.log(beta + t));
}

/**
 * P(no purchase in (T, T+w] | x, tₓ, T) = 1 − P(alive) + P(alive)·P₀, where for an alive customer
 * (posterior λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T), independent)
 * P₀ = (α′/(α′+w))^(r+x)(β′/(β′+w))^s + s α′^(r+x) β′^s ∫₀^w (α′+τ)^−(r+x)(β′+τ)^−(s+1) dτ:
 * either no purchase and no death by w, or death at τ < w before the first purchase.
 */
export function probabilityNoPurchase(
  params: ParetoNbdParams,
  window: number,
  x: number,
  tx: number,
  T: number,
): number {
  const pAlive = probabilityAlive(params, x, tx, T);
  if (window <= 0) return 1;
  const { r, s } = params;
  const a1 = params.alpha + T;
  const b1 = params.beta + T;
  const rx = r + x;
  const quiet = -rx * Math.log(a1 + window) - s * Math.log(b1 + window);
  const died = Math.log(s) + logIntegral(rx, s + 1, a1, b1, 0, window);
  const p0 = Math.min(1, Math.exp(rx * Math.log(a1) + s * Math.log(b1) + logAddExp(quiet, died)));
  return 1 - pAlive + pAlive * p0;
}

/** Median time to the next purchase given alive: (α+T)(2^(1/(r+x)) − 1). */
export function medianTimeToNextPurchase(params: ParetoNbdParams, x: number, _tx: number, T: number): number {
  return (params.alpha + T) * Math.expm1(Math.LN2 / (params.r + x));
}
