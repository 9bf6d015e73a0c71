import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { eventStore } from '../store/event-repository.js';
import { loyaltyEventSource } from '../store/loyalty-events-repository.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import { DEFAULT_PROGRAMME_CONFIG } from '../domain/loyalty/config.js';
import { ingestBatch } from './ingest-events.js';
import { memberBalance, type LedgerStore } from './loyalty-ledger.js';
import { processLoyaltyEvents } from './loyalty-events.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

describe.each(DATABASES)('points from the store’s events on %s', (dialect) => {
  let t: TestDatabase;
  let ledger: LedgerStore;
  const ingest = async (events: unknown[], receivedAt = NOW.toISOString()) => {
    const r = await ingestBatch(eventStore(t.store), events, {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  };
  const run = () => processLoyaltyEvents(ledger, loyaltyEventSource(t.store), ledgerIds, { now: () => NOW });
  const customerOf = async (userId: string) => (await ledger.customerIdFor(userId)) as string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    ledger = loyaltyStore(t.store);
    await ledger.activateConfig({
      config: { ...DEFAULT_PROGRAMME_CONFIG, rewardSkus: ['REWARD-1'] },
      now: '2020-01-01T00:00:00.000Z',
      by: 'test',
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  const order = (
    userId: string,
    orderId: string,
    timestamp: string,
    extra: Record<string, unknown> = {},
  ) => ({
    type: 'track',
    event: 'Order Completed',
    userId,
    messageId: `m-${orderId}`,
    timestamp,
    properties: {
      order_id: orderId,
      total: 118,
      shipping: 8,
      tax: 10,
      discount: 20,
      currency: 'USD',
      products: [
        { product_id: 'p1', sku: 'A', price: 60, quantity: 1 },
        { product_id: 'p2', sku: 'B', price: 20, quantity: 2 },
        { product_id: 'r', sku: 'REWARD-1', price: 0, quantity: 1 },
      ],
      ...extra,
    },
  });

  it('earns on the net merchandise amount per line, a first-order bonus, once however often the order arrives', async () => {
    const ev = order('u1', 'o1', '2026-05-25T10:00:00.000Z');
    await ingest([ev]);
    await ingest([{ ...ev, messageId: 'm-o1-again' }]);
    const first = await run();
    expect(first.events).toBeGreaterThanOrEqual(2);
    const second = await run();
    expect(second.entries).toBe(0);
    const b = await memberBalance(ledger, await customerOf('u1'), NOW.toISOString());
    // Lines: 60 and 40 gross, discount 20 split 12/8 → 48 + 32 = 80 points, pending (window open).
    expect(b.pending).toBe(80);
    // The first-order bonus is not returnable: available at once.
    expect(b.available).toBe(100);
    const history = await ledger.history(await customerOf('u1'), 10);
    expect(history.map((h) => h.kind).sort()).toEqual(['bonus', 'earn', 'earn']);
    expect(history.find((h) => h.lineNo === 1)?.explanation).toMatch(
      /48 points on order o1 line 1: 48.00 USD after discounts/,
    );
  });

  it('reverses a partial refund in proportion, from pending first, and a cancellation entirely', async () => {
    await ingest([
      order('u2', 'o2', '2026-05-20T10:00:00.000Z'),
      order('u2', 'o3', '2026-05-21T10:00:00.000Z'),
    ]);
    await run();
    const before = await memberBalance(ledger, await customerOf('u2'), NOW.toISOString());
    expect(before.pending).toBe(160);
    await ingest([
      {
        type: 'track',
        event: 'Order Refunded',
        userId: 'u2',
        messageId: 'refund-o2-a',
        timestamp: '2026-05-28T10:00:00.000Z',
        properties: { order_id: 'o2', total: 59, currency: 'USD' },
      },
      {
        type: 'track',
        event: 'Order Cancelled',
        userId: 'u2',
        messageId: 'cancel-o3',
        timestamp: '2026-05-21T11:00:00.000Z',
        properties: { order_id: 'o3', total: 118, currency: 'USD' },
      },
    ]);
    await run();
    await run();
    const after = await memberBalance(ledger, await customerOf('u2'), NOW.toISOString());
    // o2 half refunded: 24 of 48 and 16 of 32 reversed; o3 all 80 reversed.
    expect(after.pending).toBe(40);
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('credits a written review and helpful community answers, within their caps', async () => {
    const long = 'This jacket fits well, keeps me warm and the zip is sturdy. Recommended.';
    const reviews = Array.from({ length: 6 }, (_, i) => ({
      type: 'track',
      event: 'Product Reviewed',
      userId: 'u3',
      messageId: `rev-${i}`,
      timestamp: `2026-05-0${i + 1}T10:00:00.000Z`,
      properties: { product_id: 'p1', review_id: `r${i}`, rating: 5, review_body: i === 5 ? 'ok' : long },
    }));
    await ingest([order('u3', 'o4', '2026-04-01T10:00:00.000Z'), ...reviews]);
    await run();
    const history = await ledger.history(await customerOf('u3'), 50);
    // Cap: 4 written reviews a month; the short one earns nothing.
    expect(history.filter((h) => h.rule === 'review_text')).toHaveLength(4);
  });
});
