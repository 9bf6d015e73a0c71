import { describe, expect, it } from 'vitest';
import {
  digamma,
  gammaSign,
  hyp2f1,
  log1pExp,
  logAddExp,
  logBeta,
  logGamma,
  logHyp2f1,
  logSumExp,
} from './special-functions.js';

const relErr = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

/** ln((n−1)!) by summing logs: an independent exact-enough reference for integer arguments. */
function logFactorialMinus1(n: number): number {
  let s = 0;
  for (let k = 2; k < n; k++) s += Math.log(k);
  return s;
}

describe('logGamma', () => {
  it('matches ln((n−1)!) at integers (tolerance 1e-13 relative; the log sum is exact to ~1e-15)', () => {
    for (const n of [3, 5, 10, 11, 20, 50, 100, 171]) {
      expect(relErr(logGamma(n), logFactorialMinus1(n))).toBeLessThan(1e-13);
    }
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15);
  });

  it('matches closed forms and tabulated values (A&S table 6.1) to 1e-14 relative', () => {
    expect(relErr(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-14);
    expect(relErr(logGamma(1.5), Math.log(Math.sqrt(Math.PI) / 2))).toBeLessThan(1e-14);
    expect(relErr(logGamma(0.1), Math.log(9.513507698668732))).toBeLessThan(1e-14);
    expect(relErr(logGamma(1 / 3), Math.log(2.678938534707748))).toBeLessThan(1e-14);
    // Γ(−1/2) = −2√π: magnitude via reflection, sign separately.
    expect(relErr(logGamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)))).toBeLessThan(1e-14);
    expect(gammaSign(-0.5)).toBe(-1);
    expect(gammaSign(-1.5)).toBe(1);
    expect(logGamma(0)).toBe(Infinity);
    expect(logGamma(-3)).toBe(Infinity);
  });

  it('satisfies the duplication formula at large arguments (no loss in the Stirling branch)', () => {
    // ln Γ(2x) = (2x−1) ln 2 − ½ ln π + ln Γ(x) + ln Γ(x+½)
    for (const x of [7.3, 12.5, 1234.5, 1e6 + 0.25]) {
      const lhs = logGamma(2 * x);
      const rhs = (2 * x - 1) * Math.LN2 - 0.5 * Math.log(Math.PI) + logGamma(x) + logGamma(x + 0.5);
      expect(relErr(lhs, rhs)).toBeLessThan(1e-14);
    }
  });

  it('is continuous across the Lanczos / Stirling switch at 10', () => {
    const below = logGamma(10 - 1e-12);
    const above = logGamma(10);
    expect(Math.abs(above - logFactorialMinus1(10))).toBeLessThan(1e-13);
    expect(Math.abs(above - below)).toBeLessThan(1e-10);
  });
});

describe('digamma', () => {
  const EULER = 0.5772156649015329;
  it('matches ψ(1) = −γ, ψ(½) = −γ − 2 ln 2 and ψ(n+1) = Hₙ − γ to 5e-14 absolute (recurrence rounding)', () => {
    expect(Math.abs(digamma(1) + EULER)).toBeLessThan(5e-14);
    expect(Math.abs(digamma(0.5) + EULER + 2 * Math.LN2)).toBeLessThan(5e-14);
    let h = 0;
    for (let n = 1; n <= 40; n++) {
      h += 1 / n;
      expect(Math.abs(digamma(n + 1) - (h - EULER))).toBeLessThan(1e-13);
    }
    // ψ(−½) = ψ(½) + 2 (recurrence ψ(x+1) = ψ(x) + 1/x)
    expect(Math.abs(digamma(-0.5) - (digamma(0.5) + 2))).toBeLessThan(1e-13);
  });

  it('is the derivative of logGamma (central difference, 1e-8 relative)', () => {
    for (const x of [0.05, 0.7, 3.2, 15, 400]) {
      const h = 1e-5 * x;
      const numeric = (logGamma(x + h) - logGamma(x - h)) / (2 * h);
      expect(Math.abs(digamma(x) - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(1e-8);
    }
  });
});

describe('logBeta and log-sum-exp', () => {
  it('logBeta(a, b) = ln(Γ(a)Γ(b)/Γ(a+b)) at closed forms', () => {
    expect(Math.abs(logBeta(1, 1))).toBeLessThan(1e-15);
    expect(relErr(logBeta(0.5, 0.5), Math.log(Math.PI))).toBeLessThan(1e-14);
    expect(relErr(logBeta(3, 4), Math.log(1 / 60))).toBeLessThan(1e-14);
  });

  it('does not overflow and handles −Infinity', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-1000, -1000 + Math.log(3)])).toBeCloseTo(-1000 + Math.log(4), 12);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logAddExp(-Infinity, 2)).toBe(2);
    expect(logAddExp(800, 800)).toBeCloseTo(800 + Math.LN2, 12);
    expect(log1pExp(800)).toBeCloseTo(800, 12);
    expect(log1pExp(-800)).toBeGreaterThanOrEqual(0);
    expect(log1pExp(0)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('hyp2f1', () => {
  it('₂F₁(1,1;2;z) = −ln(1−z)/z, across the series, the 1−z region and negative z (1e-12 relative)', () => {
    for (const z of [0.3, 0.74, 0.9, 0.99, -0.5, -5, -200]) {
      expect(relErr(hyp2f1(1, 1, 2, z), -Math.log1p(-z) / z)).toBeLessThan(1e-12);
    }
  });

  it('₂F₁(a,b;b;z) = (1−z)^(−a), including the connection formula near z = 1 (1e-12 relative)', () => {
    for (const [a, b, z] of [
      [2.5, 1.3, 0.95],
      [0.7, 3.1, 0.999],
      [1.7, 0.4, -3],
      [0.3, 2.2, 0.5],
    ] as const) {
      expect(relErr(hyp2f1(a, b, b, z), Math.pow(1 - z, -a))).toBeLessThan(1e-12);
    }
  });

  it('stays finite in log space where the value itself would overflow', () => {
    // ₂F₁(1500, 2; 2; ½) = 2^1500
    expect(relErr(logHyp2f1(1500, 2, 2, 0.5), 1500 * Math.LN2)).toBeLessThan(1e-13);
  });

  it('matches arcsin and arctan closed forms (A&S 15.1.6, 15.1.5)', () => {
    // ₂F₁(½,½;3/2;x²) = arcsin(x)/x, ₂F₁(½,1;3/2;−x²) = arctan(x)/x
    for (const x of [0.2, 0.9, 0.995]) {
      expect(relErr(hyp2f1(0.5, 0.5, 1.5, x * x), Math.asin(x) / x)).toBeLessThan(1e-12);
    }
    for (const x of [0.5, 3, 40]) {
      expect(relErr(hyp2f1(0.5, 1, 1.5, -x * x), Math.atan(x) / x)).toBeLessThan(1e-12);
    }
  });

  it('uses Gauss’s theorem at z = 1 and terminates for negative-integer a', () => {
    // ₂F₁(1,1;3;1) = Γ(3)Γ(1)/(Γ(2)Γ(2)) = 2
    expect(relErr(hyp2f1(1, 1, 3, 1), 2)).toBeLessThan(1e-14);
    // ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
    const b = 1.5;
    const c = 2.5;
    const z = 0.97;
    const poly = 1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1));
    expect(relErr(hyp2f1(-2, b, c, z), poly)).toBeLessThan(1e-14);
  });
});
