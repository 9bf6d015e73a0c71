import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from './random.js';

describe('createRandom', () => {
  it('gives the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = createRandom(seed);
        const b = createRandom(seed);
        for (let i = 0; i < 20; i++) expect(a.next()).toBe(b.next());
      }),
    );
  });

  it('stays in [0, 1)', () => {
    const r = createRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('samples gamma and beta with the right means (within 2% on 200k draws)', () => {
    const r = createRandom(42);
    const n = 200_000;
    let g = 0;
    let gSmall = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      g += r.gamma(3, 2);
      gSmall += r.gamma(0.4, 1);
      b += r.beta(2, 6);
    }
    expect(g / n).toBeCloseTo(1.5, 1);
    expect(Math.abs(gSmall / n - 0.4) / 0.4).toBeLessThan(0.02);
    expect(Math.abs(b / n - 0.25) / 0.25).toBeLessThan(0.02);
  });

  it('samples poisson with the right mean', () => {
    const r = createRandom(3);
    let s = 0;
    for (let i = 0; i < 100_000; i++) s += r.poisson(4.5);
    expect(Math.abs(s / 100_000 - 4.5)).toBeLessThan(0.05);
  });
});
