/**
 * The store's implicit feedback for the recommender, as typed columns (domain/models/recommend/
 * history.ts): every order line with a product id (cancelled orders left out, quantities of one
 * product in one order summed) and every `Product Viewed` event with a product id. Product ids in
 * view payloads are read by the database (json_extract on SQLite, ->> on PostgreSQL) so that no
 * payload is parsed in JavaScript. Products take their name, category and base-currency price from
 * the latest order line (a product only ever viewed has its name and category from the view).
 */
import { sql } from 'kysely';
import type { CatalogItem, InteractionLog } from '../domain/models/recommend/history.js';
import type { Store } from './database.js';
import { dayNumber } from './order-history-repository.js';

interface LineRow {
  customer_id: string;
  order_id: string;
  placed_at: string;
  product_id: string;
  name: string | null;
  category: string | null;
  price: number | string | null;
  quantity: number | string;
}

interface ViewRow {
  customer_id: string;
  timestamp: string;
  product_id: string | null;
  name: string | null;
  category: string | null;
}

/** Loads the interaction log of everything strictly before `before` (ISO UTC; default everything). */
export async function loadInteractionLog(
  store: Store,
  options: { before?: string } = {},
): Promise<InteractionLog> {
  const before = options.before ?? '9999-12-31T23:59:59.999Z';
  const lines = await sql<LineRow>`
    select o.customer_id, o.order_id, o.placed_at, l.product_id, max(l.name) as name,
           max(l.category) as category, max(l.base_price_minor) as price, sum(l.quantity) as quantity
    from orders o join order_lines l on l.order_id = o.order_id
    where l.product_id is not null and o.placed_at < ${before}
      and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    group by o.customer_id, o.order_id, o.placed_at, l.product_id
    order by o.customer_id, o.placed_at, o.order_id, l.product_id`.execute(store.db);
  const field = (name: string) =>
    store.dialect === 'sqlite'
      ? sql<string | null>`json_extract(payload, ${`$.properties.${name}`})`
      : sql<string | null>`(payload::json -> 'properties' ->> ${name})`;
  const views = await sql<ViewRow>`
    select customer_id, timestamp, ${field('product_id')} as product_id, ${field('name')} as name,
           ${field('category')} as category
    from events
    where type = 'track' and name = 'Product Viewed' and timestamp < ${before}
    order by customer_id, timestamp`.execute(store.db);
  return buildInteractionLog(lines.rows, views.rows);
}

function buildInteractionLog(lines: readonly LineRow[], views: readonly ViewRow[]): InteractionLog {
  const productIndex = new Map<string, number>();
  const products: Array<{ item: CatalogItem; at: string }> = [];
  const item = (
    id: string,
    at: string,
    name: string | null,
    category: string | null,
    price: number | null,
    fromOrder: boolean,
  ): number => {
    let i = productIndex.get(id);
    if (i === undefined) {
      i = products.length;
      productIndex.set(id, i);
      products.push({ item: { productId: id, name, category, priceMinor: price }, at: fromOrder ? at : '' });
      return i;
    }
    const cur = products[i] as { item: CatalogItem; at: string };
    if (fromOrder && at >= cur.at) {
      cur.item = {
        productId: id,
        name: name ?? cur.item.name,
        category: category ?? cur.item.category,
        priceMinor: price ?? cur.item.priceMinor,
      };
      cur.at = at;
    } else if (cur.at === '' && (cur.item.name === null || cur.item.category === null)) {
      cur.item = { ...cur.item, name: cur.item.name ?? name, category: cur.item.category ?? category };
    }
    return i;
  };
  const customerIndex = new Map<string, number>();
  const customerIds: string[] = [];
  const customer = (id: string): number => {
    let c = customerIndex.get(id);
    if (c === undefined) {
      c = customerIds.length;
      customerIndex.set(id, c);
      customerIds.push(id);
    }
    return c;
  };
  const n = lines.length;
  const pc = new Int32Array(n);
  const po = new Int32Array(n);
  const pi = new Int32Array(n);
  const pd = new Int32Array(n);
  const pq = new Int32Array(n);
  const orderIds: string[] = [];
  let lastOrder = '';
  const dayOf = new Map<string, number>();
  const day = (iso: string): number => {
    const key = iso.slice(0, 10);
    let d = dayOf.get(key);
    if (d === undefined) dayOf.set(key, (d = dayNumber(key)));
    return d;
  };
  for (let k = 0; k < n; k++) {
    const r = lines[k] as LineRow;
    pc[k] = customer(r.customer_id);
    if (r.order_id !== lastOrder) {
      orderIds.push(r.order_id);
      lastOrder = r.order_id;
    }
    po[k] = orderIds.length - 1;
    pi[k] = item(
      r.product_id,
      r.placed_at,
      r.name,
      r.category,
      r.price === null ? null : Number(r.price),
      true,
    );
    pd[k] = day(r.placed_at);
    pq[k] = Math.max(1, Number(r.quantity));
  }
  const kept = views.filter((v) => v.product_id !== null && v.product_id !== '');
  const vcRaw = kept.map((v) => customer(v.customer_id));
  // Stable counting sort by customer index: SQL sorted by customer id text, whose collation may
  // differ from the order of first appearance in the order lines.
  const m = kept.length;
  const count = new Int32Array(customerIds.length + 1);
  for (const c of vcRaw) count[c + 1]!++;
  for (let c = 0; c < customerIds.length; c++) count[c + 1]! += count[c] as number;
  const vc = new Int32Array(m);
  const vi = new Int32Array(m);
  const vd = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const v = kept[k] as ViewRow;
    const c = vcRaw[k] as number;
    const at = count[c]!++;
    vc[at] = c;
    vi[at] = item(
      String(v.product_id),
      v.timestamp,
      v.name === null ? null : String(v.name),
      v.category === null ? null : String(v.category),
      null,
      false,
    );
    vd[at] = day(v.timestamp);
  }
  return {
    products: products.map((p) => p.item),
    customerIds,
    purchases: { customer: pc, order: po, item: pi, day: pd, quantity: pq },
    views: { customer: vc, item: vi, day: vd },
    orderIds,
  };
}
