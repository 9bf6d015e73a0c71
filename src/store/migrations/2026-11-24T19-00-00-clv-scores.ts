import type { Kysely } from 'kysely';

/** Per-customer CLV predictions written by `patron score` (one row per customer, replaced on re-scoring). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('clv_scores')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('as_of', 'text', (c) => c.notNull())
    .addColumn('scored_at', 'text', (c) => c.notNull())
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('probability_alive', 'double precision', (c) => c.notNull())
    .addColumn('expected_purchases_30d', 'double precision', (c) => c.notNull())
    .addColumn('expected_purchases_90d', 'double precision', (c) => c.notNull())
    .addColumn('expected_purchases_365d', 'double precision', (c) => c.notNull())
    .addColumn('probability_no_purchase_90d', 'double precision', (c) => c.notNull())
    .addColumn('expected_next_order_on', 'text')
    .addColumn('expected_order_value_minor', 'bigint', (c) => c.notNull())
    .addColumn('horizon_days', 'integer', (c) => c.notNull())
    .addColumn('clv_minor', 'bigint', (c) => c.notNull())
    .addColumn('learned_expected_purchases', 'double precision')
    .addColumn('learned_clv_minor', 'bigint')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('clv_scores').execute();
}
