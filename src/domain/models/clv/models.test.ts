import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import * as bg from './bg-nbd.js';
import * as mbg from './mbg-nbd.js';
import * as pareto from './pareto-nbd.js';
import { conditionalExpectedAverageValue, fitGammaGamma } from './gamma-gamma.js';
import { InsufficientDataError } from './rfm-data.js';
import { hyp2f1 } from './special-functions.js';
import { simulateBgNbdGammaGamma } from './simulate.js';

const BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PARETO = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };

/** FHL 2005 eq. 10 written directly with ₂F₁, as `lifetimes` does: an independent path. */
function bgExpectedDirect(p: typeof BG, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const F = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const num = ((a + b + x - 1) / (a - 1)) * (1 - Math.pow((alpha + T) / (alpha + T + t), r + x) * F);
  const den = 1 + (x > 0 ? (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + tx), r + x) : 0);
  return num / den;
}

/** Composite Simpson on [lo, hi] with n (even) panels. */
function simpson(f: (u: number) => number, lo: number, hi: number, n = 20_000): number {
  const h = (hi - lo) / n;
  let s = f(lo) + f(hi);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}

describe('BG/NBD predictions', () => {
  it('agree with the direct ₂F₁ formula (1e-10 relative) for one-time and repeat buyers', () => {
    for (const [t, x, tx, T] of [
      [39, 2, 30.43, 38.86],
      [39, 0, 0, 30],
      [10, 7, 20, 35],
      [100, 1, 1, 27],
    ] as const) {
      const got = bg.expectedPurchases(BG, t, x, tx, T);
      const want = bgExpectedDirect(BG, t, x, tx, T);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-10);
    }
  });

  it('is continuous through a = 1, where the textbook formula is 0/0', () => {
    const at = (a: number) => bg.expectedPurchases({ ...BG, a }, 39, 3, 20, 38);
    expect(Number.isFinite(at(1))).toBe(true);
    expect(Math.abs(at(1) - (at(1 - 1e-6) + at(1 + 1e-6)) / 2)).toBeLessThan(1e-8);
  });

  it('new-customer expectation equals FHL eq. 9 via ₂F₁', () => {
    const { r, alpha, a, b } = BG;
    const t = 52;
    const want =
      ((a + b - 1) / (a - 1)) *
      (1 - Math.pow(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
    expect(Math.abs(bg.expectedPurchasesNewCustomer(BG, t) - want) / want).toBeLessThan(1e-10);
  });

  it('gives the median time to next purchase as the Lomax median (α+T)(2^(1/(r+x)) − 1)', () => {
    const m = bg.medianTimeToNextPurchase(BG, 2, 30, 38);
    // P(wait > m) = ((α+T)/(α+T+m))^(r+x) must be ½
    expect(Math.pow((BG.alpha + 38) / (BG.alpha + 38 + m), BG.r + 2)).toBeCloseTo(0.5, 12);
  });
});

describe('Pareto/NBD predictions', () => {
  // The integral ∫_{tₓ}^{T} (α+τ)^−(r+x)(β+τ)^−(s+1) dτ by Simpson: independent of the ₂F₁ route.
  const integral = (p: typeof PARETO, x: number, lo: number, hi: number, A: number, B: number) =>
    simpson((u) => Math.pow(A + u, -(p.r + x)) * Math.pow(B + u, -(p.s + 1)), lo, hi);

  it('P(alive) matches numeric integration (1e-8 absolute), both for α < β and α > β', () => {
    for (const p of [PARETO, { ...PARETO, alpha: 30, beta: 2 }, { ...PARETO, alpha: 0.5, beta: 80 }]) {
      for (const [x, tx, T] of [
        [2, 30.43, 38.86],
        [0, 0, 30],
        [15, 10, 39],
      ] as const) {
        const alive = Math.pow(p.alpha + T, -(p.r + x)) * Math.pow(p.beta + T, -p.s);
        const want = alive / (alive + p.s * integral(p, x, tx, T, p.alpha, p.beta));
        expect(Math.abs(pareto.probabilityAlive(p, x, tx, T) - want)).toBeLessThan(1e-8);
      }
    }
  });

  it('P(no purchase in w) matches numeric integration over the death time (1e-8 absolute)', () => {
    const [x, tx, T, w] = [3, 25, 38, 20];
    const A = PARETO.alpha + T;
    const B = PARETO.beta + T;
    const rx = PARETO.r + x;
    const p0 =
      Math.pow(A / (A + w), rx) * Math.pow(B / (B + w), PARETO.s) +
      PARETO.s * Math.pow(A, rx) * Math.pow(B, PARETO.s) * integral(PARETO, x, 0, w, A, B);
    const pa = pareto.probabilityAlive(PARETO, x, tx, T);
    expect(Math.abs(pareto.probabilityNoPurchase(PARETO, w, x, tx, T) - (1 - pa + pa * p0))).toBeLessThan(
      1e-8,
    );
  });

  it('expected purchases are continuous through s = 1', () => {
    const at = (s: number) => pareto.expectedPurchases({ ...PARETO, s }, 39, 2, 30, 38);
    expect(Math.abs(at(1) - (at(1 - 1e-7) + at(1 + 1e-7)) / 2)).toBeLessThan(1e-9);
  });
});

describe('extreme customers', () => {
  const models = [
    ['BG/NBD', bg, BG],
    ['MBG/NBD', mbg, BG],
    ['Pareto/NBD', pareto, PARETO],
  ] as const;
  for (const [name, model, params] of models) {
    it(`${name}: finite, in-range numbers for x = 0 and for x = 500`, () => {
      for (const [x, tx, T] of [
        [0, 0, 39],
        [500, 38.9, 39],
        [500, 5, 39],
      ] as const) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- same signatures, different param types
        const m = model as any;
        const pa: number = m.probabilityAlive(params, x, tx, T);
        const e: number = m.expectedPurchases(params, 52, x, tx, T);
        const p0: number = m.probabilityNoPurchase(params, 13, x, tx, T);
        const med: number = m.medianTimeToNextPurchase(params, x, tx, T);
        expect(pa).toBeGreaterThanOrEqual(0);
        expect(pa).toBeLessThanOrEqual(1);
        expect(Number.isFinite(e) && e >= 0).toBe(true);
        expect(p0).toBeGreaterThanOrEqual(0);
        expect(p0).toBeLessThanOrEqual(1);
        expect(Number.isFinite(med) && med > 0).toBe(true);
      }
      // A customer with 500 purchases who bought yesterday is alive and expected to buy a lot.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m = model as any;
      expect(m.probabilityAlive(params, 500, 38.9, 39)).toBeGreaterThan(0.9);
      expect(m.expectedPurchases(params, 52, 500, 38.9, 39)).toBeGreaterThan(100);
      // …and one who went silent 34 weeks ago after 500 purchases is gone.
      expect(m.probabilityAlive(params, 500, 5, 39)).toBeLessThan(1e-6);
    });
  }
});

