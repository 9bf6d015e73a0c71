import { describe, expect, it } from 'vitest';
import { centralDifferenceGradient, minimizeBfgs, minimizeNelderMead } from './optimize.js';

const rosenbrock = (x: Float64Array): number =>
  100 * ((x[1] as number) - (x[0] as number) ** 2) ** 2 + (1 - (x[0] as number)) ** 2;

describe('minimizers', () => {
  it('BFGS finds the Rosenbrock minimum (1, 1) to 1e-6 from (−1.2, 1)', () => {
    const fn = (x: Float64Array, g: Float64Array): number => {
      const a = x[0] as number;
      const b = x[1] as number;
      g[0] = -400 * a * (b - a * a) - 2 * (1 - a);
      g[1] = 200 * (b - a * a);
      return rosenbrock(x);
    };
    const res = minimizeBfgs(fn, [-1.2, 1]);
    expect(res.converged).toBe(true);
    expect(Math.abs((res.x[0] as number) - 1)).toBeLessThan(1e-6);
    expect(Math.abs((res.x[1] as number) - 1)).toBeLessThan(1e-6);
  });

  it('Nelder–Mead finds the Rosenbrock minimum to 1e-3', () => {
    const res = minimizeNelderMead(rosenbrock, [-1.2, 1], { functionTolerance: 1e-14 });
    expect(Math.abs((res.x[0] as number) - 1)).toBeLessThan(1e-3);
    expect(Math.abs((res.x[1] as number) - 1)).toBeLessThan(1e-3);
  });

  it('central differences match an analytic gradient to 1e-7', () => {
    const g = new Float64Array(2);
    centralDifferenceGradient(rosenbrock, Float64Array.from([0.3, -0.2]), g);
    expect(Math.abs((g[0] as number) - (-400 * 0.3 * (-0.2 - 0.09) - 2 * 0.7))).toBeLessThan(1e-7);
    expect(Math.abs((g[1] as number) - 200 * (-0.2 - 0.09))).toBeLessThan(1e-7);
  });
});
