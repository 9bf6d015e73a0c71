import type { Kysely } from 'kysely';

/**
 * Churn: trained model versions (immutable: metrics on the holdout, feature list, the model) and
 * each customer's latest churn score with its driver and reasons (replaced on re-scoring).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('churn_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trained_at', 'text', (c) => c.notNull())
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('churn_scores')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('scored_at', 'text', (c) => c.notNull())
    .addColumn('as_of', 'text', (c) => c.notNull())
    .addColumn('probability', 'double precision', (c) => c.notNull())
    .addColumn('driver', 'text')
    .addColumn('reasons', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('churn_scores_model_version')
    .on('churn_scores')
    .column('model_version')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('churn_scores').execute();
  await db.schema.dropTable('churn_models').execute();
}
