import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { createApp } from '../server/app.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { eventStore } from '../store/event-repository.js';
import { loadInteractionLog } from '../store/recommend-history-repository.js';
import { recommendStoreFor } from '../store/recommend-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { createApiKey } from './api-keys.js';
import { ingestBatch } from './ingest-events.js';
import { trainRecommendations } from './recommend.js';

const catalog = {
  coffee: { product_id: 'coffee', name: 'Kenya Whole Bean', category: 'coffee', price: 15.99 },
  decaf: { product_id: 'decaf', name: 'Decaf Whole Bean', category: 'coffee', price: 14.99 },
  mug: { product_id: 'mug', name: 'Stoneware Mug', category: 'home', price: 24.99 },
  grinder: { product_id: 'grinder', name: 'Oak Grinder', category: 'home', price: 49.99 },
  tote: { product_id: 'tote', name: 'Canvas Tote', category: 'accessories', price: 19.99 },
};
type Key = keyof typeof catalog;
const day = (d: number): string => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString();

/** Eight monthly coffee buyers (mug or grinder in the first order), two tote buyers, one browser. */
function events(): unknown[] {
  const out: unknown[] = [];
  let n = 0;
  const order = (user: string, d: number, items: Key[]) => {
    n++;
    out.push({
      type: 'track',
      event: 'Order Completed',
      userId: user,
      messageId: `rec-${n}`,
      timestamp: day(d),
      properties: {
        order_id: `o${n}`,
        total: items.reduce((s, k) => s + catalog[k].price, 0),
        currency: 'USD',
        products: items.map((k) => ({ ...catalog[k], quantity: 1 })),
      },
    });
  };
  for (let c = 1; c <= 8; c++) {
    order(`u_${c}`, c, ['coffee', c % 2 ? 'mug' : 'grinder']);
    for (let k = 1; k < 4; k++) order(`u_${c}`, c + 30 * k, ['coffee']);
  }
  order('u_9', 5, ['tote', 'mug']);
  order('u_10', 6, ['tote', 'mug', 'decaf']);
  out.push({
    type: 'track',
    event: 'Product Viewed',
    userId: 'u_new',
    messageId: 'rec-view',
    timestamp: day(100),
    properties: { ...catalog.grinder },
  });
  return out;
}

