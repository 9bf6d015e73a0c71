import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { matrixFromRows, type FeatureMatrix } from '../trees/feature-matrix.js';
import { fitLogisticRegression, predictLogit, predictProbability } from './logistic-regression.js';

describe('fitLogisticRegression', () => {
  it('finds the closed-form MLE for one binary feature', () => {
    // x = 0: 4 rows, 1 positive → P = 1/4; x = 1: 5 rows, 4 positives → P = 4/5.
    // The saturated MLE reproduces both rates: b = logit(1/4) = ln(1/3),
    // β = logit(4/5) − logit(1/4) = ln 4 − ln(1/3) = ln 12.
    const xs = [0, 0, 0, 0, 1, 1, 1, 1, 1];
    const ys = [1, 0, 0, 0, 1, 1, 1, 1, 0];
    const m = fitLogisticRegression(matrixFromRows(xs.map((x) => [x])), Float64Array.from(ys), { l2: 0 });
    expect(m.converged).toBe(true);
    expect(m.intercept).toBeCloseTo(Math.log(1 / 3), 8);
    expect(m.coefficients[0]!).toBeCloseTo(Math.log(12), 8);
  });

  it('recovers the generating coefficients on 50k synthetic rows', () => {
    // logit = −1 + 1·x0 − 2·x1 + 0.05·x2 + 0·x3, with x2 on a scale of 10 (so 0.05·x2 has sd 0.5).
    const r = createRandom(7);
    const n = 50_000;
    const truth = [1, -2, 0.05, 0];
    const rows: number[][] = [];
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = [r.normal(), r.normal(0.5, 0.7), r.normal(20, 10), r.normal()];
      const eta = -1 + x.reduce((s, v, j) => s + v * truth[j]!, 0);
      y[i] = r.chance(1 / (1 + Math.exp(-eta))) ? 1 : 0;
      rows.push(x);
    }
    const m = fitLogisticRegression(matrixFromRows(rows), y, { l2: 1 });
    // Standard errors here are ≈ 0.015 (x0, x1), 0.0015 (x2), 0.012 (intercept); tolerance ≈ 5 SE.
    expect(Math.abs(m.coefficients[0]! - 1)).toBeLessThan(0.08);
    expect(Math.abs(m.coefficients[1]! + 2)).toBeLessThan(0.08);
    expect(Math.abs(m.coefficients[2]! - 0.05)).toBeLessThan(0.008);
    expect(Math.abs(m.coefficients[3]!)).toBeLessThan(0.06);
    expect(Math.abs(m.intercept + 1)).toBeLessThan(0.15);
  });

  it('satisfies the penalised optimality condition and shrinks with a larger penalty', () => {
    const r = createRandom(8);
    const rows = Array.from({ length: 300 }, () => [r.normal(), r.normal() * 3, r.next()]);
    const y = Float64Array.from(rows, (x) => (r.chance(1 / (1 + Math.exp(-(x[0]! - 0.3 * x[1]!)))) ? 1 : 0));
    const data = matrixFromRows(rows);
    const norms: number[] = [];
    for (const l2 of [0.1, 10, 1000]) {
      const m = fitLogisticRegression(data, y, { l2 });
      const p = predictProbability(m, data);
      // ∂L/∂b = Σ(p − y) = 0 and ∂L/∂βⱼ = Σ(p − y)·zⱼ + λβⱼ = 0 with zⱼ standardised.
      let g0 = 0;
      for (let i = 0; i < 300; i++) g0 += p[i]! - y[i]!;
      expect(Math.abs(g0)).toBeLessThan(1e-8);
      let norm = 0;
      for (let j = 0; j < 3; j++) {
        const bStd = m.coefficients[j]! * m.scales[j]!;
        let g = l2 * bStd;
        for (let i = 0; i < 300; i++) g += (p[i]! - y[i]!) * ((rows[i]![j]! - m.means[j]!) / m.scales[j]!);
        expect(Math.abs(g)).toBeLessThan(1e-8);
        norm += bStd ** 2;
      }
      norms.push(norm);
    }
    expect(norms[1]!).toBeLessThan(norms[0]!);
    expect(norms[2]!).toBeLessThan(norms[1]!);
  });

  it('reaches the same optimum with the Hessian estimated on a sample of the rows', () => {
    // 20k rows, 6 correlated features (one with missing values), weighted: the exact Newton fit
    // and the subsampled-Hessian one (1,000 rows) must agree to 1e-7.
    const r = createRandom(11);
    const n = 20_000;
    const rows: number[][] = [];
    const y = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = r.normal();
      const x = [
        a,
        a + r.normal(0, 0.5),
        r.normal(3, 2),
        r.next(),
        r.chance(0.1) ? NaN : r.normal(),
        r.normal(),
      ];
      const eta = -0.5 + 0.8 * x[0]! - 0.6 * x[1]! + 0.2 * x[2]! + (x[4]! === x[4]! ? 0.5 * x[4]! : 0);
      y[i] = r.chance(1 / (1 + Math.exp(-eta))) ? 1 : 0;
      w[i] = 0.5 + r.next();
      rows.push(x);
    }
    const data = matrixFromRows(rows);
    const exact = fitLogisticRegression(data, y, { l2: 1, weights: w, hessianRows: n });
    const sampled = fitLogisticRegression(data, y, { l2: 1, weights: w, hessianRows: 1000 });
    expect(exact.converged).toBe(true);
    expect(sampled.converged).toBe(true);
    // The estimate makes a few more (cheaper) steps: linear instead of quadratic convergence at a
    // rate of about √(p/m) ≈ 8% (measured: 5 exact steps, 9 sampled; a Hessian not scaled up to
    // all rows would take 20× too long steps and many more of them).
    expect(sampled.iterations).toBeGreaterThanOrEqual(exact.iterations);
    expect(sampled.iterations).toBeLessThanOrEqual(2 * exact.iterations + 2);
    expect(Math.abs(sampled.intercept - exact.intercept)).toBeLessThan(1e-7);
    for (let j = 0; j < 6; j++)
      expect(Math.abs(sampled.coefficients[j]! - exact.coefficients[j]!)).toBeLessThan(1e-7);
    // The default samples only above 32,768 rows: here it is the exact fit, bit for bit.
    expect(fitLogisticRegression(data, y, { l2: 1, weights: w })).toEqual(exact);
    expect(() => fitLogisticRegression(data, y, { hessianRows: 0 })).toThrow(/hessianRows/);
  });

  it('scores a missing value as the training mean', () => {
    const data = matrixFromRows([[0], [1], [2], [3], [4], [5]]);
    const m = fitLogisticRegression(data, Float64Array.of(0, 0, 1, 0, 1, 1));
    const probe: FeatureMatrix = {
      values: Float64Array.of(NaN, 2.5),
      rows: 2,
      cols: 1,
      featureNames: ['f0'],
    };
    const [missing, mean] = predictLogit(m, probe);
    expect(missing).toBeCloseTo(mean!, 12);
  });
});
