import { describe, expect, it } from 'vitest';
import { emptyHistory, type CustomerHistory } from '../../features/churn/history.js';
import {
  churnLabel,
  DAY_MS,
  defaultChurnWindowDays,
  interPurchaseGaps,
  planChurnSplit,
  quantile,
} from './label.js';

const day = (d: number): number => d * DAY_MS;
const withOrders = (...days: number[]): CustomerHistory => ({
  ...emptyHistory('c'),
  orders: days.map((d) => ({
    orderId: `o${d}`,
    at: day(d),
    totalMinor: 100,
    discountMinor: 0,
    coupon: false,
  })),
});

describe('churn label and split', () => {
  it('labels churn as no order in [cut-off, cut-off + window)', () => {
    const h = withOrders(0, 50);
    expect(churnLabel(h, day(10), 41)).toBe(0);
    expect(churnLabel(h, day(10), 40)).toBe(1); // the window's end is excluded
    expect(churnLabel(h, day(51), 100)).toBe(1);
    expect(churnLabel(h, day(10), 30)).toBe(1);
  });

  it('takes the default window from the 90th percentile of gaps, before the cut-off only', () => {
    const hs = [withOrders(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 190), withOrders(0, 400)];
    expect(interPurchaseGaps(hs, day(100))).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(defaultChurnWindowDays(hs, day(100))).toBe(14); // 10 days, clamped up to 14
    expect(defaultChurnWindowDays(hs, day(1000))).toBe(
      Math.ceil(quantile([10, 10, 10, 10, 10, 10, 10, 10, 10, 100, 400], 0.9)),
    );
  });

  it('trains one window earlier so that training labels end where test features start', () => {
    const firsts = Array.from({ length: 100 }, (_, i) => day(i));
    const s = planChurnSplit(day(400), day(490), firsts);
    expect(s).toEqual({
      trainingCutoff: day(310),
      trainingLabelEnd: day(400),
      testCutoff: day(400),
      testLabelEnd: day(490),
    });
  });

  it('moves the training cut-off later for a young cohort, never past three quarters of the window', () => {
    // Everyone acquired in days 0–99; test cut-off 273, window 273 days (CDNOW-like).
    const firsts = Array.from({ length: 100 }, (_, i) => day(i));
    const s = planChurnSplit(day(273), day(546), firsts);
    expect(s.trainingCutoff).toBeGreaterThan(day(89));
    expect(s.trainingCutoff).toBeLessThanOrEqual(day(92));
    expect(s.trainingLabelEnd).toBe(day(273));
  });
});
