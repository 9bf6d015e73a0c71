/**
 * Every customer's history for the churn features, as plain values (see
 * domain/features/churn/history.ts): orders (cancelled ones left out), refunds, and the events
 * that carry engagement, support, review, survey and trigger signals. Payloads are parsed only
 * for the events whose properties are read (tickets, reviews, surveys, pauses, checkouts).
 */
import { sql } from 'kysely';
import type { ActivityKind, CustomerHistory, TicketRecord } from '../domain/features/churn/history.js';
import type { Store } from './database.js';

/** Track events counted as a visit to the store (with page/screen calls). */
const VISIT_EVENTS = [
  'Product Viewed',
  'Product Added',
  'Cart Viewed',
  'Product List Viewed',
  'Products Searched',
];
const PAYLOAD_EVENTS = [
  'Checkout Started',
  'Ticket Opened',
  'Ticket Resolved',
  'Product Reviewed',
  'Survey Answered',
  'Subscription Paused',
];
const OTHER_EVENTS = ['Email Opened', 'Email Link Clicked', 'Unsubscribed', 'Payment Failed'];

interface Mutable {
  customerId: string;
  orders: Array<CustomerHistory['orders'][number]>;
  refunds: Array<CustomerHistory['refunds'][number]>;
  activity: Array<{ at: number; kind: ActivityKind }>;
  checkouts: Array<{ at: number; orderId: string | null }>;
  opened: Map<string, { at: number; severity: TicketRecord['severity'] }>;
  resolved: Map<string, { at: number; satisfied: boolean | null }>;
  reviews: Array<{ at: number; rating: number }>;
  surveys: Array<{ at: number; nps: number }>;
  paymentFailures: number[];
  subscriptionPauses: Array<{ at: number; reason: string | null }>;
  unsubscribes: number[];
}

const SEVERITIES = new Set(['low', 'medium', 'high', 'urgent']);

