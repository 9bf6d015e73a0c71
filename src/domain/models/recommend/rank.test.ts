import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boughtTogether,
  PLACEMENTS,
  rankRecommendations,
  type Neighbour,
  type NeighbourKind,
  type ProductCard,
  type RankingSource,
} from './rank.js';
import type { ReplenishmentItem } from './replenishment.js';

const products: ProductCard[] = [
  { productId: 'beans', name: 'Kenya Whole Bean', category: 'coffee', priceMinor: 1599, buyers: 400 },
  { productId: 'capsules', name: 'Espresso Capsules', category: 'coffee', priceMinor: 999, buyers: 300 },
  { productId: 'grinder', name: 'Oak Grinder', category: 'home', priceMinor: 4999, buyers: 120 },
  { productId: 'mug', name: 'Stoneware Mug Set', category: 'home', priceMinor: 2999, buyers: 200 },
  { productId: 'tote', name: 'Canvas Tote Bag', category: 'accessories', priceMinor: 1999, buyers: 150 },
  { productId: 'sencha', name: 'Sencha Loose Leaf', category: 'tea', priceMinor: 1299, buyers: 250 },
  {
    productId: 'new-roast',
    name: 'Kenya Peaberry Whole Bean',
    category: 'coffee',
    priceMinor: 1799,
    buyers: 0,
  },
  { productId: 'tshirt', name: 'Merino T-Shirt', category: 'apparel', priceMinor: 3999, buyers: 500 },
];

function source(lists: Partial<Record<NeighbourKind, Record<string, Neighbour[]>>>): RankingSource {
  const byId = new Map(products.map((p) => [p.productId, p]));
  return {
    product: (id) => byId.get(id),
    neighbours: (id, kind) => lists[kind]?.[id] ?? [],
    popular: ['tshirt', 'beans', 'capsules', 'mug', 'sencha', 'tote', 'grinder', 'new-roast'],
  };
}

const src = source({
  co_purchase: {
    beans: [
      { productId: 'grinder', score: 0.4 },
      { productId: 'capsules', score: 0.3 },
      { productId: 'mug', score: 0.1 },
    ],
  },
  bought_together: { beans: [{ productId: 'mug', score: 0.8 }] },
  content: {
    beans: [
      { productId: 'new-roast', score: 0.9 },
      { productId: 'capsules', score: 0.6 },
    ],
  },
});
const boughtBeans = [{ productId: 'beans', day: 100, quantity: 1, orderId: 'o1' }];
const opts = { placement: 'email' as const, limit: 5, asOfDay: 110, diversityShare: 0 };

