/**
 * Every current customer's signals for segments, advocacy and timing (app/customer-signals.ts), in
 * a handful of whole-table reads: orders (cancelled ones left out) with their lines, refunds and
 * deliveries, and the events that carry engagement, browsing, reviews, tickets, NPS, referrals and
 * community posts. Payloads are parsed only for the events whose properties are read.
 */
import { sql } from 'kysely';
import type { CustomerSignalSource, CustomerSignals, OrderSignal } from '../app/customer-signals.js';
import { ENGAGEMENT_EVENTS, type Channel, type ResponseKind } from '../domain/models/timing/send-time.js';
import type { Store } from './database.js';

const VISIT_EVENTS = [
  'Product Viewed',
  'Product Added',
  'Cart Viewed',
  'Product List Viewed',
  'Products Searched',
];
const PAYLOAD_EVENTS = ['Product Reviewed', 'Survey Answered', 'Community Posted'];
const COUNT_EVENTS = ['Ticket Opened', 'Referral Completed', 'Referral Sent', 'Referral Shared'];

interface Mutable {
  customerId: string;
  timezone: string | null;
  orders: Array<OrderSignal & { lines: OrderSignal['lines'][number][] }>;
  refundedMinor: number;
  responses: Array<{ at: number; channel: Channel; kind: ResponseKind }>;
  visits: number;
  reviews: Array<{ at: number; rating: number; productId: string | null }>;
  tickets: number;
  nps: { at: number; nps: number } | null;
  referralsConverted: number;
  referralsPending: number;
  communityPosts: number;
  helpfulVotes: number;
  deliveries: Array<{ orderId: string; at: number }>;
}

function props(payload: string | null): Record<string, unknown> {
  if (payload === null) return {};
  const p = (JSON.parse(payload) as { properties?: unknown }).properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

const idOf = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;

/** Loads the signals of all current (not merged-away) customers, ordered by customer id. */
export async function loadCustomerSignals(store: Store): Promise<CustomerSignals[]> {
  const db = store.db;
  const byId = new Map<string, Mutable>();
  const customers = await db
    .selectFrom('customers')
    .select(['id', 'timezone'])
    .where('merged_into', 'is', null)
    .orderBy('id')
    .execute();
  for (const c of customers)
    byId.set(c.id, {
      customerId: c.id,
      timezone: c.timezone,
      orders: [],
      refundedMinor: 0,
      responses: [],
      visits: 0,
      reviews: [],
      tickets: 0,
      nps: null,
      referralsConverted: 0,
      referralsPending: 0,
      communityPosts: 0,
      helpfulVotes: 0,
      deliveries: [],
    });

  const orders = await sql<{
    order_id: string;
    customer_id: string;
    placed_at: string;
    total: number | string;
    discount: number | string;
    coupon: string | null;
  }>`
    select o.order_id, o.customer_id, o.placed_at, o.base_total_minor as total,
           o.base_discount_minor as discount, o.coupon
    from orders o
    where not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at, o.order_id`.execute(db);
  const orderById = new Map<string, Mutable['orders'][number]>();
  for (const o of orders.rows) {
    const m = byId.get(o.customer_id);
    if (!m) continue;
    const order = {
      orderId: o.order_id,
      at: Date.parse(o.placed_at),
      totalMinor: Number(o.total),
      discounted: Number(o.discount) > 0 || (o.coupon !== null && o.coupon !== ''),
      lines: [],
    };
    m.orders.push(order);
    orderById.set(o.order_id, order);
  }
  const lines = await db
    .selectFrom('order_lines')
    .select(['order_id', 'product_id', 'category', 'base_price_minor', 'quantity'])
    .orderBy('order_id')
    .orderBy('line_no')
    .execute();
  for (const l of lines) {
    orderById.get(l.order_id)?.lines.push({
      productId: l.product_id,
      category: l.category,
      valueMinor: Number(l.base_price_minor ?? 0) * Number(l.quantity),
    });
  }

  const updates = await db
    .selectFrom('order_updates')
    .select(['customer_id', 'order_id', 'kind', 'at', 'base_amount_minor'])
    .where('kind', 'in', ['refunded', 'delivered'])
    .orderBy('at')
    .execute();
  for (const u of updates) {
    const m = byId.get(u.customer_id);
    if (!m) continue;
    if (u.kind === 'refunded') m.refundedMinor += Number(u.base_amount_minor ?? 0);
    else if (u.order_id !== null) m.deliveries.push({ orderId: u.order_id, at: Date.parse(u.at) });
  }

  const names = [...Object.keys(ENGAGEMENT_EVENTS), ...VISIT_EVENTS, ...PAYLOAD_EVENTS, ...COUNT_EVENTS];
  const events = await sql<{
    customer_id: string;
    type: string;
    name: string | null;
    timestamp: string;
    payload: string | null;
  }>`
    select customer_id, type, name, timestamp,
           case when name in (${sql.join(PAYLOAD_EVENTS)}) then payload else null end as payload
    from events
    where type in ('page', 'screen') or (type = 'track' and name in (${sql.join(names)}))
    order by customer_id, timestamp`.execute(db);
  const visitNames = new Set(VISIT_EVENTS);
  for (const e of events.rows) {
    const m = byId.get(e.customer_id);
    if (!m) continue;
    if (e.type !== 'track') {
      m.visits++;
      continue;
    }
    const name = e.name ?? '';
    const engagement = ENGAGEMENT_EVENTS[name];
    if (engagement) {
      m.responses.push({ at: Date.parse(e.timestamp), channel: engagement.channel, kind: engagement.kind });
      continue;
    }
    if (visitNames.has(name)) {
      m.visits++;
      continue;
    }
    switch (name) {
      case 'Product Reviewed': {
        const p = props(e.payload);
        const rating = Number(p.rating);
        if (Number.isFinite(rating))
          m.reviews.push({ at: Date.parse(e.timestamp), rating, productId: idOf(p.product_id) });
        break;
      }
      case 'Survey Answered': {
        const nps = props(e.payload).nps;
        const at = Date.parse(e.timestamp);
        if (typeof nps === 'number' && (m.nps === null || at >= m.nps.at)) m.nps = { at, nps };
        break;
      }
      case 'Community Posted': {
        m.communityPosts++;
        const votes = Number(props(e.payload).helpful_votes);
        if (Number.isFinite(votes) && votes > 0) m.helpfulVotes += votes;
        break;
      }
      case 'Ticket Opened':
        m.tickets++;
        break;
      case 'Referral Completed':
        m.referralsConverted++;
        break;
      case 'Referral Sent':
      case 'Referral Shared':
        m.referralsPending++;
        break;
    }
  }
  return [...byId.values()].map((m) => ({
    customerId: m.customerId,
    timezone: m.timezone,
    orders: m.orders,
    refundedMinor: m.refundedMinor,
    responses: m.responses,
    visits: m.visits,
    reviews: m.reviews,
    tickets: m.tickets,
    latestNps: m.nps?.nps ?? null,
    referralsConverted: m.referralsConverted,
    // A shared referral that later converted is counted once, as converted.
    referralsPending: Math.max(0, m.referralsPending - m.referralsConverted),
    communityPosts: m.communityPosts,
    helpfulVotes: m.helpfulVotes,
    deliveries: m.deliveries,
  }));
}

export function customerSignalSource(store: Store): CustomerSignalSource {
  return { load: () => loadCustomerSignals(store) };
}
