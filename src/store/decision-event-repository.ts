/**
 * The recent events decisions act on, read from the tables ingestion fills: orders placed and
 * orders delivered (with `delivered_on_time` from the event's properties) in a time range, oldest
 * first. Indexes: `orders_time` and `order_updates_kind_time`.
 */
import type { RecentEvent } from '../app/decide-events.js';
import type { Store } from './database.js';

export function recentDecisionEvents(store: Store): (since: string, until: string) => Promise<RecentEvent[]> {
  const db = store.db;
  return async (since, until) => {
    const [orders, deliveries] = await Promise.all([
      db
        .selectFrom('orders')
        .select(['customer_id', 'order_id', 'placed_at'])
        .where('placed_at', '>=', since)
        .where('placed_at', '<=', until)
        .execute(),
      db
        .selectFrom('order_updates as u')
        .innerJoin('events as e', 'e.message_id', 'u.message_id')
        .select(['u.customer_id', 'u.order_id', 'u.at', 'e.payload'])
        .where('u.kind', '=', 'delivered')
        .where('u.at', '>=', since)
        .where('u.at', '<=', until)
        .where('u.order_id', 'is not', null)
        .execute(),
    ]);
    const out: RecentEvent[] = [
      ...orders.map((o) => ({
        customerId: o.customer_id,
        input: { type: 'OrderPlaced' as const, at: Date.parse(o.placed_at), orderId: o.order_id },
      })),
      ...deliveries.map((d) => ({
        customerId: d.customer_id,
        input: {
          type: 'OrderDelivered' as const,
          at: Date.parse(d.at),
          orderId: d.order_id as string,
          onTime: onTimeOf(d.payload),
        },
      })),
    ];
    return out.sort((a, b) => a.input.at - b.input.at || a.customerId.localeCompare(b.customerId));
  };
}

/** `properties.delivered_on_time` of a stored `Order Delivered` event: true, false or unknown. */
function onTimeOf(payload: string): boolean | null {
  const p = (JSON.parse(payload) as { properties?: { delivered_on_time?: unknown } }).properties;
  return typeof p?.delivered_on_time === 'boolean' ? p.delivered_on_time : null;
}
