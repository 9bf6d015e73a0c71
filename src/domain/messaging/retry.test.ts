import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterFailure, DEFAULT_RETRY_POLICY } from './retry.js';

const policy = { baseMs: 1000, capMs: 60_000, maxAttempts: 5 };

describe('retry policy', () => {
  it('doubles the delay ceiling per attempt and keeps each delay within [ceiling/2, ceiling]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, u) => {
          const d = afterFailure(attempt, true, policy, u);
          const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
          expect(d.type).toBe('retry');
          if (d.type === 'retry') {
            expect(d.delayMs).toBeGreaterThanOrEqual(ceiling / 2);
            expect(d.delayMs).toBeLessThanOrEqual(ceiling);
          }
        },
      ),
    );
  });

  it('dead-letters after the last attempt and at once on a permanent failure', () => {
    expect(afterFailure(5, true, policy, 0.5)).toEqual({ type: 'dead' });
    expect(afterFailure(1, false, policy, 0.5)).toEqual({ type: 'dead' });
    expect(afterFailure(4, true, policy, 0)).toEqual({ type: 'retry', delayMs: 4000 });
  });

  it('never waits longer than the cap', () => {
    expect(afterFailure(7, true, DEFAULT_RETRY_POLICY, 0.999)).toMatchObject({ type: 'retry' });
    const d = afterFailure(7, true, DEFAULT_RETRY_POLICY, 0.999);
    expect(d.type === 'retry' && d.delayMs <= DEFAULT_RETRY_POLICY.capMs).toBe(true);
  });
});
