/**
 * Special functions for the customer-base models: log-gamma, digamma, log-beta, the Gauss
 * hypergeometric function and numerically stable log-sum-exp helpers. Pure, no dependencies.
 */

const LN_SQRT_2PI = 0.9189385332046728; // ln(√(2π))
const LN_PI = 1.1447298858494002;

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients), used for 0.5 ≤ x < 10.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/**
 * ln|Γ(x)|. Stirling's series (terms to x⁻¹¹) for x ≥ 10, Lanczos (g = 7) for 0.5 ≤ x < 10,
 * reflection Γ(x)Γ(1−x) = π / sin(πx) below 0.5. Relative error about 1e-15 away from the
 * zeros of ln Γ at 1 and 2 (absolute error about 1e-15 there). +Infinity at the poles.
 */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 10) {
    const inv = 1 / x;
    const inv2 = inv * inv;
    const series =
      inv *
      (1 / 12 +
        inv2 *
          (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360))))));
    return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + series;
  }
  if (x < 0.5) {
    if (x === Math.floor(x)) return Infinity;
    // ln|Γ(x)| = ln π − ln|sin(πx)| − ln Γ(1−x)
    return LN_PI - Math.log(Math.abs(sinPi(x))) - logGamma(1 - x);
  }
  const y = x - 1;
  let acc = LANCZOS[0];
  for (let i = 1; i < 9; i++) acc += (LANCZOS[i] as number) / (y + i);
  const t = y + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (y + 0.5) * Math.log(t) - t + Math.log(acc);
}

/** The sign of Γ(x): +1 for x > 0; alternating between the poles for x < 0 (0 at a pole). */
export function gammaSign(x: number): number {
  if (x > 0) return 1;
  if (x === Math.floor(x)) return 0;
  return Math.floor(x) % 2 === 0 ? 1 : -1;
}

/** sin(πx) with exact zeros at the integers. */
function sinPi(x: number): number {
  const r = x - 2 * Math.floor(x / 2); // in [0, 2)
  if (r === 0 || r === 1) return 0;
  return Math.sin(Math.PI * r);
}

/**
 * Digamma ψ(x) = d/dx ln Γ(x): recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic
 * series; reflection ψ(1−x) − ψ(x) = π cot(πx) for x < 0.
 */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) {
    if (x === Math.floor(x)) return NaN;
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    result +
    Math.log(x) -
    0.5 * inv -
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))))
  );
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln(eᵃ + eᵇ) without overflow; −Infinity when both are −Infinity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** ln(1 + eˣ) without overflow. */
export function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** ln Σ exp(vᵢ), stable (shifted by the maximum); −Infinity for an empty input. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > max) max = v;
  }
  if (max === -Infinity || max === Infinity || Number.isNaN(max)) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - max);
  return max + Math.log(sum);
}

/** A signed logarithm: the value is sign × exp(log). */
export interface SignedLog {
  log: number;
  sign: number;
}

const RESCALE = 1e250;
const LN_RESCALE = Math.log(RESCALE);
const SERIES_EPS = 1e-17;
const MAX_TERMS = 2_000_000;

/**
 * The Gauss series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ summed with rescaling so that large terms cannot
 * overflow. Stops once a term is negligible and the following terms shrink.
 */
function seriesSigned(a: number, b: number, c: number, z: number): SignedLog {
  let sum = 1;
  let term = 1;
  let logScale = 0;
  const pastSignChanges = Math.max(0, -Math.min(a, b));
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (term === 0) break;
    if (Math.abs(sum) > RESCALE || Math.abs(term) > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      logScale += LN_RESCALE;
    }
    if (Math.abs(term) <= SERIES_EPS * Math.abs(sum) && n + 1 >= pastSignChanges) {
      const nextRatio = Math.abs((((a + n + 1) * (b + n + 1)) / ((c + n + 1) * (n + 2))) * z);
      if (nextRatio < 1) break;
    }
  }
  if (sum === 0) return { log: -Infinity, sign: 0 };
  return { log: logScale + Math.log(Math.abs(sum)), sign: sum > 0 ? 1 : -1 };
}

function isNonPositiveInteger(x: number): boolean {
  return x <= 0 && x === Math.floor(x);
}

