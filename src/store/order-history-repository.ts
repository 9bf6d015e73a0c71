/**
 * All customers' purchases as typed columns, for the CLV models: one row per order (customer
 * index, UTC day number, amount in the base currency's minor units), sorted by customer then day.
 *
 * Conventions:
 * - Cancelled orders (an `order_updates` row of kind `cancelled`) are left out: they never happened.
 * - Refunds do not reduce the amount by default (`amounts: 'gross'`): the BTYD models and the
 *   `lifetimes` library count gross transactions, and the CDNOW textbook figures are on gross
 *   amounts. `amounts: 'net'` subtracts the order's refunds (floored at 0) for spend questions;
 *   a fully refunded order still counts as a purchase occasion.
 * - Orders of merged-away customers already point at the survivor (identity merges re-own
 *   orders), so no merge chasing is needed here.
 * - The day is the UTC calendar day of `placed_at` (ISO UTC text on both backends).
 */
import { sql } from 'kysely';
import type { PurchaseHistory } from '../domain/features/purchase-features.js';
import type { Store } from './database.js';

const DAY_MS = 86_400_000;

export type { PurchaseHistory as OrderHistory } from '../domain/features/purchase-features.js';

/** What the CLV use cases ask of the order history (implemented by {@link orderHistoryStore}). */
export interface OrderHistoryQuery {
  /** Last day included, `YYYY-MM-DD` (inclusive, UTC). Default: every order. */
  readonly throughDay?: string;
  /** `gross` (default): order totals as placed; `net`: minus refunds of the order, floored at 0. */
  readonly amounts?: 'gross' | 'net';
}

/** The UTC day number of an ISO date or timestamp (`YYYY-MM-DD…`). */
export function dayNumber(iso: string): number {
  return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS;
}

/** `YYYY-MM-DD` of a UTC day number. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

interface Row {
  customer_id: string;
  placed_at: string;
  amount: number | string;
}

/** Loads every purchase (cancelled orders excluded) up to and including `throughDay`. */
export async function loadOrderHistory(
  store: Store,
  query: OrderHistoryQuery = {},
): Promise<PurchaseHistory> {
  const until = query.throughDay === undefined ? null : `${dayString(dayNumber(query.throughDay) + 1)}T`;
  const amount =
    query.amounts === 'net'
      ? sql`case when o.base_total_minor - coalesce(r.refunded, 0) > 0 then o.base_total_minor - coalesce(r.refunded, 0) else 0 end`
      : sql`o.base_total_minor`;
  const refunds =
    query.amounts === 'net'
      ? sql`left join (select order_id, sum(base_amount_minor) as refunded from order_updates
           where kind = 'refunded' and order_id is not null group by order_id) r on r.order_id = o.order_id`
      : sql``;
  const result = await sql<Row>`
    select o.customer_id as customer_id, o.placed_at as placed_at, ${amount} as amount
    from orders o ${refunds}
    where ${until === null ? sql`1 = 1` : sql`o.placed_at < ${until}`}
      and not exists (select 1 from order_updates u
                      where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at`.execute(store.db);
  const rows = result.rows;
  const n = rows.length;
  const customerIds: string[] = [];
  const customer = new Int32Array(n);
  const day = new Int32Array(n);
  const amounts = new Float64Array(n);
  const dayOf = new Map<string, number>();
  let last: string | undefined;
  for (let i = 0; i < n; i++) {
    const row = rows[i] as Row;
    if (row.customer_id !== last) {
      customerIds.push(row.customer_id);
      last = row.customer_id;
    }
    customer[i] = customerIds.length - 1;
    const key = row.placed_at.slice(0, 10);
    let d = dayOf.get(key);
    if (d === undefined) {
      d = dayNumber(key);
      dayOf.set(key, d);
    }
    day[i] = d;
    amounts[i] = Number(row.amount);
  }
  return { customerIds, customer, day, amount: amounts };
}

/** The UTC day (`YYYY-MM-DD`) of the latest non-cancelled order, or null for a store without orders. */
export async function latestOrderDay(store: Store): Promise<string | null> {
  const row = await sql<{ last: string | null }>`
    select max(o.placed_at) as last from orders o
    where not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')`.execute(
    store.db,
  );
  const last = row.rows[0]?.last ?? null;
  return last === null ? null : last.slice(0, 10);
}

/** The order-history port of the CLV use cases, over a store. */
export function orderHistoryStore(store: Store): {
  load(query?: OrderHistoryQuery): Promise<PurchaseHistory>;
  latestOrderDay(): Promise<string | null>;
} {
  return { load: (query) => loadOrderHistory(store, query), latestOrderDay: () => latestOrderDay(store) };
}
