import { describe, expect, it } from 'vitest';
import type { ItemSimilaritiesTable } from '../store/database.js';
import type { CustomerActivity, RecommenderCatalog, RecommendStore } from '../store/recommend-repository.js';
import { recommendForCustomers, recommendForCustomer } from './recommend.js';

const DAY = 86_400_000;
const FIRST_DAY = 20_000;
const now = new Date((FIRST_DAY + 50) * DAY);

const product = (id: string, rank: number) => ({
  product_id: id,
  name: id.toUpperCase(),
  category: 'coffee',
  price_minor: 1000,
  buyers: 50,
  recent_buyers: 5,
  popularity_rank: rank,
});
const older = Array.from({ length: 10 }, (_, i) => `p0${i}`);
const recent = Array.from({ length: 30 }, (_, i) => `p${10 + i}`);

/**
 * An in-memory recommender: the ten older products lead to `x`, the thirty recent ones to `y`.
 * Customer `cus_a` bought all forty (a single request reads the lists of the 30 most recent only),
 * `cus_b` bought the ten older ones, so the batch holds their lists too.
 */
function memoryStore(): RecommendStore {
  const catalog: RecommenderCatalog = {
    modelId: 'rec_test',
    asOf: '2024-10-01',
    quantityElasticity: 1,
    products: new Map([...older, ...recent, 'x', 'y'].map((id, i) => [id, product(id, i)])),
    popular: ['y'],
    intervals: new Map(),
  };
  const rows = (from: string, to: string): ItemSimilaritiesTable => ({
    product_id: from,
    kind: 'co_purchase',
    rank: 0,
    neighbor_id: to,
    score: 1,
    support: 1,
  });
  const similarities = [...older.map((p) => rows(p, 'x')), ...recent.map((p) => rows(p, 'y'))];
  const bought = (ids: string[]): CustomerActivity => ({
    purchases: ids.map((productId, i) => ({
      productId,
      day: FIRST_DAY + i,
      quantity: 1,
      orderId: `o_${i}`,
      placedAt: new Date((FIRST_DAY + i) * DAY).toISOString(),
    })),
    views: [],
  });
  const activity = new Map([
    ['cus_a', bought([...older, ...recent])],
    ['cus_b', bought(older)],
  ]);
  const none: CustomerActivity = { purchases: [], views: [] };
  return {
    replace: () => Promise.reject(new Error('read-only')),
    catalog: () => Promise.resolve(catalog),
    resolveCustomer: (id) => Promise.resolve(id),
    activity: (id) => Promise.resolve(activity.get(id) ?? none),
    activities: (ids) =>
      Promise.resolve(new Map([...activity].filter(([id]) => ids === undefined || ids.includes(id)))),
    neighbours: (ids) => Promise.resolve(similarities.filter((r) => ids.includes(r.product_id))),
    order: () => Promise.resolve(null),
    runOutBetween: () => Promise.resolve([]),
  };
}

describe('recommendations for many customers at once', () => {
  it('ranks each customer exactly as a single request does, though the batch holds more lists', async () => {
    const store = memoryStore();
    const batch = await recommendForCustomers(store, undefined, now);
    for (const id of ['cus_a', 'cus_b', 'cus_new']) {
      const single = await recommendForCustomer(store, id, { placement: 'email', limit: 4 }, now);
      if (!single.ok) throw new Error(single.error.message);
      expect(batch!.recommend(id, { placement: 'email', limit: 4 })).toEqual(single.value.items);
    }
    // cus_a's older purchases are past the 30 a request reads: `x` (their neighbour) is not scored.
    expect(batch!.recommend('cus_a', { placement: 'email', limit: 4 }).map((r) => r.productId)).toEqual([
      'y',
    ]);
    expect(batch!.recommend('cus_b', { placement: 'email', limit: 4 })[0]).toMatchObject({
      productId: 'x',
      reason: { type: 'bought' },
    });
    expect(batch!.recommend('cus_new', { placement: 'email', limit: 4 })[0]).toMatchObject({
      productId: 'y',
      reason: { type: 'popular' },
    });
  });

  it('is null before the first training run', async () => {
    const store: RecommendStore = { ...memoryStore(), catalog: () => Promise.resolve(null) };
    expect(await recommendForCustomers(store, undefined, now)).toBeNull();
  });
});
