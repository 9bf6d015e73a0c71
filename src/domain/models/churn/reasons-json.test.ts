import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChurnReason } from './model.js';
import { churnReasonsJson, jsonNumber4 } from './reasons-json.js';

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const families = ['purchase', 'price', 'engagement', 'service', 'quality', 'trigger'] as const;

describe('jsonNumber4', () => {
  it('writes what JSON.stringify writes for numbers rounded to 4 decimals', () => {
    fc.assert(
      fc.property(fc.double({ min: -2e9, max: 2e9, noNaN: true }), (x) => {
        const r = round4(x);
        expect(jsonNumber4(r)).toBe(JSON.stringify(r));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes what JSON.stringify writes for any double, rounded or not', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(jsonNumber4(x)).toBe(JSON.stringify(x));
      }),
      { numRuns: 20_000 },
    );
  });

  it('handles the edges: zeros, tiny and whole values, trailing zeros', () => {
    for (const x of [0, -0, 0.0001, -0.0001, 1, -1, 10, 0.5, 0.05, 0.1234, 12.3, 999_999_999.9999, 1e9, 1e21, -0.00004])
      expect(jsonNumber4(round4(x))).toBe(JSON.stringify(round4(x)));
  });
});

describe('churnReasonsJson', () => {
  const reason = fc.record({
    feature: fc.string(),
    family: fc.constantFrom(...families),
    value: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(round4), { nil: null }),
    contribution: fc.double({ min: 0, max: 10, noNaN: true }).map(round4),
    text: fc.string(),
  });

  it('is JSON.stringify of the reasons, quotes and control characters in the text included', () => {
    fc.assert(
      fc.property(fc.array(reason, { maxLength: 5 }), (reasons) => {
        // Fields in the interface's order, as describeChurnRanking builds a reason.
        const built: ChurnReason[] = reasons.map((r) => ({
          feature: r.feature,
          family: r.family,
          value: r.value,
          contribution: r.contribution,
          text: r.text,
        }));
        expect(churnReasonsJson(built)).toBe(JSON.stringify(built));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes an empty list as []', () => {
    expect(churnReasonsJson([])).toBe('[]');
  });
});
