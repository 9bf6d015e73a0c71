import { describe, expect, it } from 'vitest';
import { discountedClv } from './clv.js';

describe('discountedClv', () => {
  it('equals rate × horizon × value × margin without discounting', () => {
    // 0.5 purchases per week, 12 steps of 4 weeks, $40 per purchase, 30% margin
    const clv = discountedClv((t) => 0.5 * t, 40, { steps: 12, stepLength: 4, discountRate: 0, margin: 0.3 });
    expect(clv).toBeCloseTo(0.5 * 48 * 40 * 0.3, 10);
  });

  it('discounts step k by (1 + d)^k (geometric sum for a constant rate)', () => {
    const d = 0.01;
    const clv = discountedClv((t) => 2 * t, 10, { steps: 24, stepLength: 1, discountRate: d, margin: 1 });
    const geometric = (20 * (1 - (1 + d) ** -24)) / d;
    expect(clv).toBeCloseTo(geometric, 10);
  });

  it('rejects a non-positive step length', () => {
    expect(() => discountedClv((t) => t, 1, { steps: 1, stepLength: 0, discountRate: 0, margin: 1 })).toThrow(
      RangeError,
    );
  });
});
