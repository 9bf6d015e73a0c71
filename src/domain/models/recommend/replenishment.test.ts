import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import type { PurchaseColumns } from './history.js';
import { customerReplenishment, halfSampleMode, learnReplenishment, runOutDay } from './replenishment.js';

/** Purchase columns from per-customer lists of (item, day, quantity), sorted by customer and day. */
function columns(customers: Array<Array<[number, number, number]>>): PurchaseColumns {
  const rows = customers.flatMap((lines, c) =>
    [...lines].sort((a, b) => a[1] - b[1]).map(([item, day, q]) => ({ c, item, day, q })),
  );
  return {
    customer: Int32Array.from(rows, (r) => r.c),
    order: Int32Array.from(rows, (_, k) => k),
    item: Int32Array.from(rows, (r) => r.item),
    day: Int32Array.from(rows, (r) => r.day),
    quantity: Int32Array.from(rows, (r) => r.q),
  };
}

describe('replenishment intervals', () => {
  it('finds the mode of a sample with a long tail (half-sample mode)', () => {
    expect(halfSampleMode([1, 2, 2.1, 2.3, 2.6, 9, 15, 40])).toBeCloseTo(2.05, 6);
    expect(halfSampleMode([5])).toBe(5);
    expect(halfSampleMode([1, 3, 4])).toBe(3.5);
  });

  it('recovers a 30-day cycle from Erlang gaps and rejects memoryless re-purchases of a durable good', () => {
    const rng = createRandom(5);
    const customers: Array<Array<[number, number, number]>> = [];
    for (let c = 0; c < 200; c++) {
      const lines: Array<[number, number, number]> = [];
      let d = rng.int(30);
      for (let k = 0; k < 8; k++) {
        lines.push([0, Math.round(d), 1]); // item 0: a monthly consumable (Erlang-8, mean 30 days)
        d += rng.gamma(8, 8 / 30);
      }
      let e = rng.int(30);
      for (let k = 0; k < 3; k++) {
        lines.push([1, Math.round(e), 1]); // item 1: re-bought at random (exponential, mean 90 days)
        e += rng.exponential(1 / 90);
      }
      customers.push(lines);
    }
    const model = learnReplenishment(columns(customers), 2, ['coffee', 'home']);
    const coffee = model.intervals[0];
    expect(coffee?.source).toBe('product');
    // The mode of ln(gap) for Erlang-8 with mean 30 days is ln 30; allow ±3 days (1,400 gaps).
    expect(coffee?.intervalDays).toBeGreaterThan(27);
    expect(coffee?.intervalDays).toBeLessThan(33);
    expect(coffee?.concentration).toBeGreaterThan(0.6); // Erlang-8: P(20 ≤ gap ≤ 45) ≈ 0.75
    expect(model.intervals[1]).toBeNull();
    // Memoryless gaps: at most 0.29 of them within a factor 1.5 of any point (sampling noise aside).
    expect(model.statistics[1]!.concentration).toBeLessThan(0.36);
  });

  it('needs a minimum sample and falls back to the category interval', () => {
    const customers: Array<Array<[number, number, number]>> = [];
    for (let c = 0; c < 12; c++) customers.push([0, 45, 90, 135].map((d) => [0, d + c, 1]));
    customers.push([
      [1, 10, 1],
      [1, 55, 1],
    ]); // item 1: one repeat customer only
    const model = learnReplenishment(columns(customers), 3, ['tea', 'tea', 'tea']);
    expect(model.intervals[0]).toMatchObject({ intervalDays: 45, source: 'product' });
    expect(model.intervals[1]).toMatchObject({ intervalDays: 45, source: 'category' });
    expect(model.intervals[2]).toBeNull(); // never bought: nothing to say
  });

  it('learns that a larger quantity lasts longer when the gaps say so', () => {
    const customers: Array<Array<[number, number, number]>> = [];
    for (let c = 0; c < 100; c++) {
      const lines: Array<[number, number, number]> = [];
      let d = c % 7;
      for (let k = 0; k < 10; k++) {
        const q = (k + c) % 3 === 0 ? 2 : 1;
        lines.push([0, d, q]);
        d += 30 * q + ((k * 7 + c) % 5) - 2;
      }
      customers.push(lines);
    }
    const model = learnReplenishment(columns(customers), 1, ['coffee']);
    expect(model.quantityElasticity).toBeGreaterThan(0.8);
    expect(runOutDay(100, 2, { intervalDays: 30, typicalQuantity: 1 }, 1)).toBe(160);
    expect(runOutDay(100, 2, { intervalDays: 30, typicalQuantity: 1 }, 0)).toBe(130);
  });

  it("dates a customer's run-out from the last purchase and says when it is due", () => {
    const intervals = new Map([['coffee', { intervalDays: 30, typicalQuantity: 1 }]]);
    const purchases = [
      { productId: 'coffee', day: 100, quantity: 1 },
      { productId: 'coffee', day: 130, quantity: 1 },
      { productId: 'mug', day: 130, quantity: 1 },
    ];
    const at = (asOf: number) => customerReplenishment(purchases, intervals, 1, asOf);
    expect(at(140)).toEqual([
      expect.objectContaining({
        productId: 'coffee',
        lastPurchasedDay: 130,
        runOutDay: 160,
        status: 'upcoming',
      }),
    ]);
    expect(at(153)[0]?.status).toBe('due');
    expect(at(190)[0]?.status).toBe('due');
    expect(at(191)[0]?.status).toBe('lapsed');
    expect(at(120)[0]).toMatchObject({ lastPurchasedDay: 100, runOutDay: 130 }); // later purchases unseen
  });
});
