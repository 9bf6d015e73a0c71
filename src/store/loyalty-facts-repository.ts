/**
 * The facts the loyalty programme reads (never writes): each member's purchases with their lines
 * and refunds, the activities that count towards a tier (orders, reviews, referrals, community
 * help), and what they want now (cart and wishlist).
 *
 * Conventions (docs/LOYALTY.md):
 * - Amounts in the store's base currency. An order's net merchandise amount is Σ line price ×
 *   quantity (or the order total when no line has a price) − discount − refunds, floored at 0;
 *   cancelled orders are left out.
 * - A review with a photo is a `Product Reviewed` whose properties carry `image_url`, `images` or
 *   `photo_urls`; community help is a `Community Posted` answer or tip, or any post with a helpful vote.
 * - A referral is a `Referral Completed` tracked on the referrer (the Patron event contract).
 * - The cart is the `Product Added` events since the customer's last order; the wishlist is
 *   `Product Added to Wishlist` (Segment e-commerce v2) when the store sends it.
 */
import { sql, type Kysely } from 'kysely';
import type { Purchase } from '../domain/loyalty/challenges.js';
import type { WantedItem } from '../domain/loyalty/rewards.js';
import type { QualifyingActivity } from '../domain/loyalty/tiers.js';
import type { Database } from './database.js';

export interface MemberFacts {
  readonly purchases: Purchase[];
  readonly activities: QualifyingActivity[];
}

interface OrderRow {
  customer_id: string;
  order_id: string;
  placed_at: string;
  base_total_minor: number;
  base_discount_minor: number;
  refunded: number | null;
}
interface LineRow {
  order_id: string;
  category: string | null;
  base_price_minor: number | null;
  quantity: number;
}
interface EventRow {
  customer_id: string;
  message_id: string;
  name: string;
  timestamp: string;
  payload: string;
}

const ACTIVITY_EVENTS = ['Product Reviewed', 'Referral Completed', 'Community Posted'];

/**
 * Facts of one customer (`customerId`), of a group of customers (an array: the members an event
 * run touched; keep groups to a few hundred ids) or of every customer (null), keyed by customer id.
 * `since` bounds the history read (ISO; null = all of it).
 */
export async function loadMemberFacts(
  db: Kysely<Database>,
  customerId: string | readonly string[] | null,
  since: string | null = null,
): Promise<Map<string, MemberFacts>> {
  const ids = customerId === null ? null : typeof customerId === 'string' ? [customerId] : [...customerId];
  if (ids !== null && ids.length === 0) return new Map();
  const list = ids === null ? null : sql.join(ids);
  const who = list === null ? sql`1 = 1` : sql`o.customer_id in (${list})`;
  const from = since === null ? sql`1 = 1` : sql`o.placed_at >= ${since}`;
  // Some customers: refunds per order through the order_updates index (a member's view must be
  // fast); every customer: one aggregate of all refunds joined in.
  const ewho = list === null ? sql`1 = 1` : sql`customer_id in (${list})`;
  const efrom = since === null ? sql`1 = 1` : sql`timestamp >= ${since}`;
  // The three reads at once (on PostgreSQL, three connections: a member's view waits for one).
  const [orders, lines, events] = await Promise.all([
    ids === null
      ? sql<OrderRow>`
    select o.customer_id, o.order_id, o.placed_at, o.base_total_minor, o.base_discount_minor, r.refunded
    from orders o
    left join (select order_id, sum(base_amount_minor) as refunded from order_updates
               where kind = 'refunded' and order_id is not null group by order_id) r on r.order_id = o.order_id
    where ${from}
      and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at`.execute(db)
      : sql<OrderRow>`
    select o.customer_id, o.order_id, o.placed_at, o.base_total_minor, o.base_discount_minor,
           (select sum(r.base_amount_minor) from order_updates r
            where r.order_id = o.order_id and r.kind = 'refunded') as refunded
    from orders o
    where ${who} and ${from}
      and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
    order by o.customer_id, o.placed_at`.execute(db),
    sql<LineRow>`
    select l.order_id, l.category, l.base_price_minor, l.quantity
    from order_lines l join orders o on o.order_id = l.order_id
    where ${who} and ${from}`.execute(db),
    sql<EventRow>`
    select customer_id, message_id, name, timestamp, payload from events
    where name in (${sql.join(ACTIVITY_EVENTS)}) and ${ewho} and ${efrom}
    order by customer_id, timestamp`.execute(db),
  ]);
  const linesByOrder = new Map<string, LineRow[]>();
  for (const l of lines.rows) {
    const list = linesByOrder.get(l.order_id);
    if (list) list.push(l);
    else linesByOrder.set(l.order_id, [l]);
  }
  const out = new Map<string, MemberFacts>();
  const facts = (id: string): MemberFacts => {
    let f = out.get(id);
    if (!f) {
      f = { purchases: [], activities: [] };
      out.set(id, f);
    }
    return f;
  };
  for (const o of orders.rows) {
    const ls = linesByOrder.get(o.order_id) ?? [];
    const priced = ls.filter((l) => l.base_price_minor !== null);
    const merchandise =
      priced.length > 0
        ? priced.reduce((s, l) => s + Number(l.base_price_minor) * l.quantity, 0)
        : Number(o.base_total_minor);
    const refunded = Number(o.refunded ?? 0);
    const net = Math.max(0, merchandise - Number(o.base_discount_minor) - refunded);
    // Lines share the refund and discount in proportion to their amount.
    const scale = merchandise > 0 ? net / merchandise : 0;
    const f = facts(o.customer_id);
    f.purchases.push({
      orderId: o.order_id,
      at: o.placed_at,
      netMinor: net,
      lines: priced.map((l) => ({
        category: l.category,
        amountMinor: Math.round(Number(l.base_price_minor) * l.quantity * scale),
        quantity: scale > 0 ? l.quantity : 0,
      })),
    });
    f.activities.push({ type: 'order', at: o.placed_at, netSpendMinor: net, key: o.order_id });
  }

  for (const e of events.rows) {
    const props = propertiesOf(e.payload);
    const key = e.message_id;
    const f = facts(e.customer_id);
    if (e.name === 'Product Reviewed') {
      const photo = ['image_url', 'images', 'photo_urls'].some((k) => {
        const v = props[k];
        return Array.isArray(v) ? v.length > 0 : typeof v === 'string' && v !== '';
      });
      f.activities.push({ type: photo ? 'photo_review' : 'review', at: e.timestamp, key });
    } else if (e.name === 'Referral Completed') {
      f.activities.push({ type: 'referral', at: e.timestamp, key });
    } else if (e.name === 'Community Posted') {
      const votes = typeof props.helpful_votes === 'number' ? props.helpful_votes : 0;
      if (props.kind === 'answer' || props.kind === 'tip' || votes > 0)
        f.activities.push({ type: 'community', at: e.timestamp, key });
    }
  }
  return out;
}