describe('ranking recommendations', () => {
  it('gives each item its strongest reason and never recommends what was bought', () => {
    const recs = rankRecommendations(src, { purchases: boughtBeans, views: [], replenishment: [] }, opts);
    expect(recs.map((r) => r.productId)).not.toContain('beans');
    const grinder = recs.find((r) => r.productId === 'grinder');
    expect(grinder?.reason).toEqual({
      type: 'bought',
      productId: 'beans',
      text: 'because you bought Kenya Whole Bean',
    });
    // A product nobody bought yet comes in through content similarity.
    expect(recs.find((r) => r.productId === 'new-roast')?.reason.type).toBe('similar');
  });

  it('puts "often bought with" first after a purchase', () => {
    const recs = rankRecommendations(
      src,
      { purchases: boughtBeans, views: [], replenishment: [] },
      { ...opts, placement: 'post_purchase' },
    );
    expect(recs[0]).toMatchObject({
      productId: 'mug',
      reason: { type: 'bought_with', text: 'often bought with Kenya Whole Bean' },
    });
  });

  it('brings a bought consumable back only when it is due, as "running low"', () => {
    const due: ReplenishmentItem = {
      productId: 'beans',
      lastPurchasedDay: 80,
      lastQuantity: 1,
      intervalDays: 30,
      runOutDay: 112,
      status: 'due',
    };
    const bought = [{ productId: 'beans', day: 80, quantity: 1, orderId: 'o1' }];
    const recs = rankRecommendations(src, { purchases: bought, views: [], replenishment: [due] }, opts);
    expect(recs[0]).toMatchObject({
      productId: 'beans',
      reason: { type: 'running_low', text: 'running low on Kenya Whole Bean' },
    });
    const upcoming = rankRecommendations(
      src,
      { purchases: bought, views: [], replenishment: [{ ...due, status: 'upcoming' }] },
      opts,
    );
    expect(upcoming.map((r) => r.productId)).not.toContain('beans');
    // Just bought in the order the placement follows: not due, whatever the estimate says.
    const justBought = rankRecommendations(
      src,
      { purchases: bought, views: [], replenishment: [due] },
      { ...opts, placement: 'post_purchase' },
    );
    expect(justBought.map((r) => r.productId)).not.toContain('beans');
  });

  it('gives a share of the slots to categories the customer has not bought from', () => {
    const recs = rankRecommendations(
      src,
      { purchases: boughtBeans, views: [], replenishment: [] },
      { ...opts, limit: 10, diversityShare: 0.2 },
    );
    const explore = recs.filter((r) => r.explore);
    expect(explore).toHaveLength(2);
    for (const r of explore) expect(r.category).not.toBe('coffee');
    expect(new Set(explore.map((r) => r.category)).size).toBe(2);
  });

  it('falls back to popularity for a customer with no history', () => {
    const recs = rankRecommendations(
      src,
      { purchases: [], views: [], replenishment: [] },
      { ...opts, limit: 3 },
    );
    expect(recs.map((r) => r.productId)).toEqual(['tshirt', 'beans', 'capsules']);
    expect(recs[0]?.reason).toEqual({ type: 'popular', category: 'apparel', text: 'popular in apparel' });
  });

  it('uses what a new customer viewed', () => {
    const recs = rankRecommendations(
      src,
      { purchases: [], views: [{ productId: 'beans', day: 109 }], replenishment: [] },
      { ...opts, placement: 'home' },
    );
    expect(recs[0]?.productId).toBe('beans');
    expect(recs[0]?.reason.text).toBe('because you viewed Kenya Whole Bean');
  });

  it('returns at most limit distinct products, none bought unless running low, for any history', () => {
    const ids = products.map((p) => p.productId);
    fc.assert(
      fc.property(
        fc.subarray(ids),
        fc.subarray(ids),
        fc.constantFrom(...PLACEMENTS),
        fc.integer({ min: 0, max: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (bought, viewed, placement, limit, share) => {
          const recs = rankRecommendations(
            src,
            {
              purchases: bought.map((productId, k) => ({
                productId,
                day: 50 + k,
                quantity: 1,
                orderId: `o${k}`,
              })),
              views: viewed.map((productId) => ({ productId, day: 100 })),
              replenishment: [],
            },
            { placement, limit, asOfDay: 110, diversityShare: share },
          );
          expect(recs.length).toBeLessThanOrEqual(limit);
          expect(new Set(recs.map((r) => r.productId)).size).toBe(recs.length);
          for (const r of recs) expect(bought).not.toContain(r.productId);
          expect(recs.length).toBe(Math.min(limit, ids.length - bought.length));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('frequently bought together', () => {
  it('lists the products bought in the same orders, not those already in the order', () => {
    const s = source({
      bought_together: {
        beans: [
          { productId: 'mug', score: 0.5 },
          { productId: 'grinder', score: 0.25 },
        ],
        grinder: [
          { productId: 'mug', score: 0.2 },
          { productId: 'beans', score: 0.1 },
        ],
      },
    });
    const recs = boughtTogether(s, ['beans', 'grinder'], 5);
    expect(recs.map((r) => r.productId)).toEqual(['mug']);
    expect(recs[0]?.score).toBeCloseTo(2, 6);
    expect(recs[0]?.reason.text).toBe('often bought with Kenya Whole Bean');
  });
});
