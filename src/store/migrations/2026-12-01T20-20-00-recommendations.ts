import type { Kysely } from 'kysely';

/**
 * Recommendations and replenishment (`patron recommend train`): the training run, the products
 * with their popularity, top-K neighbour lists per product and kind, per-product re-purchase
 * intervals, and each customer's cycled products with their run-out day. Every table but
 * `recommend_models` is replaced as a whole by a training run, in one transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recommend_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trained_at', 'text', (c) => c.notNull())
    .addColumn('as_of', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('stats', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('recommend_products')
    .addColumn('product_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('category', 'text')
    .addColumn('price_minor', 'bigint')
    .addColumn('buyers', 'integer', (c) => c.notNull())
    .addColumn('recent_buyers', 'integer', (c) => c.notNull())
    .addColumn('popularity_rank', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('item_similarities')
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('neighbor_id', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('support', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('item_similarities_pk', ['product_id', 'kind', 'rank'])
    .execute();
  await db.schema
    .createTable('replenishment_intervals')
    .addColumn('product_id', 'text', (c) => c.primaryKey())
    .addColumn('category', 'text')
    .addColumn('interval_days', 'double precision', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('typical_quantity', 'double precision', (c) => c.notNull())
    .addColumn('repeat_customers', 'integer', (c) => c.notNull())
    .addColumn('gaps', 'integer', (c) => c.notNull())
    .addColumn('q1_days', 'double precision', (c) => c.notNull())
    .addColumn('q3_days', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_replenishment')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('last_purchased_on', 'text', (c) => c.notNull())
    .addColumn('last_quantity', 'integer', (c) => c.notNull())
    .addColumn('interval_days', 'double precision', (c) => c.notNull())
    .addColumn('run_out_on', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_replenishment_pk', ['customer_id', 'product_id'])
    .execute();
  await db.schema
    .createIndex('customer_replenishment_run_out')
    .on('customer_replenishment')
    .column('run_out_on')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'customer_replenishment',
    'replenishment_intervals',
    'item_similarities',
    'recommend_products',
    'recommend_models',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
