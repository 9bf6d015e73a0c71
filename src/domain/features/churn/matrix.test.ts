import { describe, expect, it } from 'vitest';
import { CHURN_FEATURES, DAY_MS, historyAsOf } from './features.js';
import { emptyHistory, type CustomerHistory } from './history.js';
import { churnFeatureMatrix } from './matrix.js';

const day = (d: number): number => Date.UTC(2025, 0, 1) + d * DAY_MS;
const orders = [0, 30, 60, 90].map((d) => ({
  orderId: `o${d}`,
  at: day(d),
  totalMinor: 5000,
  discountMinor: 0,
  coupon: false,
}));
const buyer = (id: string, over: Partial<CustomerHistory> = {}): CustomerHistory => ({
  ...emptyHistory(id),
  orders,
  ...over,
});
const column = (name: string) => CHURN_FEATURES.findIndex((f) => f.name === name);

describe('churn feature matrix', () => {
  it('leaves engagement columns undefined in a store that sends no such events', () => {
    const m = churnFeatureMatrix([buyer('a'), buyer('b')].map((h) => historyAsOf(h, day(120))));
    for (const f of CHURN_FEATURES.filter((x) => x.needs !== undefined)) {
      expect(Number.isNaN(m.values[column(f.name)]!), f.name).toBe(true);
      expect(Number.isNaN(m.values[m.cols + column(f.name)]!), f.name).toBe(true);
    }
  });

  it('measures a kind for every customer once any customer of the store has it', () => {
    const opener = buyer('a', { activity: [{ at: day(100), kind: 'emailOpen' }] });
    const m = churnFeatureMatrix([opener, buyer('b')].map((h) => historyAsOf(h, day(120))));
    // The customer without opens is "stable at zero" (1), the opener's recent opens rose.
    expect(m.values[m.cols + column('emailOpenTrend')]).toBe(1);
    expect(m.values[column('emailOpenTrend')]).toBeGreaterThan(1);
    expect(Number.isNaN(m.values[column('visitTrend')]!)).toBe(true);
  });
});
