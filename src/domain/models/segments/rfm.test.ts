import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  quantileSorted,
  recencyCrossing,
  rfmBoundaries,
  rfmScore,
  SEGMENT_DEFINITIONS,
  SEGMENTS,
  segmentOf,
} from './rfm.js';

describe('RFM scores and segments', () => {
  it('puts every cell of the R × FM grid in exactly one of the eleven segments', () => {
    const seen = new Map<string, string[]>();
    for (const name of SEGMENTS)
      for (const r of SEGMENT_DEFINITIONS[name].r)
        for (const fm of SEGMENT_DEFINITIONS[name].fm)
          seen.set(`${r}${fm}`, [...(seen.get(`${r}${fm}`) ?? []), name]);
    expect(seen.size).toBe(25);
    for (const names of seen.values()) expect(names).toHaveLength(1);
    expect(segmentOf(5, 5)).toBe('Champions');
    expect(segmentOf(1, 1)).toBe('Lost');
    expect(segmentOf(2, 5)).toBe('Cannot Lose');
    expect(segmentOf(5, 1)).toBe('New');
  });

  it('takes quintile boundaries as numpy.percentile does (linear interpolation)', () => {
    // numpy.percentile(np.arange(1, 11), [20, 40, 60, 80]) == [2.8, 4.6, 6.4, 8.2]
    const xs = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    expect([0.2, 0.4, 0.6, 0.8].map((p) => quantileSorted(xs, p))).toEqual([
      expect.closeTo(2.8, 12),
      expect.closeTo(4.6, 12),
      expect.closeTo(6.4, 12),
      expect.closeTo(8.2, 12),
    ]);
  });

  it('scores recency in reverse: the most recent fifth gets R = 5, the oldest R = 1', () => {
    const recency = Float64Array.from({ length: 100 }, (_, i) => i);
    const ones = new Float64Array(100).fill(1);
    const b = rfmBoundaries(recency, ones, ones);
    expect(rfmScore({ recencyDays: 3, frequency: 1, monetaryMinor: 1 }, b).r).toBe(5);
    expect(rfmScore({ recencyDays: 95, frequency: 1, monetaryMinor: 1 }, b).r).toBe(1);
    expect(rfmScore({ recencyDays: 50, frequency: 1, monetaryMinor: 1 }, b).r).toBe(3);
  });

  it('never splits tied values: every one-time buyer of a store where most buy once has F = 1', () => {
    const freq = Float64Array.from({ length: 100 }, (_, i) => (i < 42 ? 1 : i < 70 ? 2 : 3 + (i % 5)));
    const b = rfmBoundaries(new Float64Array(100), freq, freq);
    expect(rfmScore({ recencyDays: 0, frequency: 1, monetaryMinor: 1 }, b).f).toBe(1);
    expect(rfmScore({ recencyDays: 0, frequency: 2, monetaryMinor: 2 }, b).f).toBeGreaterThan(1);
  });

  it('keeps scores in 1–5 and never lowers F or M when the value grows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 50 }), fc.nat(100_000)), {
          minLength: 5,
          maxLength: 60,
        }),
        fc.nat(1000),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(100_000),
        (rows, r, f, m) => {
          const b = rfmBoundaries(
            rows.map((x) => x[0]),
            rows.map((x) => x[1]),
            rows.map((x) => x[2]),
          );
          const s = rfmScore({ recencyDays: r, frequency: f, monetaryMinor: m }, b);
          const more = rfmScore({ recencyDays: r, frequency: f + 1, monetaryMinor: m + 100 }, b);
          const older = rfmScore({ recencyDays: r + 30, frequency: f, monetaryMinor: m }, b);
          for (const v of [s.r, s.f, s.m, s.fm]) expect(v >= 1 && v <= 5).toBe(true);
          expect(more.f).toBeGreaterThanOrEqual(s.f);
          expect(more.m).toBeGreaterThanOrEqual(s.m);
          expect(older.r).toBeLessThanOrEqual(s.r);
          expect(SEGMENTS).toContain(s.segment);
        },
      ),
    );
  });

  it('dates a time-driven move at the instant recency crossed the boundary', () => {
    const b = { recencyDays: [10, 20, 30, 40], frequency: [1, 1, 2, 3], monetaryMinor: [1, 2, 3, 4] };
    const last = Date.parse('2026-01-01T00:00:00Z');
    expect(recencyCrossing(last, last + 5 * DAY_MS, last + 25 * DAY_MS, b)).toBe(last + 20 * DAY_MS);
    expect(recencyCrossing(last, last + 21 * DAY_MS, last + 25 * DAY_MS, b)).toBeNull();
  });
});