/** The customer's cart (Product Added since their last order) and wishlist, most recent first. */
export async function loadWantedItems(db: Kysely<Database>, customerId: string): Promise<WantedItem[]> {
  // One statement: the time of the last order is a subquery (cart = added since then).
  const rows = await db
    .selectFrom('events')
    .select(['name', 'timestamp', 'payload'])
    .where('customer_id', '=', customerId)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('name', '=', 'Product Added'),
          eb(
            'timestamp',
            '>',
            eb.fn.coalesce(
              eb
                .selectFrom('orders')
                .select((o) => o.fn.max('placed_at').as('at'))
                .where('customer_id', '=', customerId),
              sql<string>`''`,
            ),
          ),
        ]),
        eb('name', '=', 'Product Added to Wishlist'),
      ]),
    )
    .orderBy('timestamp', 'desc')
    .limit(50)
    .execute();
  const seen = new Set<string>();
  const out: WantedItem[] = [];
  for (const r of rows) {
    const p = propertiesOf(r.payload);
    const productId =
      typeof p.product_id === 'string' ? p.product_id : typeof p.sku === 'string' ? p.sku : null;
    const price = typeof p.price === 'number' ? p.price : null;
    if (productId === null || price === null || seen.has(productId)) continue;
    seen.add(productId);
    out.push({
      productId,
      name: typeof p.name === 'string' ? p.name : null,
      category: typeof p.category === 'string' ? p.category : null,
      // Segment sends decimals in the major unit; the storefront's currency is the base one here.
      priceMinor: Math.round(price * 100),
      source: r.name === 'Product Added' ? 'cart' : 'wishlist',
    });
  }
  return out;
}

function propertiesOf(payload: string): Record<string, unknown> {
  try {
    const e = JSON.parse(payload) as { properties?: unknown };
    return e.properties && typeof e.properties === 'object' ? (e.properties as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Store categories by how many order lines they had in the last `days` before `now`. */
export async function popularCategories(db: Kysely<Database>, now: string, days = 180): Promise<string[]> {
  const since = new Date(Date.parse(now) - days * 86_400_000).toISOString();
  const rows = await sql<{ category: string; n: number }>`
    select l.category as category, count(*) as n from order_lines l join orders o on o.order_id = l.order_id
    where l.category is not null and o.placed_at >= ${since} and o.placed_at <= ${now}
    group by l.category order by n desc, l.category`.execute(db);
  return rows.rows.map((r) => r.category);
}
