import type { Kysely } from 'kysely';

/**
 * Segments, advocacy and timing: segmentation runs (kept RFM boundaries and the cluster model),
 * each customer's membership and its transitions, advocacy scores, send-time runs and each
 * customer's send time and channel, and the review request due per delivered order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segment_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addColumn('as_of', 'text', (c) => c.notNull())
    .addColumn('customers', 'integer', (c) => c.notNull())
    .addColumn('boundaries', 'text', (c) => c.notNull())
    .addColumn('clusters', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_segments')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('last_order_at', 'text', (c) => c.notNull())
    .addColumn('frequency', 'integer', (c) => c.notNull())
    .addColumn('monetary_minor', 'integer', (c) => c.notNull())
    .addColumn('recency_days', 'double precision', (c) => c.notNull())
    .addColumn('r', 'integer', (c) => c.notNull())
    .addColumn('f', 'integer', (c) => c.notNull())
    .addColumn('m', 'integer', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('cluster', 'integer')
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('customer_segments_segment')
    .on('customer_segments')
    .column('segment')
    .execute();
  await db.schema
    .createTable('segment_transitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('from_segment', 'text')
    .addColumn('to_segment', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('cause_event', 'text')
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segment_transitions_at').on('segment_transitions').column('at').execute();
  await db.schema
    .createIndex('segment_transitions_customer')
    .on('segment_transitions')
    .columns(['customer_id', 'at'])
    .execute();
  await db.schema
    .createTable('customer_advocacy')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('signals', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('customer_advocacy_score').on('customer_advocacy').column('score').execute();
  await db.schema
    .createTable('timing_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addColumn('prior_strength', 'double precision', (c) => c.notNull())
    .addColumn('store_pattern', 'text', (c) => c.notNull())
    .addColumn('channel_shares', 'text', (c) => c.notNull())
    .addColumn('time_to_value', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('customer_timing')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('opens', 'integer', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull())
    .addColumn('best_local_hour', 'integer', (c) => c.notNull())
    .addColumn('best_weekday', 'integer', (c) => c.notNull())
    .addColumn('best_share', 'double precision', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('channel_shares', 'text', (c) => c.notNull())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('review_requests')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('time_to_value_days', 'double precision', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('review_requests_due').on('review_requests').column('due_at').execute();
  await db.schema
    .createIndex('review_requests_customer')
    .on('review_requests')
    .column('customer_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'review_requests',
    'customer_timing',
    'timing_runs',
    'customer_advocacy',
    'segment_transitions',
    'customer_segments',
    'segment_runs',
  ])
    await db.schema.dropTable(t).execute();
}
