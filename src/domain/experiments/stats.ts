/**
 * The statistics of an experiment report, checked against published numbers and scipy in
 * stats.test.ts: normal and Student-t quantiles, Wilson score intervals for a proportion, the
 * Newcombe hybrid score interval for a difference of two proportions (Newcombe 1998, method 10),
 * Welch's interval for a difference of means, and the two-proportion z-test sample size /
 * minimum detectable effect (Fleiss, Levin & Paik 2003, eq. 4.14, no continuity correction).
 */

export interface Interval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/* eslint-disable no-loss-of-precision -- the published coefficients of AS 241 and of the Lanczos and erfc fits, digit for digit */

/** Φ⁻¹(p): Wichura's AS 241 (PPND16), accurate to about 1e-16. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`normalQuantile: p=${p} not in [0, 1]`);
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
          45921.953931549871457) *
          r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
        21213.794301586595867) *
        r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
        1.27045825245236838258) *
        r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
        0.14810397642748007459) *
        r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
        0.026532189526576123093) *
        r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) *
        r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}

/** Φ(x) via the complementary error function (W. J. Cody's rational approximations, ~1e-15). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes 3rd ed. §6.2 erfc via Chebyshev fit: relative error < 1.2e-16 in practice.
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  const cof = [
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3,
    -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6,
    1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10,
    -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
    3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
  ];
  let d = 0;
  let dd = 0;
  for (let j = cof.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + (cof[j] as number);
    dd = tmp;
  }
  const r = t * Math.exp(-z * z + 0.5 * ((cof[0] as number) + ty * d) - dd);
  return x >= 0 ? r : 2 - r;
}

function logGamma(x: number): number {
  // Lanczos (g = 7, n = 9), good to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0] as number;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = -((a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF; |error| < 1e-10). Infinite df gives the normal. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p=${p} not in (0, 1)`);
  if (!Number.isFinite(df) || df > 1e7) return normalQuantile(p);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Wilson score interval for x successes in n (Wilson 1927). */
export function wilsonInterval(x: number, n: number, confidence = 0.95): Interval {
  if (!(n > 0)) return { estimate: NaN, lower: NaN, upper: NaN };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * p₁ − p₂ with the Newcombe hybrid score interval (method 10 of Newcombe 1998, from the two
 * Wilson intervals): good coverage even for small counts and rates near 0, where the Wald
 * interval fails.
 */
export function newcombeDifference(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence = 0.95,
): Interval {
  const a = wilsonInterval(x1, n1, confidence);
  const b = wilsonInterval(x2, n2, confidence);
  const d = a.estimate - b.estimate;
  const lower = d - Math.sqrt((a.estimate - a.lower) ** 2 + (b.upper - b.estimate) ** 2);
  const upper = d + Math.sqrt((a.upper - a.estimate) ** 2 + (b.estimate - b.lower) ** 2);
  return { estimate: d, lower, upper };
}

export interface SampleMoments {
  readonly n: number;
  readonly mean: number;
  /** Unbiased sample variance (n − 1 in the denominator). */
  readonly variance: number;
}

/** Mean and unbiased variance of values (Welford). */
export function moments(values: ArrayLike<number>): SampleMoments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return { n, mean: n > 0 ? mean : NaN, variance: n > 1 ? m2 / (n - 1) : NaN };
}

/** μ₁ − μ₂ with Welch's t interval (Welch 1947; Satterthwaite degrees of freedom). */
export function welchDifference(
  a: SampleMoments,
  b: SampleMoments,
  confidence = 0.95,
): Interval & { df: number } {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  const d = a.mean - b.mean;
  if (!(a.n > 1 && b.n > 1) || !Number.isFinite(se)) return { estimate: d, lower: NaN, upper: NaN, df: NaN };
  if (se === 0) return { estimate: d, lower: d, upper: d, df: Infinity };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { estimate: d, lower: d - t * se, upper: d + t * se, df };
}

export interface PowerInput {
  /** Rate in the control arm (the baseline). */
  readonly baseline: number;
  /** Significance level, two-sided (default 0.05). */
  readonly alpha?: number;
  /** Power, 1 − β (default 0.8). */
  readonly power?: number;
  /** Control customers per treated customer (default 1; a 10 % holdout is 1/9). */
  readonly ratio?: number;
}

/**
 * Treated and control customers needed to detect `treated − baseline = mde` (absolute) with a
 * two-sided two-proportion z-test: n_t = [z_{1−α/2} √(p̄q̄(1 + 1/r)) + z_{1−β} √(p_t q_t + p_c q_c / r)]² / δ²,
 * n_c = r·n_t, p̄ the allocation-weighted mean rate. With r = 1 this is Fleiss et al. eq. 4.14.
 */
export function sampleSize(input: PowerInput & { readonly mde: number }): {
  treated: number;
  control: number;
} {
  const { baseline: pc, mde } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const r = input.ratio ?? 1;
  const pt = pc + mde;
  if (!(pc > 0 && pc < 1 && pt > 0 && pt < 1))
    throw new RangeError('baseline and baseline + mde must be rates in (0, 1)');
  if (mde === 0) throw new RangeError('the minimum detectable effect must not be 0');
  if (!(r > 0)) throw new RangeError('ratio must be positive');
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const pbar = (pt + r * pc) / (1 + r);
  const num =
    za * Math.sqrt(pbar * (1 - pbar) * (1 + 1 / r)) + zb * Math.sqrt(pt * (1 - pt) + (pc * (1 - pc)) / r);
  const treated = Math.ceil((num * num) / (mde * mde));
  return { treated, control: Math.ceil(treated * r) };
}

/** The smallest absolute lift (> 0) detectable with `treated` treated customers (inverse of `sampleSize`). */
export function minimumDetectableEffect(input: PowerInput & { readonly treated: number }): number {
  let lo = 1e-6;
  let hi = 1 - input.baseline - 1e-9;
  if (sampleSize({ ...input, mde: hi }).treated > input.treated) return NaN;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (sampleSize({ ...input, mde: mid }).treated > input.treated) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * How long a test must run: weeks until the eligible customers (entering the journey per week)
 * fill both arms, with `holdout` of them in control.
 */
export function weeksToRun(input: {
  baseline: number;
  mde: number;
  holdout: number;
  eligiblePerWeek: number;
  alpha?: number;
  power?: number;
}): {
  treated: number;
  control: number;
  weeks: number;
} {
  if (!(input.holdout > 0 && input.holdout < 1)) throw new RangeError('holdout must be in (0, 1)');
  if (!(input.eligiblePerWeek > 0)) throw new RangeError('eligiblePerWeek must be positive');
  const ratio = input.holdout / (1 - input.holdout);
  const n = sampleSize({
    baseline: input.baseline,
    mde: input.mde,
    ratio,
    ...(input.alpha !== undefined ? { alpha: input.alpha } : {}),
    ...(input.power !== undefined ? { power: input.power } : {}),
  });
  // Both arms fill at their shares of the weekly flow; the slower one decides.
  const weeks = Math.max(
    n.treated / ((1 - input.holdout) * input.eligiblePerWeek),
    n.control / (input.holdout * input.eligiblePerWeek),
  );
  return { ...n, weeks: Math.ceil(weeks) };
}
