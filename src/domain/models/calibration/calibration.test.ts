import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { brierScore } from '../evaluate/metrics.js';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import { applyPlatt, fitPlatt } from './platt.js';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Labels from a true logit z; the model's score is an overconfident, shifted version of it. */
function miscalibrated(n: number, seed: number): { margin: number[]; prob: number[]; y: number[] } {
  const r = createRandom(seed);
  const margin: number[] = [];
  const prob: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = r.normal(-0.5, 1.2);
    y.push(r.chance(sigmoid(z)) ? 1 : 0);
    margin.push(2.5 * z + 1); // true logit = (margin − 1)/2.5
    prob.push(sigmoid(2.5 * z + 1));
  }
  return { margin, prob, y };
}

describe('Platt scaling', () => {
  it('recovers the slope and intercept of the generating logistic model', () => {
    const { margin, y } = miscalibrated(40_000, 1);
    const m = fitPlatt(margin, y);
    // True map: σ(0.4·s − 0.4). With 40k rows the MLE's standard errors are ≈ 0.01; allow 0.05.
    expect(Math.abs(m.slope - 0.4)).toBeLessThan(0.05);
    expect(Math.abs(m.intercept + 0.4)).toBeLessThan(0.05);
  });

  it('improves the Brier score on held-out rows', () => {
    const fit = miscalibrated(5000, 2);
    const test = miscalibrated(5000, 3);
    const m = fitPlatt(fit.margin, fit.y);
    const calibrated = test.margin.map((s) => applyPlatt(m, s));
    expect(brierScore(test.y, calibrated)).toBeLessThan(brierScore(test.y, test.prob) - 0.01);
  });

  it('stays finite on perfectly separated data thanks to smoothed targets', () => {
    const m = fitPlatt([-2, -1, 1, 2], [0, 0, 1, 1]);
    expect(Number.isFinite(m.slope) && Number.isFinite(m.intercept)).toBe(true);
    // Targets 1/4 and 3/4 with symmetric scores: the intercept is 0 by symmetry.
    expect(m.intercept).toBeCloseTo(0, 8);
    expect(applyPlatt(m, 2)).toBeLessThan(0.8);
  });
});

describe('isotonic regression', () => {
  it('pools adjacent violators as worked by hand', () => {
    // y = 1, 3, 2, 4, 3.5 → (3, 2) pool to 2.5, (4, 3.5) pool to 3.75.
    const m = fitIsotonic([1, 2, 3, 4, 5], [1, 3, 2, 4, 3.5]);
    expect([1, 2, 3, 4, 5].map((x) => applyIsotonic(m, x))).toEqual([1, 2.5, 2.5, 3.75, 3.75]);
    // Between blocks: halfway from x = 3 (2.5) to x = 4 (3.75). Outside: clamped.
    expect(applyIsotonic(m, 3.5)).toBeCloseTo(3.125, 15);
    expect(applyIsotonic(m, -10)).toBe(1);
    expect(applyIsotonic(m, 10)).toBe(3.75);
  });

  it('pools tied scores and honours weights', () => {
    // x = 1 twice (labels 0 and 1, weights 1 and 3) → 0.75; x = 2 → 0.5 violates → pooled
    // block (0·1 + 1·3 + 0.5·1)/5 = 0.7.
    const m = fitIsotonic([1, 1, 2], [0, 1, 0.5], [1, 3, 1]);
    expect(applyIsotonic(m, 1)).toBeCloseTo(0.7, 15);
    expect(applyIsotonic(m, 2)).toBeCloseTo(0.7, 15);
  });

  it('is monotone non-decreasing for any data (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: 2, maxLength: 20 }),
        (rows, probes) => {
          const m = fitIsotonic(
            rows.map((r) => r[0]),
            rows.map((r) => r[1]),
          );
          const sorted = [...probes].sort((a, b) => a - b);
          const out = sorted.map((s) => applyIsotonic(m, s));
          for (let k = 1; k < out.length; k++) expect(out[k]!).toBeGreaterThanOrEqual(out[k - 1]! - 1e-12);
          for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
        },
      ),
    );
  });

  it('improves the Brier score of a miscalibrated score on held-out rows', () => {
    const fit = miscalibrated(5000, 4);
    const test = miscalibrated(5000, 5);
    const m = fitIsotonic(fit.prob, fit.y);
    const calibrated = test.prob.map((p) => applyIsotonic(m, p));
    expect(brierScore(test.y, calibrated)).toBeLessThan(brierScore(test.y, test.prob) - 0.01);
  });
});
