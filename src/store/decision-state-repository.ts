/**
 * The decisioning state of customers (domain/decisioning/state.ts) from the store: time zone,
 * orders, recent deliveries (with their categories) and reviews, tickets, consent, the latest CLV
 * and churn scores, the churn probability the engine saw at its previous run, and points about to
 * expire (the ledger's expiry notices); segments, tier, challenge, replenishment and advocacy from
 * their producers (decision-signal-repository.ts). Recommendations are not the store's to compute:
 * they are null here, and app/decision-states.ts adds the recommender's. For one customer (the API)
 * or all (the nightly run).
 */
import { sql } from 'kysely';
import type {
  ChurnDriver,
  ConsentState,
  CustomerState,
  DeliverySummary,
  ExpiringSignal,
  OrderSummary,
  TicketSummary,
} from '../domain/decisioning/state.js';
import type { Store } from './database.js';
import { loadProducedSignals } from './decision-signal-repository.js';

const DAY = 86_400_000;
const DRIVERS = new Set(['price', 'service', 'quality', 'disengagement']);
const SEVERITIES = new Set(['low', 'medium', 'high', 'urgent']);

interface Building {
  customerId: string;
  timezone: string | null;
  enrolledAt: number | null;
  orders: OrderSummary[];
  deliveries: DeliverySummary[];
  reviewedAt: number[];
  opened: Map<string, { at: number; severity: TicketSummary['severity'] }>;
  resolved: Map<string, { at: number; satisfied: boolean | null }>;
  consents: ConsentState[];
  churn: CustomerState['churn'];
  clv: CustomerState['clv'];
}

