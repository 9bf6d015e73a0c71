import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as bg from './bg-nbd.js';
import * as mbg from './mbg-nbd.js';
import * as pareto from './pareto-nbd.js';

const positive = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** A customer history: integer x, 0 ≤ tₓ ≤ T (tₓ = 0 when x = 0). */
const history = fc
  .tuple(fc.integer({ min: 0, max: 300 }), positive(0, 1), positive(0.01, 200))
  .map(([x, frac, T]) => ({ x, tx: x === 0 ? 0 : frac * T, T }));

const bgParams = fc.record({
  r: positive(0.01, 20),
  alpha: positive(0.01, 100),
  a: positive(0.01, 20),
  b: positive(0.01, 20),
});
const paretoParams = fc.record({
  r: positive(0.01, 20),
  alpha: positive(0.01, 100),
  s: positive(0.01, 20),
  beta: positive(0.01, 100),
});

const models = [
  ['BG/NBD', bg, bgParams],
  ['MBG/NBD', mbg, bgParams],
  ['Pareto/NBD', pareto, paretoParams],
] as const;

describe.each(models)('%s invariants', (_name, model, params) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the three modules share signatures
  const m = model as any;

  it('keeps P(alive) in [0, 1]', () => {
    fc.assert(
      fc.property(params, history, (p, h) => {
        const v: number = m.probabilityAlive(p, h.x, h.tx, h.T);
        return v >= 0 && v <= 1;
      }),
      { numRuns: 300 },
    );
  });

  it('keeps expected purchases ≥ 0 and non-decreasing in t', () => {
    fc.assert(
      fc.property(params, history, positive(0.01, 100), positive(0.01, 100), (p, h, t1, dt) => {
        const e1: number = m.expectedPurchases(p, t1, h.x, h.tx, h.T);
        const e2: number = m.expectedPurchases(p, t1 + dt, h.x, h.tx, h.T);
        return Number.isFinite(e1) && e1 >= 0 && e2 >= e1 * (1 - 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps P(no purchase in w) in [0, 1], non-increasing in w, and 1 − P ≤ E[purchases] (Markov)', () => {
    fc.assert(
      fc.property(params, history, positive(0.01, 100), positive(0.01, 100), (p, h, w1, dw) => {
        const p1: number = m.probabilityNoPurchase(p, w1, h.x, h.tx, h.T);
        const p2: number = m.probabilityNoPurchase(p, w1 + dw, h.x, h.tx, h.T);
        const e1: number = m.expectedPurchases(p, w1, h.x, h.tx, h.T);
        expect(p1).toBeGreaterThanOrEqual(0);
        expect(p1).toBeLessThanOrEqual(1);
        expect(p2).toBeLessThanOrEqual(p1 + 1e-9);
        expect(1 - p1).toBeLessThanOrEqual(e1 * (1 + 1e-7) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
