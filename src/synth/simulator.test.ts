import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../domain/events/index.js';
import type { SynthEvent, SynthEventName, SynthTrack } from './events.js';
import { generateStore, type GeneratedStore } from './generate.js';
import { createSimulator, type CustomerTruth } from './simulator.js';
import { WEEK } from './time.js';

const store = generateStore({ customers: 800, seed: 11 });
const tracks = store.events.filter((e): e is SynthTrack => e.type === 'track');
const truthById = new Map(store.groundTruth.map((t) => [t.userId, t]));

function byUser(events: readonly SynthTrack[], name: SynthEventName): Map<string, SynthTrack[]> {
  const out = new Map<string, SynthTrack[]>();
  for (const e of events) {
    if (e.event !== name || e.userId === undefined) continue;
    const list = out.get(e.userId) ?? [];
    list.push(e);
    out.set(e.userId, list);
  }
  return out;
}

const required: Record<SynthEventName, readonly string[]> = {
  'Order Completed': ['order_id', 'total', 'revenue', 'shipping', 'tax', 'discount', 'currency', 'products'],
  'Order Refunded': ['order_id', 'total', 'currency', 'reason'],
  'Order Cancelled': ['order_id', 'total', 'currency', 'reason'],
  'Order Delivered': ['order_id', 'delivered_on_time'],
  'Payment Failed': ['amount', 'currency', 'reason'],
  'Subscription Paused': ['subscription_id', 'reason'],
  'Product Viewed': ['product_id', 'sku', 'name', 'category', 'price', 'currency'],
  'Product Added': ['product_id', 'sku', 'name', 'category', 'price', 'currency', 'quantity', 'cart_id'],
  'Cart Viewed': ['cart_id', 'products'],
  'Checkout Started': ['order_id', 'value', 'currency', 'products'],
  'Product Reviewed': ['product_id', 'review_id', 'rating', 'review_body'],
  'Email Opened': ['email_id', 'campaign_id', 'subject'],
  'Email Link Clicked': ['email_id', 'campaign_id', 'link_url'],
  Unsubscribed: ['channel', 'list_id'],
  'Ticket Opened': ['ticket_id', 'severity', 'subject', 'text'],
  'Ticket Resolved': ['ticket_id', 'severity', 'text', 'satisfied'],
  'Survey Answered': ['survey_id', 'nps', 'comment'],
  'Referral Completed': ['referral_code', 'referred_user_id'],
  'Community Posted': ['post_id', 'kind', 'helpful_votes'],
  'Consent Updated': ['channel', 'purpose', 'granted'],
};

const cents = (x: unknown): number => Math.round(Number(x) * 100);
const isMoney = (x: unknown): boolean =>
  typeof x === 'number' && Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;

