import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { loadRenderer } from '../channels/templates/render.js';
import { decideCustomers, type DecideDeps } from '../app/decide.js';
import { outboxWiring } from '../app/decide-outbox.js';
import { ingestBatch } from '../app/ingest-events.js';
import { messageVariables } from '../app/outbox.js';
import { recommendForCustomer, trainRecommendations } from '../app/recommend.js';
import { scoreCustomers } from '../app/score-customers.js';
import { defaultDecisioningConfig } from '../domain/decisioning/plan.js';
import type { CandidateScore } from '../domain/decisioning/policy.js';
import type { Recommendation } from '../domain/decisioning/state.js';
import { clvScoreStore } from './clv-score-repository.js';
import { decisionIdOf, decisionRepository } from './decision-repository.js';
import { loadDecisionStates } from '../app/decision-states.js';
import { eventStore } from './event-repository.js';
import { recommendationOf } from './message-context-repository.js';
import { orderHistoryStore } from './order-history-repository.js';
import { loadInteractionLog } from './recommend-history-repository.js';
import { recommendStoreFor } from './recommend-repository.js';
import type { Tx } from './transaction.js';

const products = {
  coffee: { product_id: 'coffee', name: 'Kenya Whole Bean', category: 'coffee', price: 15.99 },
  decaf: { product_id: 'decaf', name: 'Decaf Whole Bean', category: 'coffee', price: 14.99 },
  mug: { product_id: 'mug', name: 'Stoneware Mug', category: 'home', price: 24.99 },
  grinder: { product_id: 'grinder', name: 'Oak Grinder', category: 'home', price: 49.99 },
  tote: { product_id: 'tote', name: 'Canvas Tote', category: 'accessories', price: 19.99 },
};
type Key = keyof typeof products;
const day = (d: number): string => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString();
const NOW = new Date(`${day(100).slice(0, 10)}T12:00:00.000Z`);

/**
 * Eight monthly coffee buyers (a mug or a grinder with their first order; the mug buyers also a
 * tote), each with marketing consent; u_1's last order (coffee + decaf) was delivered this morning,
 * and so was u_2's. u_browser only viewed a grinder.
 */
function events(): unknown[] {
  const out: unknown[] = [];
  let n = 0;
  const track = (user: string, event: string, at: string, properties: Record<string, unknown>) =>
    out.push({ type: 'track', event, userId: user, messageId: `m-${++n}`, timestamp: at, properties });
  const order = (user: string, d: number, items: Key[], id = `o${n + 1}`) =>
    track(user, 'Order Completed', day(d), {
      order_id: id,
      total: items.reduce((s, k) => s + products[k].price, 0),
      currency: 'USD',
      products: items.map((k) => ({ ...products[k], quantity: 1 })),
    });
  for (let c = 1; c <= 8; c++) {
    const u = `u_${c}`;
    out.push({
      type: 'identify',
      userId: u,
      messageId: `id-${u}`,
      timestamp: day(0),
      traits: { email: `${u}@example.com`, first_name: `Ada${c}` },
      context: { timezone: 'Europe/London' },
    });
    for (const purpose of ['transactional', 'marketing'])
      track(u, 'Consent Updated', day(0), { channel: 'email', purpose, granted: true });
    order(u, c, ['coffee', c % 2 ? 'mug' : 'grinder']);
    if (c % 2) order(u, c + 10, ['tote']);
    for (let k = 1; k < 3; k++) order(u, c + 30 * k, ['coffee']);
  }
  order('u_1', 96, ['coffee', 'decaf'], 'ord_last_1');
  track('u_1', 'Order Delivered', `${day(100).slice(0, 10)}T08:00:00.000Z`, {
    order_id: 'ord_last_1',
    delivered_on_time: true,
  });
  order('u_2', 96, ['coffee'], 'ord_last_2');
  track('u_2', 'Order Delivered', `${day(100).slice(0, 10)}T08:00:00.000Z`, {
    order_id: 'ord_last_2',
    delivered_on_time: true,
  });
  track('u_browser', 'Product Viewed', day(99), { ...products.grinder });
  return out;
}

