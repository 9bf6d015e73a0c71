/**
 * The recommender's tables: a training run replaces products, neighbour lists, intervals and the
 * customers' run-out days in one transaction; a request reads a customer's orders and recent
 * views and the neighbour rows of their products (indexed reads), while the small per-run data
 * (products, popularity order, intervals) is cached in memory until the next training run.
 */
import { sql } from 'kysely';
import type {
  CustomerReplenishmentTable,
  ItemSimilaritiesTable,
  RecommendModelsTable,
  RecommendProductsTable,
  ReplenishmentIntervalsTable,
  Store,
} from './database.js';
import {
  customerReplenishment,
  describeReplenishment,
  type ReplenishmentDue,
} from '../domain/models/recommend/replenishment.js';
import { resolveCustomerId } from './customer-id.js';
import { dayNumber, dayString } from './order-history-repository.js';

export type { ReplenishmentDue };
import { inList, insertMany, writeTransaction } from './transaction.js';

export interface RecommenderSnapshot {
  readonly model: RecommendModelsTable;
  readonly products: readonly RecommendProductsTable[];
  readonly similarities: readonly ItemSimilaritiesTable[];
  readonly intervals: readonly ReplenishmentIntervalsTable[];
  readonly customerReplenishment: readonly CustomerReplenishmentTable[];
}

/** The per-run data a request needs, cached per model id. */
export interface RecommenderCatalog {
  readonly modelId: string;
  readonly asOf: string;
  readonly quantityElasticity: number;
  readonly products: ReadonlyMap<string, RecommendProductsTable>;
  /** Product ids by popularity, best first. */
  readonly popular: readonly string[];
  readonly intervals: ReadonlyMap<string, ReplenishmentIntervalsTable>;
}

export interface CustomerActivity {
  readonly purchases: Array<{
    productId: string;
    day: number;
    quantity: number;
    orderId: string;
    placedAt: string;
  }>;
  readonly views: Array<{ productId: string; day: number }>;
}

/** A customer's cycled products with their run-out days as of a day (live from their orders). */
export function replenishmentAsOf(
  catalog: RecommenderCatalog,
  purchases: ReadonlyArray<{ productId: string; day: number; quantity: number }>,
  asOfDay: number,
): ReplenishmentDue[] {
  const lookup = {
    get: (id: string) => {
      const iv = catalog.intervals.get(id);
      return iv ? { intervalDays: iv.interval_days, typicalQuantity: iv.typical_quantity } : undefined;
    },
  };
  const items = customerReplenishment(purchases, lookup, catalog.quantityElasticity, asOfDay);
  return describeReplenishment(items, (id) => catalog.products.get(id), asOfDay);
}

/** The profile's replenishment section: null until `patron recommend train` has run. */
export async function findCustomerReplenishment(
  store: Store,
  customerId: string,
  now: Date,
): Promise<{ asOf: string; modelVersion: string; items: ReplenishmentDue[] } | null> {
  const rs = recommendStoreFor(store);
  const catalog = await rs.catalog();
  if (catalog === null) return null;
  const activity = await rs.activity(customerId, 0);
  const asOfDay = Math.floor(now.getTime() / 86_400_000);
  return {
    asOf: dayString(asOfDay),
    modelVersion: catalog.modelId,
    items: replenishmentAsOf(catalog, activity.purchases, asOfDay),
  };
}

const shared = new WeakMap<Store, RecommendStore>();

/** One repository (and so one catalog cache) per open store. */
export function recommendStoreFor(store: Store): RecommendStore {
  let rs = shared.get(store);
  if (!rs) shared.set(store, (rs = recommendStore(store)));
  return rs;
}

export interface RecommendStore {
  replace(snapshot: RecommenderSnapshot): Promise<void>;
  /** The latest training run's catalog, or null before the first run. */
  catalog(): Promise<RecommenderCatalog | null>;
  /** Follows identities and merges: the surviving Patron id of a `cus_…` id or a userId, or null. */
  resolveCustomer(idOrUserId: string): Promise<string | null>;
  /** A customer's purchase lines (cancelled orders excluded) and latest `viewLimit` product views. */
  activity(customerId: string, viewLimit?: number): Promise<CustomerActivity>;
  /**
   * The same for many customers at once (every customer when `customerIds` is absent), set-based:
   * one query for the purchase lines and one for the latest `viewLimit` views per customer.
   * Customers without either are absent from the map.
   */
  activities(customerIds?: readonly string[], viewLimit?: number): Promise<Map<string, CustomerActivity>>;
  /** The neighbour rows (every kind) of the given products, best first per product and kind. */
  neighbours(productIds: readonly string[]): Promise<ItemSimilaritiesTable[]>;
  /** The products of an order and its customer, or null when no such order exists. */
  order(orderId: string): Promise<{ customerId: string; productIds: string[]; placedAt: string } | null>;
  /** Customers' cycled products with a run-out day in [from, to] (YYYY-MM-DD, inclusive), as of the last run. */
  runOutBetween(from: string, to: string, limit: number): Promise<CustomerReplenishmentTable[]>;
}

