/** Store-wide figures for the demo and `patron report`. */
import { sql } from 'kysely';
import type { Store } from './database.js';

export interface StoreStats {
  customers: number;
  customersWithOrders: number;
  repeatCustomers: number;
  events: number;
  orders: number;
  revenueMinor: number;
  refundedMinor: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  merges: number;
  topCategories: Array<{ category: string; units: number }>;
  eventsByName: Array<{ name: string; count: number }>;
}

export async function storeStats(store: Store): Promise<StoreStats> {
  const db = store.db;
  const one = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(db)).rows[0] as T;
  const customers = await one<{ n: number }>(
    sql`select count(*) as n from customers where merged_into is null`,
  );
  const buyers = await one<{ buyers: number; repeat: number }>(sql`
    select count(*) as buyers, coalesce(sum(case when n > 1 then 1 else 0 end), 0) as repeat
    from (select customer_id, count(*) as n from orders group by customer_id) t`);
  const events = await one<{ n: number }>(sql`select count(*) as n from events`);
  const orders = await one<{ n: number; revenue: number; first: string | null; last: string | null }>(sql`
    select count(*) as n, coalesce(sum(base_total_minor), 0) as revenue, min(placed_at) as first, max(placed_at) as last
    from orders`);
  const refunds = await one<{ refunded: number }>(
    sql`select coalesce(sum(base_amount_minor), 0) as refunded from order_updates where kind = 'refunded'`,
  );
  const merges = await one<{ n: number }>(sql`select count(*) as n from customer_merges`);
  const categories = await sql<{ category: string; units: number }>`
    select category, sum(quantity) as units from order_lines where category is not null
    group by category order by units desc limit 5`.execute(db);
  const names = await sql<{ name: string; count: number }>`
    select coalesce(name, type) as name, count(*) as count from events group by coalesce(name, type)
    order by count desc limit 12`.execute(db);
  return {
    customers: Number(customers.n),
    customersWithOrders: Number(buyers.buyers),
    repeatCustomers: Number(buyers.repeat),
    events: Number(events.n),
    orders: Number(orders.n),
    revenueMinor: Number(orders.revenue),
    refundedMinor: Number(refunds.refunded),
    firstOrderAt: orders.first,
    lastOrderAt: orders.last,
    merges: Number(merges.n),
    topCategories: categories.rows.map((r) => ({ category: r.category, units: Number(r.units) })),
    eventsByName: names.rows.map((r) => ({ name: r.name, count: Number(r.count) })),
  };
}