function props(payload: string | null): Record<string, unknown> {
  if (payload === null) return {};
  const p = (JSON.parse(payload) as { properties?: unknown }).properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Loads the histories of all current (not merged-away) customers with at least one order,
 * everything strictly before `before` (ISO UTC; default: everything), sorted by first order.
 */
export async function loadChurnHistories(
  store: Store,
  options: { before?: string } = {},
): Promise<CustomerHistory[]> {
  const before = options.before ?? '9999-12-31T23:59:59.999Z';
  const db = store.db;
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
    where o.placed_at < ${before}
      and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at, o.order_id`.execute(db);
  const byCustomer = new Map<string, Mutable>();
  const get = (id: string): Mutable | undefined => byCustomer.get(id);
  for (const o of orders.rows) {
    let m = byCustomer.get(o.customer_id);
    if (!m) {
      m = {
        customerId: o.customer_id,
        orders: [],
        refunds: [],
        activity: [],
        checkouts: [],
        opened: new Map(),
        resolved: new Map(),
        reviews: [],
        surveys: [],
        paymentFailures: [],
        subscriptionPauses: [],
        unsubscribes: [],
      };
      byCustomer.set(o.customer_id, m);
    }
    m.orders.push({
      orderId: o.order_id,
      at: Date.parse(o.placed_at),
      totalMinor: Number(o.total),
      discountMinor: Number(o.discount),
      coupon: o.coupon !== null && o.coupon !== '',
    });
  }
  const merged = await db.selectFrom('customers').select('id').where('merged_into', 'is not', null).execute();
  for (const r of merged) byCustomer.delete(r.id);

  const refunds = await db
    .selectFrom('order_updates')
    .select(['customer_id', 'order_id', 'at'])
    .where('kind', '=', 'refunded')
    .where('at', '<', before)
    .execute();
  for (const r of refunds) get(r.customer_id)?.refunds.push({ at: Date.parse(r.at), orderId: r.order_id });

  const names = [...VISIT_EVENTS, ...PAYLOAD_EVENTS, ...OTHER_EVENTS];
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
    where timestamp < ${before}
      and (type in ('page', 'screen') or (type = 'track' and name in (${sql.join(names)})))
    order by customer_id, timestamp`.execute(db);
  const visitNames = new Set(VISIT_EVENTS);
  for (const e of events.rows) {
    const m = get(e.customer_id);
    if (!m) continue;
    const at = Date.parse(e.timestamp);
    if (e.type !== 'track') {
      m.activity.push({ at, kind: 'visit' });
      continue;
    }
    const name = e.name ?? '';
    if (visitNames.has(name)) {
      m.activity.push({ at, kind: 'visit' });
      if (name === 'Product Viewed') m.activity.push({ at, kind: 'productView' });
      continue;
    }
    switch (name) {
      case 'Email Opened':
        m.activity.push({ at, kind: 'emailOpen' });
        break;
      case 'Email Link Clicked':
        m.activity.push({ at, kind: 'emailClick' });
        break;
      case 'Unsubscribed':
        m.unsubscribes.push(at);
        break;
      case 'Payment Failed':
        m.paymentFailures.push(at);
        break;
      case 'Checkout Started':
        m.activity.push({ at, kind: 'visit' });
        m.checkouts.push({ at, orderId: str(props(e.payload).order_id) });
        break;
      case 'Ticket Opened': {
        const p = props(e.payload);
        const id = str(p.ticket_id) ?? `${at}`;
        const sev = str(p.severity);
        if (!m.opened.has(id))
          m.opened.set(id, {
            at,
            severity: (sev && SEVERITIES.has(sev) ? sev : 'medium') as TicketRecord['severity'],
          });
        break;
      }
      case 'Ticket Resolved': {
        const p = props(e.payload);
        const id = str(p.ticket_id);
        if (id !== null && !m.resolved.has(id))
          m.resolved.set(id, { at, satisfied: typeof p.satisfied === 'boolean' ? p.satisfied : null });
        break;
      }
      case 'Product Reviewed': {
        const rating = Number(props(e.payload).rating);
        if (Number.isFinite(rating)) m.reviews.push({ at, rating });
        break;
      }
      case 'Survey Answered': {
        const nps = Number(props(e.payload).nps);
        if (Number.isFinite(nps)) m.surveys.push({ at, nps });
        break;
      }
      case 'Subscription Paused':
        m.subscriptionPauses.push({ at, reason: str(props(e.payload).reason) });
        break;
    }
  }

  // A stable order that does not depend on Patron's random customer ids: by each customer's first
  // order (the store's own order id breaks ties), so the seeded train/validation split — and so the
  // model — is the same on every run and every backend for the same data.
  const firstOrder = (id: string): string => {
    const o = byCustomer.get(id)?.orders[0];
    return o ? `${String(o.at).padStart(16, '0')}|${o.orderId}` : id;
  };
  const ids = [...byCustomer.keys()].sort((a, b) =>
    firstOrder(a) < firstOrder(b) ? -1 : firstOrder(a) > firstOrder(b) ? 1 : 0,
  );
  return ids.map((id) => {
    const m = byCustomer.get(id)!;
    const tickets: TicketRecord[] = [...m.opened].map(([ticketId, o]) => {
      const r = m.resolved.get(ticketId);
      return {
        ticketId,
        openedAt: o.at,
        severity: o.severity,
        resolvedAt: r ? r.at : null,
        satisfied: r ? r.satisfied : null,
      };
    });
    const byTime = <T extends { at: number }>(xs: T[]): T[] => xs.sort((a, b) => a.at - b.at);
    return {
      customerId: id,
      orders: m.orders,
      refunds: byTime(m.refunds),
      activity: m.activity,
      checkouts: m.checkouts,
      tickets: tickets.sort((a, b) => a.openedAt - b.openedAt),
      reviews: m.reviews,
      surveys: m.surveys,
      paymentFailures: m.paymentFailures,
      subscriptionPauses: m.subscriptionPauses,
      unsubscribes: m.unsubscribes,
    };
  });
}

/** The churn use cases' port onto the history (implemented over a store). */
export function churnHistoryStore(store: Store): {
  load(options?: { before?: string }): Promise<CustomerHistory[]>;
} {
  return { load: (options) => loadChurnHistories(store, options) };
}