describe.each(DATABASES)('recommendations and replenishment on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let readKey: string;
  let ingestKey: string;
  // u_1 last bought coffee on day 91: run-out on day 121, due from day 114.
  const now = new Date(day(118));

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const keys = apiKeyStore(t.store);
    readKey = (await createApiKey(keys, { name: 'site', scopes: ['read'], now: day(0) })).secret;
    ingestKey = (await createApiKey(keys, { name: 'feed', scopes: ['ingest'], now: day(0) })).secret;
    const r = await ingestBatch(eventStore(t.store), events(), {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: day(120),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => now,
      maxBodyBytes: 50_000,
      log: () => {},
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  const get = (path: string, key = readKey) =>
    app.request(path, { headers: { authorization: `Bearer ${key}` } });
  const train = () =>
    trainRecommendations({ load: (o) => loadInteractionLog(t.store, o) }, recommendStoreFor(t.store), {
      now,
    });

  it('answers 409 naming the command before the first training run', async () => {
    const res = await get('/v1/customers/u_1/recommendations');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toContain('patron recommend train');
  });

  it('learns the monthly cycle and stores every table, replacing them on a second run', async () => {
    const first = await train();
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.asOf).toBe(day(98).slice(0, 10));
    expect(first.value.products).toBe(5);
    const interval = await t.store.db
      .selectFrom('replenishment_intervals')
      .selectAll()
      .where('product_id', '=', 'coffee')
      .executeTakeFirstOrThrow();
    expect(Number(interval.interval_days)).toBe(30);
    expect(interval.source).toBe('product');
    const count = async () => ({
      sims: (await t.store.db.selectFrom('item_similarities').selectAll().execute()).length,
      cycles: (await t.store.db.selectFrom('customer_replenishment').selectAll().execute()).length,
    });
    const before = await count();
    // Eight coffee buyers, and u_10's decaf: coffee is a cyclic category, so decaf takes its interval.
    expect(before.cycles).toBe(9);
    const second = await train();
    expect(second.ok).toBe(true);
    expect(await count()).toEqual(before);
    expect((await t.store.db.selectFrom('recommend_models').selectAll().execute()).length).toBe(2);
  });

  it('recommends the due consumable first, with its reason, and nothing else already bought', async () => {
    const res = await get('/v1/customers/u_1/recommendations?placement=email&limit=4');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      items: Array<{ productId: string; reason: { type: string; text: string; runOutOn?: string } }>;
    };
    expect(body.items[0]).toMatchObject({
      productId: 'coffee',
      reason: {
        type: 'running_low',
        text: 'running low on Kenya Whole Bean',
        runOutOn: day(121).slice(0, 10),
      },
    });
    expect(body.items.slice(1).map((i) => i.productId)).not.toContain('mug');
    for (const i of body.items) expect(i.reason.text.length).toBeGreaterThan(5);
    expect(body.items.length).toBe(4);
  });

  it('does not bring back the coffee just bought after a purchase', async () => {
    const res = await get('/v1/customers/u_1/recommendations?placement=post_purchase');
    const body = (await res.json()) as { items: Array<{ productId: string }> };
    // On day 118 the coffee is due (bought on day 91) — but only the order just placed is excluded:
    // post-purchase follows the latest order, which held the coffee.
    expect(body.items.map((i) => i.productId)).not.toContain('coffee');
  });

  it('starts a new customer from what they viewed', async () => {
    const res = await get('/v1/customers/u_new/recommendations?placement=home&limit=3');
    const body = (await res.json()) as { items: Array<{ productId: string; reason: { text: string } }> };
    expect(body.items[0]).toMatchObject({
      productId: 'grinder',
      reason: { text: 'because you viewed Oak Grinder' },
    });
  });

  it('lists what is frequently bought together with an order', async () => {
    const res = await get('/v1/orders/o33/frequently-bought-together?limit=3'); // u_9: tote + mug
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ productId: string; reason: { text: string } }> };
    expect(body.items.map((i) => i.productId)).not.toContain('tote');
    expect(body.items[0]?.reason.text).toMatch(/^often bought with /);
    expect((await get('/v1/orders/nope/frequently-bought-together')).status).toBe(404);
  });

  it('shows due replenishment in the profile and on its own endpoint', async () => {
    const profile = (await (await get('/v1/customers/u_1')).json()) as {
      replenishment: {
        items: Array<{ productId: string; status: string; runOutOn: string; daysLeft: number }>;
      };
    };
    expect(profile.replenishment.items).toEqual([
      expect.objectContaining({
        productId: 'coffee',
        status: 'due',
        runOutOn: day(121).slice(0, 10),
        daysLeft: 3,
      }),
    ]);
    // As of day 35 the coffee bought on day 31 lasts to day 61: upcoming (later orders unseen).
    const earlier = (await (await get('/v1/customers/u_1/replenishment?as_of=2025-02-05')).json()) as {
      items: Array<{ status: string; runOutOn: string }>;
    };
    expect(earlier.items[0]).toEqual(
      expect.objectContaining({ status: 'upcoming', runOutOn: day(61).slice(0, 10) }),
    );
  });

  it('refuses bad queries with the field named, unknown customers and keys without the read scope', async () => {
    const bad = async (query: string) => {
      const res = await get(`/v1/customers/u_1/recommendations?${query}`);
      expect(res.status).toBe(400);
      return ((await res.json()) as { errors: Array<{ path: string; message: string }> }).errors;
    };
    expect((await bad('placement=sidebar'))[0]).toMatchObject({ path: 'placement' });
    expect((await bad('limit=0'))[0]).toMatchObject({
      path: 'limit',
      message: 'must be a whole number from 1 to 50',
    });
    expect((await bad('limit=ten'))[0]?.path).toBe('limit');
    expect((await bad('limit=2.5'))[0]?.path).toBe('limit');
    expect((await bad('colour=red'))[0]?.message).toContain('colour');
    const date = await get('/v1/customers/u_1/replenishment?as_of=2025-13-01');
    expect(date.status).toBe(400);
    expect(((await date.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('as_of');
    expect((await get('/v1/customers/nobody/recommendations')).status).toBe(404);
    expect((await get('/v1/customers/u_1/recommendations', ingestKey)).status).toBe(403);
  });
});
