import { describe, expect, it } from 'vitest';
import {
  PURCHASE_FEATURES,
  purchaseDaysBetween,
  purchaseFeatures,
  spendBetween,
  type PurchaseColumns,
} from './purchase-features.js';

/** Customer 0: days 0 (two orders), 10, 30, 100 (after the cut-off); customer 1: day 5 only; customer 2: day 80. */
const purchases: PurchaseColumns = {
  customer: Int32Array.from([0, 0, 0, 0, 0, 1, 2]),
  day: Int32Array.from([0, 0, 10, 30, 100, 5, 80]),
  amount: Float64Array.from([1000, 500, 2000, 4000, 9999, 700, 300]),
};

const row = (table: ReturnType<typeof purchaseFeatures>, i: number) =>
  Object.fromEntries(
    PURCHASE_FEATURES.map((name, j) => [name, table.values[i * PURCHASE_FEATURES.length + j]]),
  );

describe('purchase features as of a cut-off', () => {
  const table = purchaseFeatures(purchases, 3, 40);

  it('keeps only customers who had bought by the cut-off', () => {
    expect(Array.from(table.customer)).toEqual([0, 1]);
  });

  it('computes the RFM summary, values, recent counts and gaps of a repeat buyer by hand', () => {
    expect(row(table, 0)).toEqual({
      frequency: 2,
      recencyDays: 30,
      ageDays: 40,
      daysSinceLast: 10,
      rate: 2 / 40,
      monetaryValue: 3000, // (2000 + 4000) / 2: the first day is not a repeat
      firstOrderValue: 1500, // both day-0 orders
      meanOrderValue: 7500 / 3,
      lastOrderValue: 4000,
      ordersLast28d: 1, // day 30 only (window (12, 40])
      ordersLast91d: 3,
      ordersLast182d: 3,
      meanGapDays: 15,
      lastGapDays: 20,
      gapTrend: 20 / 15,
      silenceRatio: 10 / 15,
    });
  });

  it('leaves gaps undefined (NaN) for a one-time buyer', () => {
    const r = row(table, 1);
    expect(r.frequency).toBe(0);
    expect(r.monetaryValue).toBe(0);
    expect(r.meanGapDays).toBeNaN();
    expect(r.silenceRatio).toBeNaN();
  });

  it('counts purchase days and spend in a window (from, to]', () => {
    expect(Array.from(purchaseDaysBetween(purchases, 3, 0, 100))).toEqual([3, 1, 1]);
    expect(Array.from(purchaseDaysBetween(purchases, 3, 10, 80))).toEqual([1, 0, 1]);
    const spend = spendBetween(purchases, 3, 0, 100);
    expect(Array.from(spend.total)).toEqual([15999, 700, 300]);
  });
});