describe('the synthetic store', () => {
  it('gives byte-identical output for the same seed and different output for another seed', () => {
    const small = { customers: 300, seed: 5, weeks: 52 };
    const a = JSON.stringify(generateStore(small));
    const b = JSON.stringify(generateStore(small));
    const c = JSON.stringify(generateStore({ ...small, seed: 6 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('produces a realistic volume: tens of events and a few orders per customer', () => {
    const perCustomer = store.events.length / store.groundTruth.length;
    expect(perCustomer).toBeGreaterThan(15);
    expect(perCustomer).toBeLessThan(45);
    expect(store.catalog.length).toBeGreaterThanOrEqual(150);
    expect(store.catalog.length).toBeLessThanOrEqual(300);
    const names = new Set(tracks.map((e) => e.event));
    for (const name of Object.keys(required)) expect(names, name).toContain(name);
  });

  it('writes every event in the Segment shape of the ingestion contract', () => {
    const ctx = {
      receivedAt: store.params.horizonEnd,
      currency: { baseCurrency: 'USD', rates: { EUR: 1.087, GBP: 1.266 } },
      deriveMessageId: () => 'unused',
    };
    const problems: string[] = [];
    const check = (ok: boolean, what: string, e: SynthEvent): void => {
      if (!ok && problems.length < 10) problems.push(`${what}: ${JSON.stringify(e)}`);
    };
    for (const e of store.events) {
      check(normalizeEvent(JSON.parse(JSON.stringify(e)), ctx).ok, 'normalizeEvent', e);
      check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(e.timestamp), 'timestamp', e);
      check(typeof e.context.timezone === 'string', 'context.timezone', e);
      if (e.type === 'identify') {
        check(/^u_\d+$/.test(e.userId), 'userId', e);
        check(/@example\.(com|org|net)$/.test(String(e.traits.email)), 'traits.email', e);
        check(e.traits.timezone === e.context.timezone, 'traits.timezone', e);
        continue;
      }
      check(e.userId !== undefined || e.anonymousId !== undefined, 'identity', e);
      if (e.userId !== undefined)
        check(typeof e.context.traits?.email === 'string', 'context.traits.email', e);
      const props = e.properties;
      for (const field of required[e.event as SynthEventName]) check(field in props, field, e);
      for (const field of ['total', 'revenue', 'shipping', 'tax', 'discount', 'price', 'amount', 'value']) {
        if (field in props) check(isMoney(props[field]), field, e);
      }
      if ('currency' in props) check(['USD', 'EUR', 'GBP'].includes(String(props.currency)), 'currency', e);
      if ('severity' in props)
        check(['low', 'medium', 'high', 'urgent'].includes(String(props.severity)), 'severity', e);
      if (e.event === 'Survey Answered')
        check(Number.isInteger(props.nps) && (props.nps as number) <= 10, 'nps', e);
      if (e.event === 'Product Reviewed')
        check([1, 2, 3, 4, 5].includes(props.rating as number), 'rating', e);
      if (e.event === 'Order Completed') {
        const lines = props.products as Array<{ price: number; quantity: number }>;
        const subtotal = lines.reduce((s, l) => s + cents(l.price) * l.quantity, 0);
        check(cents(props.revenue) === subtotal - cents(props.discount), 'revenue', e);
        check(
          cents(props.total) === cents(props.revenue) + cents(props.shipping) + cents(props.tax),
          'total',
          e,
        );
        check(cents(props.discount) > 0 === (props.coupon !== undefined), 'coupon', e);
      }
    }
    expect(problems).toEqual([]);
  });

  it('sorts events by timestamp inside the horizon and gives each a unique messageId', () => {
    const ids = new Set(store.events.map((e) => e.messageId));
    expect(ids.size).toBe(store.events.length);
    let unsorted = 0;
    for (let i = 1; i < store.events.length; i++) {
      if ((store.events[i - 1] as SynthEvent).timestamp > (store.events[i] as SynthEvent).timestamp)
        unsorted++;
    }
    expect(unsorted).toBe(0);
    expect((store.events[0] as SynthEvent).timestamp >= store.params.horizonStart).toBe(true);
    expect((store.events[store.events.length - 1] as SynthEvent).timestamp < store.params.horizonEnd).toBe(
      true,
    );
  });

  it('links every anonymous id to its customer with an identify before the customer buys', () => {
    const linked = new Map<string, string>();
    const firstOrder = new Map<string, string>();
    for (const e of store.events) {
      if (e.type === 'identify' && e.anonymousId) linked.set(e.anonymousId, e.userId);
      if (e.type === 'track' && e.event === 'Order Completed' && e.userId && !firstOrder.has(e.userId)) {
        expect(linked.get((truthById.get(e.userId) as CustomerTruth).anonymousId)).toBe(e.userId);
        firstOrder.set(e.userId, e.timestamp);
      }
    }
    const anonIds = new Set(tracks.filter((e) => e.anonymousId).map((e) => e.anonymousId));
    for (const a of anonIds) expect(linked.has(a as string), a).toBe(true);
    expect(
      store.groundTruth.some((t) => t.secondAnonymousId !== null && linked.has(t.secondAnonymousId)),
    ).toBe(true);
  });

  it('keeps the ground truth consistent with the events', () => {
    const orders = byUser(tracks, 'Order Completed');
    for (const t of store.groundTruth) {
      const mine = orders.get(t.userId) ?? [];
      expect(mine.length, t.userId).toBe(t.orders);
      expect(t.orders).toBeGreaterThanOrEqual(1);
      expect(t.churned).toBe(t.churnTime !== null);
      expect(t.driver === 'none').toBe(!t.churned);
      expect((mine[0] as SynthTrack).timestamp).toBe(t.acquiredAt);
      if (t.churnTime !== null) for (const o of mine) expect(o.timestamp < t.churnTime).toBe(true);
    }
    const drivers = new Set(store.groundTruth.map((t) => t.driver));
    expect([...drivers].sort()).toEqual(['disengagement', 'none', 'price', 'quality', 'service']);
  });

  it('lets the churn signals of each driver precede the churn, with noise among those who stay', () => {
    const churners = (d: string): CustomerTruth[] => store.groundTruth.filter((t) => t.driver === d);
    const stayers = store.groundTruth.filter((t) => !t.churned);
    const before = (e: SynthTrack, t: CustomerTruth): boolean =>
      t.churnTime === null || e.timestamp < t.churnTime;
    const share = (group: CustomerTruth[], has: (t: CustomerTruth) => boolean): number =>
      group.filter(has).length / Math.max(1, group.length);

    // price: the last orders carry a discount far more often than the orders of those who stay.
    const orders = byUser(tracks, 'Order Completed');
    const discountShare = (group: CustomerTruth[]): number => {
      const last = group.flatMap((t) => (orders.get(t.userId) ?? []).slice(-2));
      return last.filter((o) => Number(o.properties.discount) > 0).length / Math.max(1, last.length);
    };
    expect(discountShare(churners('price'))).toBeGreaterThan(0.75);
    expect(discountShare(stayers)).toBeLessThan(0.35);
    expect(discountShare(stayers)).toBeGreaterThan(0.02);

    // quality: refunds and 1–2 star reviews before the churn.
    const refunds = byUser(tracks, 'Order Refunded');
    const reviews = byUser(tracks, 'Product Reviewed');
    const hadQualityTrouble = (t: CustomerTruth): boolean =>
      (refunds.get(t.userId) ?? []).some((e) => before(e, t)) &&
      (reviews.get(t.userId) ?? []).some((e) => before(e, t) && (e.properties.rating as number) <= 2);
    expect(share(churners('quality'), hadQualityTrouble)).toBeGreaterThan(0.9);
    expect(share(stayers, hadQualityTrouble)).toBeLessThan(0.2);
    expect(share(stayers, hadQualityTrouble)).toBeGreaterThan(0);

    // service: a high or urgent ticket before the churn.
    const tickets = byUser(tracks, 'Ticket Opened');
    const hadBadTicket = (t: CustomerTruth): boolean =>
      (tickets.get(t.userId) ?? []).some(
        (e) => before(e, t) && ['high', 'urgent'].includes(e.properties.severity as string),
      );
    expect(share(churners('service'), hadBadTicket)).toBeGreaterThan(0.95);
    expect(share(stayers, hadBadTicket)).toBeLessThan(0.1);
    expect(share(stayers, hadBadTicket)).toBeGreaterThan(0);

    // disengagement: emails opened per week fall in the weeks before the churn.
    const opens = byUser(tracks, 'Email Opened');
    let early = 0;
    let earlyWeeks = 0;
    let late = 0;
    let lateWeeks = 0;
    for (const t of churners('disengagement')) {
      const churn = Date.parse(t.churnTime as string);
      const from = Date.parse(t.acquiredAt);
      const cut = churn - 8 * WEEK;
      if (cut - from < 8 * WEEK) continue;
      const times = (opens.get(t.userId) ?? []).map((e) => Date.parse(e.timestamp));
      early += times.filter((x) => x < cut).length;
      earlyWeeks += (cut - from) / WEEK;
      late += times.filter((x) => x >= cut && x < churn).length;
      lateWeeks += 8;
    }
    expect(lateWeeks).toBeGreaterThan(100);
    expect(late / lateWeeks).toBeLessThan(0.75 * (early / earlyWeeks));
  });

  it('writes review text that follows the rating', () => {
    const reviews = tracks.filter((e) => e.event === 'Product Reviewed');
    const bad = reviews
      .filter((e) => (e.properties.rating as number) <= 2)
      .map((e) => String(e.properties.review_body));
    const good = reviews
      .filter((e) => (e.properties.rating as number) === 5)
      .map((e) => String(e.properties.review_body));
    expect(bad.length).toBeGreaterThan(20);
    expect(good.length).toBeGreaterThan(20);
    const negative =
      /not|poor|never|late|cheap|broken|disappoint|small|big|expensive|overpriced|slow|lost|stale|frustrat|fell apart|stopped|misleading|forever|waited/i;
    expect(bad.filter((b) => negative.test(b)).length / bad.length).toBeGreaterThan(0.95);
    expect(new Set(bad).size).toBeGreaterThan(bad.length / 3);
  });
});

describe('retention actions', () => {
  const options = { customers: 1000, seed: 21 };
  const ACT_AT = 40;

  function runWith(act: (sim: ReturnType<typeof createSimulator>, targets: string[]) => void): {
    events: string;
    truth: Map<string, CustomerTruth>;
    targets: string[];
  } {
    const sim = createSimulator(options);
    const out: SynthEvent[] = [];
    for (let w = 0; w < ACT_AT; w++) out.push(...sim.step());
    const now = Date.parse(sim.now);
    // Ground truth (not what a fair policy sees): price-driven customers whose churn is near.
    const targets = sim
      .groundTruth()
      .filter(
        (t) =>
          t.driver === 'price' &&
          Date.parse(t.acquiredAt) < now &&
          t.churnTime !== null &&
          Date.parse(t.churnTime) > now &&
          Date.parse(t.churnTime) - now < 12 * WEEK,
      )
      .map((t) => t.userId);
    act(sim, targets);
    while (!sim.done) out.push(...sim.step());
    return {
      events: JSON.stringify(out),
      truth: new Map(sim.groundTruth().map((t) => [t.userId, t])),
      targets,
    };
  }

  const baseline = runWith(() => undefined);
  const churnedAmong = (r: ReturnType<typeof runWith>): number =>
    baseline.targets.filter((id) => {
      const t = r.truth.get(id) as CustomerTruth;
      return t.churned && Date.parse(t.churnTime as string) - Date.parse('2025-01-06') < (ACT_AT + 12) * WEEK;
    }).length;

  it('leaves the store unchanged when the action does not match the churn driver', () => {
    const mismatched = runWith((sim, targets) => {
      for (const id of targets) {
        expect(sim.applyAction(id, { type: 'service_outreach' }).reason).toBe('not_matching');
        sim.applyAction(id, { type: 'content' });
        sim.applyAction(id, { type: 'none' });
      }
    });
    expect(baseline.targets.length).toBeGreaterThan(10);
    expect(mismatched.events).toBe(baseline.events);
    expect(churnedAmong(mismatched)).toBe(baseline.targets.length);
  });

  it('saves price-driven customers with a discount, at about the documented rate', () => {
    let saved = 0;
    const discounted = runWith((sim, targets) => {
      for (const id of targets) if (sim.applyAction(id, { type: 'discount', percent: 20 }).saved) saved++;
    });
    // s = min(0.9, 0.03 × 20) = 0.6; with n targets the count is Binomial(n, 0.6).
    const n = baseline.targets.length;
    expect(Math.abs(saved - 0.6 * n)).toBeLessThan(3 * Math.sqrt(n * 0.24) + 1);
    // A saved customer can come back to the same decision later, but most of them stay past the window.
    expect(churnedAmong(discounted)).toBeLessThan(n - saved / 2);
    expect(churnedAmong(discounted)).toBeGreaterThanOrEqual(n - saved);
    expect(discounted.events).not.toBe(baseline.events);
    const treated = discounted.truth.get(baseline.targets[0] as string) as CustomerTruth;
    expect(treated.treatments[0]?.matched).toBe(true);
  });

  it('ignores actions for customers who are not at risk or unknown', () => {
    const sim = createSimulator({ customers: 50, seed: 3, weeks: 20 });
    expect(sim.applyAction('u_999', { type: 'content' }).reason).toBe('unknown_customer');
    expect(sim.applyAction('u_50', { type: 'content' }).reason).toBe('not_acquired');
  });
});

export type { GeneratedStore };

describe('extreme latent parameters', () => {
  it('survives buyers so slow that their next gap lies beyond any representable date', () => {
    // r/α tiny: some λ draws are ~1e-12 per week, so the exponential gap overflows Date.
    const store = generateStore({ customers: 400, seed: 7, weeks: 30, params: { r: 0.05, alpha: 400 } });
    expect(store.groundTruth).toHaveLength(400);
    for (const e of store.events) expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false);
  });
});
