import { describe, expect, it } from 'vitest';
import { evaluateRecommendations, leaveLastOrderOut, listMetrics, type TestCase } from './evaluate.js';
import type { InteractionLog } from './history.js';

const product = (productId: string, category: string) => ({
  productId,
  name: productId,
  category,
  priceMinor: 1000,
});

/** Customer 0: orders on days 10 (items 0, 1) and 40 (item 2); customer 1: one order; views of customer 0 on days 5 and 39. */
const log: InteractionLog = {
  products: [product('a', 'x'), product('b', 'x'), product('c', 'y')],
  customerIds: ['c0', 'c1'],
  purchases: {
    customer: Int32Array.from([0, 0, 0, 1]),
    order: Int32Array.from([0, 0, 1, 2]),
    item: Int32Array.from([0, 1, 2, 0]),
    day: Int32Array.from([10, 10, 40, 20]),
    quantity: Int32Array.from([1, 1, 1, 1]),
  },
  views: { customer: Int32Array.from([0, 0]), item: Int32Array.from([1, 2]), day: Int32Array.from([5, 39]) },
  orderIds: ['o0', 'o1', 'o2'],
};

describe('leave-last-order-out split', () => {
  it("holds out each repeat customer's last order and the views of its session", () => {
    const { train, tests } = leaveLastOrderOut(log);
    expect(tests).toHaveLength(1);
    expect(tests[0]).toMatchObject({ customer: 0, day: 40 });
    expect([...tests[0]!.heldOut]).toEqual([2]);
    expect([...tests[0]!.seenBefore].sort()).toEqual([0, 1]);
    expect(Array.from(train.purchases.order)).toEqual([0, 0, 2]);
    expect(Array.from(train.views.day)).toEqual([5]); // the view the day before the order is dropped
  });
});

describe('ranking metrics', () => {
  const tests: TestCase[] = [
    { customer: 0, day: 1, heldOut: new Set([3]), seenBefore: new Set() },
    { customer: 1, day: 1, heldOut: new Set([1, 2]), seenBefore: new Set([1]) },
  ];
  it('computes hit rate, NDCG, coverage and the new-item hit rate by their definitions', () => {
    const m = listMetrics(
      'x',
      [
        [0, 3],
        [2, 1],
      ],
      tests,
      2,
      10,
    );
    expect(m.hitRate).toBe(1);
    // customer 0: hit at rank 2 → (1/log2 3) / 1; customer 1: hits at ranks 1 and 2 → 1.
    expect(m.ndcg).toBeCloseTo((1 / Math.log2(3) + 1) / 2, 10);
    expect(m.coverage).toBeCloseTo(4 / 10, 10);
    expect(m.newItemHitRate).toBe(1);
    const miss = listMetrics('y', [[0], [1]], tests, 1, 10);
    expect(miss.hitRate).toBe(0.5);
    expect(miss.newItemHitRate).toBe(0); // customer 1's hit was a re-buy; customer 0 missed
  });

  it('evaluates every recommender on the same customers', () => {
    const e = evaluateRecommendations(log, { k: 2 });
    expect(e.testCustomers).toBe(1);
    expect(e.results.map((r) => r.name)).toEqual([
      'patron (email, 20% diversity)',
      'patron (email, no diversity slots)',
      'popularity',
      'own history, then popularity',
    ]);
    for (const r of e.results) {
      expect(r.hitRate).toBeGreaterThanOrEqual(0);
      expect(r.hitRate).toBeLessThanOrEqual(1);
    }
    // Own history lists a and b (bought before); c, the held-out product, is not among them.
    expect(e.results[3]!.hitRate).toBe(0);
  });
});