const VIEW_LIMIT = 50;
const NEIGHBOUR_CACHE = 20_000;

export function recommendStore(store: Store): RecommendStore {
  const db = store.db;
  let cached: RecommenderCatalog | null = null;
  const neighbourCache = new Map<string, ItemSimilaritiesTable[]>();
  let neighbourModel: string | null = null;
  return {
    async replace(s) {
      await writeTransaction(store, async (tx) => {
        for (const t of [
          'customer_replenishment',
          'replenishment_intervals',
          'item_similarities',
          'recommend_products',
        ] as const)
          await tx.deleteFrom(t).execute();
        await tx.insertInto('recommend_models').values(s.model).execute();
        await insertMany(tx, store.dialect, 'recommend_products', s.products);
        await insertMany(tx, store.dialect, 'item_similarities', s.similarities);
        await insertMany(tx, store.dialect, 'replenishment_intervals', s.intervals);
        await insertMany(tx, store.dialect, 'customer_replenishment', s.customerReplenishment);
      });
      cached = null;
      neighbourCache.clear();
    },
    async catalog() {
      const latest = await db
        .selectFrom('recommend_models')
        .select(['id', 'as_of', 'stats'])
        .orderBy('trained_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!latest) return null;
      if (cached?.modelId === latest.id) return cached;
      const [products, intervals] = await Promise.all([
        db.selectFrom('recommend_products').selectAll().orderBy('popularity_rank').execute(),
        db.selectFrom('replenishment_intervals').selectAll().execute(),
      ]);
      const stats = JSON.parse(latest.stats) as { quantityElasticity?: number };
      cached = {
        modelId: latest.id,
        asOf: latest.as_of,
        quantityElasticity: stats.quantityElasticity ?? 1,
        products: new Map(
          products.map((p) => [
            p.product_id,
            {
              ...p,
              price_minor: p.price_minor === null ? null : Number(p.price_minor),
              buyers: Number(p.buyers),
            },
          ]),
        ),
        popular: products.map((p) => p.product_id),
        intervals: new Map(
          intervals.map((i) => [
            i.product_id,
            { ...i, interval_days: Number(i.interval_days), typical_quantity: Number(i.typical_quantity) },
          ]),
        ),
      };
      return cached;
    },
    resolveCustomer: (idOrUserId) => resolveCustomerId(db, idOrUserId),
    async activity(customerId, viewLimit = VIEW_LIMIT) {
      const [lines, views] = await Promise.all([
        db
          .selectFrom('orders as o')
          .innerJoin('order_lines as l', 'l.order_id', 'o.order_id')
          .select(['o.order_id', 'o.placed_at', 'l.product_id', 'l.quantity'])
          .where('o.customer_id', '=', customerId)
          .where('l.product_id', 'is not', null)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('order_updates as u')
                  .select('u.message_id')
                  .whereRef('u.order_id', '=', 'o.order_id')
                  .where('u.kind', '=', 'cancelled'),
              ),
            ),
          )
          .orderBy('o.placed_at')
          .orderBy('o.order_id')
          .orderBy('l.line_no')
          .execute(),
        sql<{ timestamp: string; product_id: string | number | null }>`
          select timestamp, ${
            store.dialect === 'sqlite'
              ? sql`json_extract(payload, '$.properties.product_id')`
              : sql`(payload::json -> 'properties' ->> 'product_id')`
          } as product_id
          from events ${
            // Without ANALYZE statistics SQLite walks the (name, timestamp) index over every view in
            // the store (200+ ms at 10,000 customers); the customer's own index is a few rows.
            store.dialect === 'sqlite' ? sql`indexed by events_customer_time` : sql``
          }
          where customer_id = ${customerId} and type = 'track' and name = 'Product Viewed'
          order by timestamp desc
          limit ${viewLimit}`.execute(db),
      ]);
      if (viewLimit === 0) views.rows.length = 0;
      return {
        purchases: lines.map((l) => ({
          productId: l.product_id as string,
          day: dayNumber(l.placed_at),
          quantity: Number(l.quantity),
          orderId: l.order_id,
          placedAt: l.placed_at,
        })),
        views: views.rows
          .filter((v) => v.product_id !== null && v.product_id !== '')
          .map((v) => ({ productId: String(v.product_id), day: dayNumber(v.timestamp) })),
      };
    },
    async activities(customerIds, viewLimit = VIEW_LIMIT) {
      if (customerIds !== undefined && customerIds.length === 0) return new Map();
      if (customerIds?.length === 1) {
        const id = customerIds[0] as string;
        const a = await this.activity(id, viewLimit);
        return new Map(a.purchases.length + a.views.length > 0 ? [[id, a]] : []);
      }
      const only = (column: string) =>
        customerIds === undefined ? sql`1 = 1` : sql`${sql.ref(column)} in (${sql.join(customerIds)})`;
      const [lines, views] = await Promise.all([
        sql<{
          customer_id: string;
          order_id: string;
          placed_at: string;
          product_id: string;
          quantity: number | string;
        }>`
          select o.customer_id, o.order_id, o.placed_at, l.product_id, l.quantity
          from orders o join order_lines l on l.order_id = o.order_id
          where l.product_id is not null and ${only('o.customer_id')}
            and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
          order by o.customer_id, o.placed_at, o.order_id, l.line_no`.execute(db),
        viewLimit === 0
          ? Promise.resolve({ rows: [] })
          : sql<{ customer_id: string; timestamp: string; product_id: string | number | null }>`
          select customer_id, timestamp, product_id from (
            select customer_id, timestamp, ${
              store.dialect === 'sqlite'
                ? sql`json_extract(payload, '$.properties.product_id')`
                : sql`(payload::json -> 'properties' ->> 'product_id')`
            } as product_id,
              row_number() over (partition by customer_id order by timestamp desc) as n
            from events
            where type = 'track' and name = 'Product Viewed' and ${only('customer_id')}
          ) v where n <= ${viewLimit}
          order by customer_id, timestamp desc`.execute(db),
      ]);
      const out = new Map<string, CustomerActivity>();
      const of = (id: string): CustomerActivity => {
        let a = out.get(id);
        if (!a) out.set(id, (a = { purchases: [], views: [] }));
        return a;
      };
      for (const l of lines.rows)
        of(l.customer_id).purchases.push({
          productId: l.product_id,
          day: dayNumber(l.placed_at),
          quantity: Number(l.quantity),
          orderId: l.order_id,
          placedAt: l.placed_at,
        });
      for (const v of views.rows)
        if (v.product_id !== null && v.product_id !== '')
          of(v.customer_id).views.push({ productId: String(v.product_id), day: dayNumber(v.timestamp) });
      return out;
    },
    async neighbours(productIds) {
      if (productIds.length === 0) return [];
      // Neighbour lists change only with a training run: keep up to NEIGHBOUR_CACHE products' lists
      // of the current model in memory (least recently used out), read the rest in one query.
      const catalog = await this.catalog();
      if (catalog === null) return [];
      if (neighbourModel !== catalog.modelId) {
        neighbourCache.clear();
        neighbourModel = catalog.modelId;
      }
      const out: ItemSimilaritiesTable[] = [];
      const missing: string[] = [];
      for (const id of new Set(productIds)) {
        const hit = neighbourCache.get(id);
        if (hit) {
          neighbourCache.delete(id);
          neighbourCache.set(id, hit);
          for (const r of hit) out.push(r);
        } else missing.push(id);
      }
      if (missing.length > 0) {
        const rows = await db
          .selectFrom('item_similarities')
          .selectAll()
          .where('product_id', 'in', inList(missing))
          .orderBy('product_id')
          .orderBy('kind')
          .orderBy('rank')
          .execute();
        const byProduct = new Map<string, ItemSimilaritiesTable[]>(missing.map((id) => [id, []]));
        for (const r of rows) {
          const row = { ...r, score: Number(r.score), support: Number(r.support) };
          byProduct.get(r.product_id)?.push(row);
          out.push(row);
        }
        for (const [id, list] of byProduct) {
          if (neighbourCache.size >= NEIGHBOUR_CACHE)
            neighbourCache.delete(neighbourCache.keys().next().value as string);
          neighbourCache.set(id, list);
        }
      }
      return out;
    },
    async order(orderId) {
      const rows = await db
        .selectFrom('orders as o')
        .leftJoin('order_lines as l', 'l.order_id', 'o.order_id')
        .select(['o.customer_id', 'o.placed_at', 'l.product_id'])
        .where('o.order_id', '=', orderId)
        .orderBy('l.line_no')
        .execute();
      const first = rows[0];
      if (!first) return null;
      return {
        customerId: first.customer_id,
        placedAt: first.placed_at,
        productIds: [...new Set(rows.flatMap((r) => (r.product_id === null ? [] : [r.product_id])))],
      };
    },
    async runOutBetween(from, to, limit) {
      return db
        .selectFrom('customer_replenishment')
        .selectAll()
        .where('run_out_on', '>=', from)
        .where('run_out_on', '<=', to)
        .orderBy('run_out_on')
        .orderBy('customer_id')
        .orderBy('product_id')
        .limit(limit)
        .execute();
    },
  };
}