describe('insufficient data', () => {
  it('refuses to fit with fewer than 3 customers, saying so', () => {
    const data = { frequency: [1, 0], recency: [3, 0], T: [10, 10] };
    expect(() => bg.fitBgNbd(data)).toThrow(InsufficientDataError);
    expect(() => pareto.fitParetoNbd(data)).toThrow(/at least 3 customers/);
  });

  it('refuses to fit when nobody bought twice', () => {
    const data = { frequency: [0, 0, 0, 0], recency: [0, 0, 0, 0], T: [10, 12, 13, 20] };
    expect(() => mbg.fitMbgNbd(data)).toThrow(/repeat buyer/);
  });

  it('refuses a Gamma–Gamma fit on fewer than 3 repeat customers', () => {
    expect(() => fitGammaGamma({ frequency: [1, 0, 2], monetaryValue: [10, 0, 20] })).toThrow(
      InsufficientDataError,
    );
  });
});

describe('parameter recovery on simulated data (seeded)', () => {
  it('recovers BG/NBD and Gamma–Gamma parameters from 30,000 simulated customers', () => {
    const spend = { p: 6.25, q: 3.74, gamma: 15.44 };
    const sim = simulateBgNbdGammaGamma(createRandom(7), BG, spend, { customers: 30_000 });
    const fit = bg.fitBgNbd(sim);
    expect(fit.converged).toBe(true);
    // Tolerance: at n = 30,000 the asymptotic standard errors are about 2% (r, α) and 8% (a, b),
    // and the day grid merges a few same-day purchases; allow ~3 SE.
    expect(Math.abs(fit.params.r / BG.r - 1)).toBeLessThan(0.08);
    expect(Math.abs(fit.params.alpha / BG.alpha - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.params.a / BG.a - 1)).toBeLessThan(0.25);
    expect(Math.abs(fit.params.b / BG.b - 1)).toBeLessThan(0.3);
    const gg = fitGammaGamma(sim);
    expect(gg.converged).toBe(true);
    // The mean spend pγ/(q−1) is well identified (±5%); p, q, γ individually less so (±25%).
    const mean = (x: typeof spend) => (x.p * x.gamma) / (x.q - 1);
    expect(Math.abs(mean(gg.params) / mean(spend) - 1)).toBeLessThan(0.05);
    expect(Math.abs(gg.params.p / spend.p - 1)).toBeLessThan(0.25);
    expect(Math.abs(gg.params.q / spend.q - 1)).toBeLessThan(0.25);
  });

  it('shrinks a customer’s mean spend toward the population mean (Gamma–Gamma)', () => {
    const p = { p: 6.25, q: 3.74, gamma: 15.44 };
    const population = (p.p * p.gamma) / (p.q - 1);
    const few = conditionalExpectedAverageValue(p, 1, 100);
    const many = conditionalExpectedAverageValue(p, 50, 100);
    expect(conditionalExpectedAverageValue(p, 0, 0)).toBeCloseTo(population, 10);
    expect(few).toBeGreaterThan(population);
    expect(few).toBeLessThan(many);
    expect(many).toBeLessThan(100);
  });
});
