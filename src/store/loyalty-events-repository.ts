/**
 * Reads the store's ingested events that earn or reverse points, as typed loyalty facts: orders
 * with their lines, refunds/cancellations with the order and the cumulative refund, reviews,
 * referrals, community posts and profile updates. Walks the events in `message_id` order (the
 * primary key, so each batch is an index range), skipping those already processed.
 */
import type { LoyaltyEventSource, LoyaltyFact } from '../app/loyalty-events.js';
import type { EarnOrder } from '../domain/loyalty/earn.js';
import { minorUnitDigits } from '../domain/money/money.js';
import type { Store } from './database.js';
import { settingsStore } from './settings-repository.js';
import { inList } from './transaction.js';

const NAMES = [
  'Order Completed',
  'Order Refunded',
  'Order Cancelled',
  'Product Reviewed',
  'Referral Completed',
  'Community Posted',
];

const CURSOR_KEY = 'loyalty.cursor';

type Json = Record<string, unknown>;

export function loyaltyEventSource(store: Store): LoyaltyEventSource {
  const db = store.db;

  async function ordersById(
    orderIds: string[],
  ): Promise<Map<string, EarnOrder & { customerId: string; messageId: string }>> {
    const out = new Map<string, EarnOrder & { customerId: string; messageId: string }>();
    if (orderIds.length === 0) return out;
    const ids = inList([...new Set(orderIds)]);
    const [orders, lines] = await Promise.all([
      db.selectFrom('orders').selectAll().where('order_id', 'in', ids).execute(),
      db.selectFrom('order_lines').selectAll().where('order_id', 'in', ids).orderBy('line_no').execute(),
    ]);
    for (const o of orders) {
      // Shipping and tax are stored in the order's currency; convert with the order's own rate.
      const rate = Number(o.total_minor) === 0 ? 1 : Number(o.base_total_minor) / Number(o.total_minor);
      out.set(o.order_id, {
        orderId: o.order_id,
        customerId: o.customer_id,
        messageId: o.message_id,
        placedAt: o.placed_at,
        baseTotalMinor: Number(o.base_total_minor),
        baseDiscountMinor: Number(o.base_discount_minor),
        baseShippingMinor: Math.round(Number(o.shipping_minor) * rate),
        baseTaxMinor: Math.round(Number(o.tax_minor) * rate),
        lines: [],
      });
    }
    for (const l of lines) {
      const o = out.get(l.order_id);
      if (!o) continue;
      (o.lines as EarnOrder['lines'][number][]).push({
        lineNo: l.line_no,
        sku: l.sku,
        productId: l.product_id,
        basePriceMinor: l.base_price_minor === null ? null : Number(l.base_price_minor),
        quantity: l.quantity,
      });
    }
    return out;
  }

  async function firstOrders(customerIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (customerIds.length === 0) return out;
    const rows = await db
      .selectFrom('orders')
      .select(['customer_id', 'order_id', 'placed_at'])
      .where('customer_id', 'in', inList([...new Set(customerIds)]))
      .orderBy('placed_at')
      .orderBy('order_id')
      .execute();
    for (const r of rows) if (!out.has(r.customer_id)) out.set(r.customer_id, r.order_id);
    return out;
  }

  return {
    async next(since, afterId, limit) {
      const rows = await db
        .selectFrom('events as e')
        .leftJoin('loyalty_processed_events as p', 'p.message_id', 'e.message_id')
        .select([
          'e.message_id',
          'e.type',
          'e.name',
          'e.customer_id',
          'e.timestamp',
          'e.received_at',
          'e.payload',
        ])
        .where('p.message_id', 'is', null)
        .where('e.message_id', '>', afterId)
        .where('e.received_at', '>=', since)
        .where((eb) => eb.or([eb('e.name', 'in', NAMES), eb('e.type', '=', 'identify')]))
        .orderBy('e.message_id')
        .limit(limit)
        .execute();
      if (rows.length === 0) return { facts: [], lastId: null, maxReceivedAt: null };
      let maxReceivedAt = '';
      for (const r of rows) if (r.received_at > maxReceivedAt) maxReceivedAt = r.received_at;

      // Members: the surviving customer of any merge.
      const customerIds = [...new Set(rows.map((r) => r.customer_id))];
      const merged = new Map<string, string>();
      for (const c of await db
        .selectFrom('customers')
        .select(['id', 'merged_into'])
        .where('id', 'in', inList(customerIds))
        .where('merged_into', 'is not', null)
        .execute()) {
        merged.set(c.id, c.merged_into as string);
      }
      const member = (id: string): string => merged.get(id) ?? id;

      const orderMessages = rows.filter((r) => r.name === 'Order Completed').map((r) => r.message_id);
      const updateMessages = rows
        .filter((r) => r.name === 'Order Refunded' || r.name === 'Order Cancelled')
        .map((r) => r.message_id);
      const updates =
        updateMessages.length === 0
          ? []
          : await db
              .selectFrom('order_updates')
              .selectAll()
              .where('message_id', 'in', inList(updateMessages))
              .execute();
      const updateById = new Map(updates.map((u) => [u.message_id, u]));
      const orderIdsOfOrders =
        orderMessages.length === 0
          ? []
          : (
              await db
                .selectFrom('orders')
                .select(['order_id', 'message_id'])
                .where('message_id', 'in', inList(orderMessages))
                .execute()
            ).map((o) => o.order_id);
      const updateOrderIds = updates.map((u) => u.order_id).filter((id): id is string => id !== null);
      const orders = await ordersById([...orderIdsOfOrders, ...updateOrderIds]);
      // Cumulative refunds per order, in (at, message_id) order.
      const allRefunds =
        updateOrderIds.length === 0
          ? []
          : await db
              .selectFrom('order_updates')
              .select(['order_id', 'message_id', 'at', 'base_amount_minor'])
              .where('order_id', 'in', inList([...new Set(updateOrderIds)]))
              .where('kind', '=', 'refunded')
              .orderBy('at')
              .orderBy('message_id')
              .execute();
      const orderByMessage = new Map([...orders.values()].map((o) => [o.messageId, o]));
      const firsts = await firstOrders([...orders.values()].map((o) => o.customerId));

      const facts: LoyaltyFact[] = [];
      for (const r of rows) {
        const customerId = member(r.customer_id);
        const none: LoyaltyFact = { type: 'none', messageId: r.message_id, customerId };
        if (r.name === 'Order Completed') {
          const o = orderByMessage.get(r.message_id);
          facts.push(
            o
              ? {
                  type: 'order',
                  messageId: r.message_id,
                  customerId,
                  order: o,
                  firstOrder: firsts.get(o.customerId) === o.orderId,
                }
              : none,
          );
          continue;
        }
        if (r.name === 'Order Refunded' || r.name === 'Order Cancelled') {
          const u = updateById.get(r.message_id);
          const o = u?.order_id ? (orders.get(u.order_id) ?? null) : null;
          if (!u || !o) {
            facts.push(none);
            continue;
          }
          let refundedSoFar: number | null = 0;
          if (u.kind === 'refunded') {
            for (const x of allRefunds) {
              if (x.order_id !== o.orderId) continue;
              if (x.base_amount_minor === null) refundedSoFar = null;
              else if (refundedSoFar !== null) refundedSoFar += Number(x.base_amount_minor);
              if (x.message_id === u.message_id) break;
            }
          }
          facts.push({
            type: 'order_update',
            messageId: r.message_id,
            customerId: member(o.customerId),
            update: u.kind === 'cancelled' ? 'cancelled' : 'refunded',
            at: u.at,
            order: o,
            firstOrder: firsts.get(o.customerId) === o.orderId,
            refundedSoFarMinor: u.kind === 'cancelled' ? null : refundedSoFar,
          });
          continue;
        }
        const payload = JSON.parse(r.payload) as Json;
        const props = (payload.properties ?? {}) as Json;
        const at = r.timestamp;
        if (r.name === 'Product Reviewed') {
          const body = typeof props.review_body === 'string' ? props.review_body : '';
          const photos = props.photos ?? props.images ?? props.image_url ?? props.photo_url;
          const hasPhoto =
            (Array.isArray(photos) ? photos.length > 0 : typeof photos === 'string' && photos !== '') ||
            props.has_photo === true;
          const reviewId = String(props.review_id ?? r.message_id);
          facts.push({
            type: 'action',
            messageId: r.message_id,
            customerId,
            at,
            action: { type: 'review', reviewId, textLength: body.trim().length, hasPhoto },
            detail: `review ${reviewId} of ${String(props.product_id ?? 'a product')}`,
          });
        } else if (r.name === 'Referral Completed') {
          const referred = String(props.referred_user_id ?? props.referred_customer_id ?? r.message_id);
          facts.push({
            type: 'action',
            messageId: r.message_id,
            customerId,
            at,
            action: { type: 'referral_converted', referralId: referred },
            detail: `referred customer ${referred}`,
          });
        } else if (r.name === 'Community Posted') {
          const votes = typeof props.helpful_votes === 'number' ? props.helpful_votes : 0;
          const helpful = props.kind === 'answer' || votes > 0;
          const postId = String(props.post_id ?? r.message_id);
          facts.push(
            helpful
              ? {
                  type: 'action',
                  messageId: r.message_id,
                  customerId,
                  at,
                  action: { type: 'community_help', postId },
                  detail: `post ${postId}${votes > 0 ? `, ${votes} helpful vote(s)` : ''}`,
                }
              : // A tip earns no points but counts as community help towards the tier (the facts loader).
                {
                  type: 'none',
                  messageId: r.message_id,
                  customerId,
                  countsForTier: props.kind === 'tip',
                },
          );
        } else if (r.type === 'identify') {
          const traits = (payload.traits ?? {}) as Json;
          const has = (k: string, alt: string): boolean =>
            (typeof traits[k] === 'string' && traits[k] !== '') ||
            (typeof traits[alt] === 'string' && traits[alt] !== '');
          const complete =
            has('email', 'email') &&
            has('first_name', 'firstName') &&
            has('last_name', 'lastName') &&
            has('phone', 'phone');
          facts.push(
            complete
              ? {
                  type: 'action',
                  messageId: r.message_id,
                  customerId,
                  at,
                  action: { type: 'profile_completed' },
                  detail: 'email, name and phone',
                }
              : none,
          );
        } else facts.push(none);
      }
      return { facts, lastId: rows[rows.length - 1]?.message_id ?? null, maxReceivedAt };
    },

    async cursor() {
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', CURSOR_KEY)
        .executeTakeFirst();
      return row ? (JSON.parse(row.value) as { receivedAt: string }).receivedAt : null;
    },

    async saveCursor(receivedAt, now) {
      const value = JSON.stringify({ receivedAt });
      await db
        .insertInto('settings')
        .values({ key: CURSOR_KEY, value, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
        .execute();
    },

    async baseCurrency() {
      const { baseCurrency } = await settingsStore(store).currencySettings();
      return { code: baseCurrency, digits: minorUnitDigits(baseCurrency) ?? 2 };
    },
  };
}
