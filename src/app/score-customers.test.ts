import { describe, expect, it } from 'vitest';
import { createRandom } from '../domain/random.js';
import type { PurchaseHistory } from '../domain/features/purchase-features.js';
import { scoreHistory } from './score-customers.js';

const START = 19_000; // a UTC day number (2022-01-08)

/** 400 BG/NBD-like customers over two years, plus one with a single order and one with 300. */
function store(): PurchaseHistory {
  const random = createRandom(7);
  const rows: Array<[number, number, number]> = [];
  const ids: string[] = [];
  for (let c = 0; c < 400; c++) {
    ids.push(`cus_${c}`);
    const rate = random.gamma(0.8, 20); // purchases per day
    const p = random.beta(1, 3);
    let day = START + random.int(300);
    for (;;) {
      rows.push([c, day, 1000 + random.int(5000)]);
      if (random.chance(p)) break;
      day += Math.max(1, Math.round(random.exponential(rate)));
      if (day > START + 729) break;
    }
  }
  ids.push('cus_single');
  rows.push([400, START + 700, 2500]);
  ids.push('cus_loyal');
  for (let k = 0; k < 300; k++) rows.push([401, START + 122 + 2 * k, 3000 + (k % 7) * 100]);
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    customerIds: ids,
    customer: Int32Array.from(rows, (r) => r[0]),
    day: Int32Array.from(rows, (r) => r[1]),
    amount: Float64Array.from(rows, (r) => r[2]),
  };
}

describe('scoring customers', () => {
  const result = scoreHistory(store(), {
    asOf: '2023-12-31',
    scoredAt: '2024-01-01T00:00:00.000Z',
    currency: 'USD',
  });

  it('gives a one-time buyer and a customer with 300 orders finite, sensible numbers', () => {
    if (!result.ok) throw new Error(result.error.message);
    const byId = new Map(result.value.rows.map((r) => [r.customer_id, r]));
    const single = byId.get('cus_single');
    const loyal = byId.get('cus_loyal');
    expect(single && loyal).toBeTruthy();
    if (!single || !loyal) return;
    for (const r of [single, loyal]) {
      for (const v of [
        r.probability_alive,
        r.expected_purchases_30d,
        r.expected_purchases_90d,
        r.expected_purchases_365d,
        r.probability_no_purchase_90d,
        r.expected_order_value_minor,
        r.clv_minor,
        r.learned_expected_purchases ?? NaN,
        r.learned_clv_minor ?? NaN,
      ]) {
        expect(Number.isFinite(v)).toBe(true);
      }
      expect(r.probability_alive).toBeGreaterThanOrEqual(0);
      expect(r.probability_alive).toBeLessThanOrEqual(1);
      expect(r.probability_no_purchase_90d).toBeGreaterThanOrEqual(0);
      expect(r.probability_no_purchase_90d).toBeLessThanOrEqual(1);
      expect(r.expected_purchases_30d).toBeLessThanOrEqual(r.expected_purchases_90d);
      expect(r.expected_purchases_90d).toBeLessThanOrEqual(r.expected_purchases_365d);
      expect(Number.isInteger(r.clv_minor) && r.clv_minor >= 0).toBe(true);
      expect(r.expected_next_order_on === null || r.expected_next_order_on > '2023-12-31').toBe(true);
    }
    // The loyal customer bought every other day up to two days ago: she is expected to buy much more.
    expect(loyal.expected_purchases_365d).toBeGreaterThan(single.expected_purchases_365d);
    expect(loyal.clv_minor).toBeGreaterThan(single.clv_minor);
    // Her expected order value is close to her own mean (300 orders outweigh the population).
    expect(Math.abs(loyal.expected_order_value_minor - 3300)).toBeLessThan(100);
  });

  it('writes integers for money and the as-of day, not the wall clock', () => {
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.summary.customers).toBe(402);
    for (const r of result.value.rows) {
      expect(r.as_of).toBe('2023-12-31');
      expect(Number.isInteger(r.expected_order_value_minor)).toBe(true);
    }
  });

  it('refuses to score a store with no order before the as-of day', () => {
    const r = scoreHistory(store(), { asOf: '2000-01-01', scoredAt: 'x', currency: 'USD' });
    expect(r.ok ? null : r.error.type).toBe('InsufficientData');
  });
});
