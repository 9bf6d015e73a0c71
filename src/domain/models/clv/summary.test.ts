import { describe, expect, it } from 'vitest';
import { daysPerUnit, summarizeCustomer, summarizeTransactions } from './summary.js';

describe('summarizeCustomer', () => {
  it('counts repeat purchase days, merges same-day purchases and averages the repeat days', () => {
    // Given purchases on days 100 (twice), 107, 121 (twice) and 200, calibration ending on day 150
    const s = summarizeCustomer(
      [
        { day: 100, amount: 500 },
        { day: 100, amount: 700 },
        { day: 107, amount: 1000 },
        { day: 121, amount: 300 },
        { day: 121, amount: 900 },
        { day: 200, amount: 99_999 },
      ],
      150,
      'week',
    );
    // Then day 200 is ignored, frequency 2, recency 21/7, T 50/7, value mean(1000, 1200)
    expect(s).toEqual({ frequency: 2, recency: 3, T: 50 / 7, monetaryValue: 1100 });
  });

  it('gives frequency 0, recency 0 and value 0 to a one-time buyer; counts the end day as inside', () => {
    expect(summarizeCustomer([{ day: 10, amount: 100 }], 10, 'day')).toEqual({
      frequency: 0,
      recency: 0,
      T: 0,
      monetaryValue: 0,
    });
  });

  it('excludes a customer whose first purchase is after the calibration end', () => {
    expect(summarizeCustomer([{ day: 11, amount: 100 }], 10)).toBeUndefined();
  });

  it('uses 365.25/12 days per month', () => {
    expect(daysPerUnit('month')).toBeCloseTo(30.4375, 12);
    const s = summarizeCustomer(
      [
        { day: 0, amount: 1 },
        { day: 60, amount: 2 },
      ],
      365,
      'month',
    );
    expect(s?.recency).toBeCloseTo(60 / 30.4375, 12);
    expect(s?.T).toBeCloseTo(365 / 30.4375, 12);
  });
});

describe('summarizeTransactions', () => {
  it('agrees with the per-customer form on unsorted input and drops late first buyers', () => {
    const customer = [2, 0, 1, 0, 2, 0, 3];
    const day = [5, 3, 9, 1, 5, 3, 30];
    const amount = [10, 20, 30, 40, 50, 60, 70];
    const out = summarizeTransactions(customer, day, amount, 20, 'day');
    expect(Array.from(out.customer)).toEqual([0, 1, 2]);
    for (let row = 0; row < out.customer.length; row++) {
      const c = out.customer[row] as number;
      const mine = customer.flatMap((cc, i) =>
        cc === c ? [{ day: day[i] as number, amount: amount[i] as number }] : [],
      );
      expect({
        frequency: out.frequency[row],
        recency: out.recency[row],
        T: out.T[row],
        monetaryValue: out.monetaryValue[row],
      }).toEqual(summarizeCustomer(mine, 20, 'day'));
    }
    // Customer 0: days 1, 3, 3 → frequency 1, value 80 (20 + 60 on day 3)
    expect(out.frequency[0]).toBe(1);
    expect(out.monetaryValue[0]).toBe(80);
  });
});