function props(payload: string): Record<string, unknown> {
  const p = (JSON.parse(payload) as { properties?: unknown }).properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

export interface LoadStatesOptions {
  /** Only these customers (Patron ids); all current customers when absent. */
  readonly customerIds?: readonly string[];
  /** Everything up to this instant (ISO); deliveries and reviews from `recentDays` before it. */
  readonly asOf: string;
  readonly recentDays?: number;
}

/**
 * Loads the decisioning state of current (not merged-away) customers as stored, `recommendations`
 * null (app/decision-states.ts `loadDecisionStates` adds them).
 */
export async function loadStoredDecisionStates(
  store: Store,
  options: LoadStatesOptions,
): Promise<CustomerState[]> {
  const db = store.db;
  const ids = options.customerIds;
  if (ids !== undefined && ids.length === 0) return [];
  const asOf = options.asOf;
  const since = new Date(Date.parse(asOf) - (options.recentDays ?? 60) * DAY).toISOString();
  const only = (column: string) =>
    ids === undefined ? sql`1 = 1` : sql`${sql.ref(column)} in (${sql.join(ids)})`;

  const customers = await sql<{ id: string; timezone: string | null; created_at: string }>`
    select id, timezone, created_at from customers
    where merged_into is null and created_at <= ${asOf} and ${only('id')}
    order by id`.execute(db);
  const byId = new Map<string, Building>();
  for (const c of customers.rows) {
    byId.set(c.id, {
      customerId: c.id,
      timezone: c.timezone,
      enrolledAt: Date.parse(c.created_at),
      orders: [],
      deliveries: [],
      reviewedAt: [],
      opened: new Map(),
      resolved: new Map(),
      consents: [],
      churn: null,
      clv: null,
    });
  }

  const orders = await sql<{
    order_id: string;
    customer_id: string;
    placed_at: string;
    total: number | string;
  }>`
    select o.order_id, o.customer_id, o.placed_at, o.base_total_minor as total from orders o
    where o.placed_at <= ${asOf} and ${only('o.customer_id')}
      and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at, o.order_id`.execute(db);
  for (const o of orders.rows) {
    byId.get(o.customer_id)?.orders.push({
      orderId: o.order_id,
      at: Date.parse(o.placed_at),
      totalMinor: Number(o.total),
      categories: [],
    });
  }

  const events = await sql<{ customer_id: string; name: string; timestamp: string; payload: string }>`
    select customer_id, name, timestamp, payload from events
    where type = 'track' and timestamp <= ${asOf} and ${only('customer_id')}
      and (name in ('Ticket Opened', 'Ticket Resolved')
           or (name in ('Order Delivered', 'Product Reviewed') and timestamp >= ${since}))
    order by customer_id, timestamp`.execute(db);
  const deliveredOrders = new Set<string>();
  for (const e of events.rows) {
    const b = byId.get(e.customer_id);
    if (!b) continue;
    const at = Date.parse(e.timestamp);
    const p = props(e.payload);
    switch (e.name) {
      case 'Order Delivered': {
        const orderId = typeof p.order_id === 'string' ? p.order_id : String(p.order_id);
        deliveredOrders.add(orderId);
        b.deliveries.push({
          orderId,
          at,
          onTime: typeof p.delivered_on_time === 'boolean' ? p.delivered_on_time : null,
          categories: [],
        });
        break;
      }
      case 'Product Reviewed':
        b.reviewedAt.push(at);
        break;
      case 'Ticket Opened': {
        const id = typeof p.ticket_id === 'string' ? p.ticket_id : `${at}`;
        const sev = typeof p.severity === 'string' && SEVERITIES.has(p.severity) ? p.severity : 'medium';
        if (!b.opened.has(id)) b.opened.set(id, { at, severity: sev as TicketSummary['severity'] });
        break;
      }
      case 'Ticket Resolved': {
        const id = typeof p.ticket_id === 'string' ? p.ticket_id : null;
        if (id !== null && !b.resolved.has(id)) {
          b.resolved.set(id, { at, satisfied: typeof p.satisfied === 'boolean' ? p.satisfied : null });
        }
        break;
      }
    }
  }
  if (deliveredOrders.size > 0) {
    const lines = await sql<{ order_id: string; category: string }>`
      select distinct l.order_id, l.category from order_lines l join orders o on o.order_id = l.order_id
      where l.category is not null and o.placed_at >= ${new Date(Date.parse(since) - 30 * DAY).toISOString()}
        and ${only('o.customer_id')}`.execute(db);
    const cats = new Map<string, string[]>();
    for (const l of lines.rows) {
      if (!deliveredOrders.has(l.order_id)) continue;
      const list = cats.get(l.order_id) ?? [];
      list.push(l.category);
      cats.set(l.order_id, list);
    }
    for (const b of byId.values()) {
      b.deliveries = b.deliveries.map((d) => ({ ...d, categories: (cats.get(d.orderId) ?? []).sort() }));
    }
  }

  const consents = await sql<{ customer_id: string; channel: string; purpose: string; granted: number }>`
    select customer_id, channel, purpose, granted from consents where ${only('customer_id')}`.execute(db);
  for (const c of consents.rows) {
    byId
      .get(c.customer_id)
      ?.consents.push({ channel: c.channel, purpose: c.purpose, granted: Number(c.granted) === 1 });
  }

  const clv = await sql<{ customer_id: string; clv_minor: number; probability_alive: number; eov: number }>`
    select customer_id, clv_minor, probability_alive, expected_order_value_minor as eov from clv_scores
    where ${only('customer_id')}`.execute(db);
  for (const c of clv.rows) {
    const b = byId.get(c.customer_id);
    if (b) {
      b.clv = {
        clvMinor: Number(c.clv_minor),
        probabilityAlive: Number(c.probability_alive),
        expectedOrderValueMinor: Number(c.eov),
      };
    }
  }

  const churn = await sql<{
    customer_id: string;
    probability: number;
    driver: string | null;
    reasons: string;
    scored_at: string;
    last_seen_at: string | null;
    previous: number | null;
  }>`
    select s.customer_id, s.probability, s.driver, s.reasons, s.scored_at, s.last_seen_at,
           g.churn_probability as previous
    from churn_scores s left join decision_signals g on g.customer_id = s.customer_id
    where ${only('s.customer_id')}`.execute(db);
  for (const c of churn.rows) {
    const b = byId.get(c.customer_id);
    if (!b) continue;
    const reasons = (JSON.parse(c.reasons) as Array<{ text?: unknown }>)
      .map((r) => (typeof r.text === 'string' ? r.text : null))
      .filter((t): t is string => t !== null);
    b.churn = {
      probability: Number(c.probability),
      previousProbability: c.previous === null ? null : Number(c.previous),
      driver: c.driver !== null && DRIVERS.has(c.driver) ? (c.driver as ChurnDriver) : null,
      reasons,
      scoredAt: Date.parse(c.scored_at),
      lastSeenAt: c.last_seen_at === null ? null : Date.parse(c.last_seen_at),
    };
  }

  // Points about to expire: the ledger's expiry notices (runLedgerJobs records one per lot within
  // the programme's `expiryNoticeDays`) whose lot still holds available points. The signal is the
  // earliest expiry: the points of every noticed lot expiring at that instant, keyed by the first
  // such lot (one reminder per expiry, never one per lot).
  const notices = await sql<{ customer_id: string; lot_id: string; expires_at: string; available: number }>`
    select n.customer_id, n.lot_id, n.expires_at, l.available from loyalty_notices n
    join loyalty_lots l on l.id = n.lot_id
    where n.created_at <= ${asOf} and n.expires_at > ${asOf} and l.available > 0
      and ${only('n.customer_id')}
    order by n.customer_id, n.expires_at, n.lot_id`.execute(db);
  const expiring = new Map<string, ExpiringSignal>();
  for (const n of notices.rows) {
    const at = Date.parse(n.expires_at);
    const cur = expiring.get(n.customer_id);
    if (!cur) expiring.set(n.customer_id, { id: n.lot_id, expiresAt: at, amount: Number(n.available) });
    else if (cur.expiresAt === at)
      expiring.set(n.customer_id, { ...cur, amount: cur.amount + Number(n.available) });
  }

  const produced = await loadProducedSignals(store, ids, asOf);
  return [...byId.values()].map((b) => ({
    customerId: b.customerId,
    timezone: b.timezone,
    enrolledAt: b.enrolledAt,
    orders: b.orders,
    deliveries: b.deliveries,
    reviewedAt: b.reviewedAt,
    tickets: [...b.opened].map(([ticketId, o]) => {
      const r = b.resolved.get(ticketId);
      return {
        ticketId,
        openedAt: o.at,
        severity: o.severity,
        resolvedAt: r?.at ?? null,
        satisfied: r?.satisfied ?? null,
      };
    }),
    consents: b.consents,
    churn: b.churn,
    clv: b.clv,
    segment: produced.get(b.customerId)?.segment ?? null,
    tier: produced.get(b.customerId)?.tier ?? null,
    pointsExpiring: expiring.get(b.customerId) ?? null,
    challengeExpiring: produced.get(b.customerId)?.challengeExpiring ?? null,
    replenishment: produced.get(b.customerId)?.replenishment ?? null,
    recommendations: null,
    advocacy: produced.get(b.customerId)?.advocacy ?? null,
  }));
}