describe.each(DATABASES)('cross-sell recommendations in the decisioning state on %s', (dialect) => {
  let t: TestDatabase;
  let deps: DecideDeps<Tx>;
  const ids = new Map<string, string>();
  const id = (u: string) => ids.get(u)!;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const r = await ingestBatch(eventStore(t.store), events(), {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: NOW.toISOString(),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    for (const row of await t.store.db
      .selectFrom('identities')
      .select(['value', 'customer_id'])
      .where('kind', '=', 'user')
      .execute())
      ids.set(row.value, row.customer_id);
    const clv = await scoreCustomers(orderHistoryStore(t.store), clvScoreStore(t.store), {
      scoredAt: NOW.toISOString(),
      currency: 'USD',
    });
    if (!clv.ok) throw new Error(clv.error.message);
    const wiring = await outboxWiring(t.store, defaultDecisioningConfig, {
      now: NOW,
      globalControlFraction: 0,
      journeyHoldout: 0,
    });
    deps = {
      loadStates: (o) => loadDecisionStates(t.store, o),
      decisions: decisionRepository(t.store),
      config: defaultDecisioningConfig,
      ...wiring,
    };
  });
  afterAll(async () => t?.drop());

  const delivered = (u: string, orderId: string) =>
    decideCustomers(deps, {
      now: NOW,
      customerIds: [id(u)],
      input: {
        type: 'OrderDelivered',
        at: Date.parse(`${day(100).slice(0, 10)}T08:00:00.000Z`),
        orderId,
        onTime: true,
      },
      decisionIdOf,
    });
  const decisionOf = (u: string) =>
    t.store.db
      .selectFrom('decisions')
      .selectAll()
      .where('customer_id', '=', id(u))
      .where('trigger_type', '=', 'order_delivered')
      .executeTakeFirstOrThrow();

  it('leaves recommendations null before a model is trained, so cross-sell waits for them', async () => {
    const states = await loadDecisionStates(t.store, { asOf: NOW.toISOString() });
    expect(states.length).toBe(9);
    expect(states.every((s) => s.recommendations === null)).toBe(true);
    await delivered('u_2', 'ord_last_2');
    const d = await decisionOf('u_2');
    const crossSell = (JSON.parse(d.candidates) as CandidateScore[]).find((c) => c.actionId === 'cross_sell');
    expect(crossSell).toMatchObject({ status: 'waiting', waitsFor: ['recommendations'] });
    expect(d.chosen_action).not.toBe('cross_sell');
    expect(JSON.parse(d.inputs)).toMatchObject({ recommendations: null });
    expect(JSON.parse(d.inputs).signals).not.toContain('recommendations');
  });

  it('fills every loaded customer with what the recommender gives a single request', async () => {
    const trained = await trainRecommendations(
      { load: (o) => loadInteractionLog(t.store, o) },
      recommendStoreFor(t.store),
      { now: NOW },
    );
    if (!trained.ok) throw new Error(trained.error.message);
    const all = await loadDecisionStates(t.store, { asOf: NOW.toISOString() });
    expect(all.length).toBe(9);
    for (const s of all) {
      const single = await recommendForCustomer(
        recommendStoreFor(t.store),
        s.customerId,
        { placement: 'email', limit: 4 },
        NOW,
      );
      if (!single.ok) throw new Error(single.error.message);
      expect(single.value.items.length).toBeGreaterThan(0);
      // The batch (every customer at once) ranks exactly as the per-request recommender.
      expect(s.recommendations).toEqual(single.value.items.map(recommendationOf));
      const [alone] = await loadDecisionStates(t.store, {
        asOf: NOW.toISOString(),
        customerIds: [s.customerId],
      });
      expect(alone?.recommendations).toEqual(s.recommendations);
    }
    const u1 = all.find((s) => s.customerId === id('u_1'))!;
    const recommended = u1.recommendations!.map((r) => r.productId);
    // u_1 bought coffee, decaf, a mug and a tote: only the grinder is new, and coffee (bought every
    // 30 days, last on day 96) is not due yet — nothing already bought comes back.
    expect(recommended).toEqual(['grinder']);
    expect(u1.recommendations![0]).toMatchObject({ name: 'Oak Grinder', priceMinor: 4999 });
    expect(u1.recommendations![0]!.because).toMatch(/bought/);
    const browser = all.find((s) => s.customerId === id('u_browser'))!;
    expect(browser.recommendations![0]).toMatchObject({
      productId: 'grinder',
      because: 'you viewed Oak Grinder',
    });
  });

  it('chooses cross-sell on a delivery, naming the products and reasons in its inputs and message', async () => {
    const summary = await delivered('u_1', 'ord_last_1');
    expect(summary.byAction).toMatchObject({ cross_sell: 1 });
    const d = await decisionOf('u_1');
    expect(d.chosen_action).toBe('cross_sell');
    expect(['queued', 'deferred']).toContain(d.status);
    const crossSell = (JSON.parse(d.candidates) as CandidateScore[]).find(
      (c) => c.actionId === 'cross_sell',
    )!;
    expect(crossSell.status).toBe('scored');
    expect(crossSell.ev).toBeGreaterThan(0);
    const inputs = JSON.parse(d.inputs) as { recommendations: Recommendation[]; signals: string[] };
    expect(inputs.signals).toContain('recommendations');
    expect(inputs.recommendations).toEqual([
      {
        productId: 'grinder',
        name: 'Oak Grinder',
        category: 'home',
        priceMinor: 4999,
        because: expect.stringMatching(/^you bought /),
      },
    ]);
    const message = await t.store.db
      .selectFrom('outbox_messages')
      .select(['template_id', 'variables'])
      .where('id', '=', d.message_id!)
      .executeTakeFirstOrThrow();
    expect(message.template_id).toBe('cross_sell');
    const variables = messageVariables.parse(JSON.parse(message.variables));
    const reason = inputs.recommendations[0]!.because;
    expect(variables.recommendations).toEqual([
      { id: 'grinder', name: 'Oak Grinder', category: 'home', priceMinor: 4999, reason },
    ]);
    const renderer = await loadRenderer({ storeName: 'Brewline', storeUrl: 'https://shop.example' });
    const rendered = await renderer.render('cross_sell', variables, { unsubscribeUrl: null });
    expect(rendered.text).toContain(`Oak Grinder ($49.99) — because ${reason}`);
  });
});