/**
 * ln|₂F₁(a, b; c; z)| and its sign, for real z ≤ 1.
 * - z < 0: Pfaff, ₂F₁(a,b;c;z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)), argument in (0, 1).
 * - 0 ≤ z ≤ 0.75: the Gauss series directly.
 * - 0.75 < z < 1: the 1−z connection formula (Abramowitz & Stegun 15.3.6) when c−a−b is not an
 *   integer; otherwise the (slowly converging, still correct) series.
 * - z = 1: Gauss's theorem Γ(c)Γ(c−a−b) / (Γ(c−a)Γ(c−b)) when c−a−b > 0, else +Infinity.
 */
export function logHyp2f1Signed(a: number, b: number, c: number, z: number): SignedLog {
  if (!(z <= 1) || Number.isNaN(a + b + c)) return { log: NaN, sign: NaN };
  if (isNonPositiveInteger(c) && !(isNonPositiveInteger(a) && a > c) && !(isNonPositiveInteger(b) && b > c)) {
    return { log: NaN, sign: NaN };
  }
  if (z === 0 || a === 0 || b === 0) return { log: 0, sign: 1 };
  if (z < 0) {
    const w = z / (z - 1);
    // Pfaff on whichever of a, b leaves the smaller prefactor exponent.
    const useA = Math.abs(a) <= Math.abs(b);
    const p = useA ? a : b;
    const other = useA ? b : a;
    const inner = logHyp2f1Signed(p, c - other, c, w);
    return { log: inner.log - p * Math.log1p(-z), sign: inner.sign };
  }
  if (z === 1) {
    const d = c - a - b;
    if (d <= 0) return { log: Infinity, sign: 1 };
    const num = [c, d];
    const den = [c - a, c - b];
    return gammaRatio(num, den);
  }
  const d = c - a - b;
  const integerD = Math.abs(d - Math.round(d)) < 1e-9;
  // A terminating series (a or b a non-positive integer) is exact at any z.
  if (z <= 0.75 || integerD || isNonPositiveInteger(a) || isNonPositiveInteger(b)) {
    return seriesSigned(a, b, c, z);
  }
  // A&S 15.3.6: F = Γ(c)Γ(d)/(Γ(c−a)Γ(c−b)) F(a,b;1−d;1−z)
  //               + (1−z)^d Γ(c)Γ(−d)/(Γ(a)Γ(b)) F(c−a,c−b;1+d;1−z)
  const w = 1 - z;
  const g1 = gammaRatio([c, d], [c - a, c - b]);
  const g2 = gammaRatio([c, -d], [a, b]);
  const s1 = g1.sign === 0 ? { log: -Infinity, sign: 0 } : seriesSigned(a, b, 1 - d, w);
  const s2 = g2.sign === 0 ? { log: -Infinity, sign: 0 } : seriesSigned(c - a, c - b, 1 + d, w);
  const t1 = { log: g1.log + s1.log, sign: g1.sign * s1.sign };
  const t2 = { log: g2.log + s2.log + d * Math.log(w), sign: g2.sign * s2.sign };
  return addSigned(t1, t2);
}

/** ln|Γ(n₁)Γ(n₂)… / (Γ(d₁)Γ(d₂)…)| and its sign; sign 0 when a denominator sits on a pole. */
function gammaRatio(num: readonly number[], den: readonly number[]): SignedLog {
  let log = 0;
  let sign = 1;
  for (const x of den) {
    const s = gammaSign(x);
    if (s === 0) return { log: -Infinity, sign: 0 };
    sign *= s;
    log -= logGamma(x);
  }
  for (const x of num) {
    const s = gammaSign(x);
    if (s === 0) return { log: Infinity, sign: 1 };
    sign *= s;
    log += logGamma(x);
  }
  return { log, sign };
}

function addSigned(x: SignedLog, y: SignedLog): SignedLog {
  if (x.sign === 0) return y;
  if (y.sign === 0) return x;
  const hi = x.log >= y.log ? x : y;
  const lo = x.log >= y.log ? y : x;
  const r = Math.exp(lo.log - hi.log) * hi.sign * lo.sign;
  const s = 1 + r;
  if (s === 0) return { log: -Infinity, sign: 0 };
  return { log: hi.log + Math.log(Math.abs(s)), sign: hi.sign * (s > 0 ? 1 : -1) };
}

/** ₂F₁(a, b; c; z) for real z ≤ 1 (see {@link logHyp2f1Signed} for the method). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const r = logHyp2f1Signed(a, b, c, z);
  if (r.sign === 0) return 0;
  return r.sign * Math.exp(r.log);
}

/** ln ₂F₁(a, b; c; z); NaN when the function is negative there. */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  const r = logHyp2f1Signed(a, b, c, z);
  if (r.sign === 0) return -Infinity;
  return r.sign > 0 ? r.log : NaN;
}
