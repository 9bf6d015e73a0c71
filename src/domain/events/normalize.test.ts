import { describe, expect, it } from 'vitest';
import { canonicalJson, normalizeEvent, type NormalizeContext } from './normalize.js';

const ctx: NormalizeContext = {
  receivedAt: '2025-05-01T12:00:00.000Z',
  currency: { baseCurrency: 'USD', rates: { EUR: 1.1 } },
  deriveMessageId: (json) => `derived-${json.length}`,
};

const order = {
  type: 'track',
  event: 'Order Completed',
  messageId: 'm1',
  userId: 'u1',
  timestamp: '2025-03-04T10:11:12+02:00',
  properties: {
    order_id: 'o1',
    total: 29.33,
    revenue: 25,
    discount: 2.5,
    coupon: 'SPRING',
    currency: 'EUR',
    products: [{ product_id: 'p1', sku: 'S1', name: 'Beans', category: 'coffee', price: 12.5, quantity: 2 }],
  },
  context: { timezone: 'Europe/Berlin', traits: { email: ' Ann@Example.com ' } },
};

describe('normalizeEvent', () => {
  it('turns an order into integer minor units in its own and the base currency', () => {
    const r = normalizeEvent(order, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.timestamp).toBe('2025-03-04T08:11:12.000Z');
    expect(r.value.timezone).toBe('Europe/Berlin');
    expect(r.value.identity).toEqual({ userId: 'u1', email: 'ann@example.com' });
    expect(r.value.facts).toEqual([
      {
        kind: 'order',
        orderId: 'o1',
        currency: 'EUR',
        totalMinor: 2933,
        baseTotalMinor: 3226,
        revenueMinor: 2500,
        discountMinor: 250,
        baseDiscountMinor: 275,
        shippingMinor: 0,
        taxMinor: 0,
        coupon: 'SPRING',
        lines: [
          {
            lineNo: 1,
            productId: 'p1',
            sku: 'S1',
            name: 'Beans',
            category: 'coffee',
            priceMinor: 1250,
            basePriceMinor: 1375,
            quantity: 2,
          },
        ],
      },
    ]);
  });

  it('rejects an amount in a currency without a rate, naming the field and the reason', () => {
    const r = normalizeEvent({ ...order, properties: { ...order.properties, currency: 'GBP' } }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error[0]).toEqual({
      path: ['properties', 'currency'],
      message: expect.stringMatching(/GBP has no exchange rate to the store's base currency USD/),
    });
  });

  it('names the bad field of a product line', () => {
    const bad = { ...order, properties: { ...order.properties, products: [{ price: 'cheap' }] } };
    const r = normalizeEvent(bad, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((i) => i.path)).toContainEqual(['properties', 'products', 0, 'price']);
  });

  it('requires userId or anonymousId', () => {
    const r = normalizeEvent({ type: 'track', event: 'Product Viewed', messageId: 'x' }, ctx);
    expect(r).toEqual({
      ok: false,
      error: [{ path: ['userId'], message: 'either userId or anonymousId is required' }],
    });
  });

  it('keeps unknown event names as custom events', () => {
    const r = normalizeEvent(
      { type: 'track', event: 'Wishlist Shared', userId: 'u1', properties: { any: 1 } },
      ctx,
    );
    expect(r.ok && r.value.known).toBe(false);
    expect(r.ok && r.value.name).toBe('Wishlist Shared');
  });

  it('validates known events: an NPS of 11 is refused', () => {
    const r = normalizeEvent(
      { type: 'track', event: 'Survey Answered', userId: 'u1', properties: { nps: 11 } },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.path).toEqual(['properties', 'nps']);
  });

  it('records consent changes and unsubscribes as consent facts', () => {
    const c = normalizeEvent(
      {
        type: 'track',
        event: 'Consent Updated',
        userId: 'u1',
        properties: { channel: 'sms', purpose: 'marketing', granted: true },
      },
      ctx,
    );
    expect(c.ok && c.value.facts).toEqual([
      { kind: 'consent', channel: 'sms', purpose: 'marketing', granted: true },
    ]);
    const u = normalizeEvent({ type: 'track', event: 'Unsubscribed', userId: 'u1' }, ctx);
    expect(u.ok && u.value.facts).toEqual([
      { kind: 'consent', channel: 'email', purpose: 'marketing', granted: false },
    ]);
  });

  it('derives a stable messageId when the sender gave none, and uses receivedAt when there is no timestamp', () => {
    const e = { type: 'identify', userId: 'u1', traits: { email: 'a@b.co', phone: '+49 (151) 234-5678' } };
    const a = normalizeEvent(e, ctx);
    const b = normalizeEvent({ traits: e.traits, userId: 'u1', type: 'identify' }, ctx);
    expect(a.ok && b.ok && a.value.messageId === b.value.messageId).toBe(true);
    expect(a.ok && a.value.timestamp).toBe(ctx.receivedAt);
    expect(a.ok && a.value.identity.phone).toBe('+491512345678');
  });

  it('reports a time zone that is not an IANA zone', () => {
    const r = normalizeEvent(
      { type: 'identify', userId: 'u1', traits: { email: 'nope' }, context: { timezone: 'Mars/Olympus' } },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.map((i) => i.path.join('.'))).toEqual(['context.timezone']);
  });

  it('links a previous id on alias', () => {
    const r = normalizeEvent({ type: 'alias', previousId: 'anon-1', userId: 'u1' }, ctx);
    expect(r.ok && r.value.identity).toEqual({ userId: 'u1', previousId: 'anon-1' });
  });
});

describe('canonicalJson', () => {
  it('sorts keys so equal objects serialise equally', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});
