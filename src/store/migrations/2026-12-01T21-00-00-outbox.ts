import type { Kysely } from 'kysely';

/**
 * The outbox (messages waiting to be sent, exactly once each by `idempotency_key`, with a lease
 * for the worker that holds them) and its attempts; experiments, their exposures (one row per
 * customer and experiment: the first time the customer met it) and bandit arm posteriors.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('variables', 'text', (c) => c.notNull())
    .addColumn('value_minor', 'integer', (c) => c.notNull())
    .addColumn('decision_id', 'text')
    .addColumn('experiment_id', 'text')
    .addColumn('variant', 'text')
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('provider_message_id', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('outbox_messages_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('outbox_messages_customer')
    .on('outbox_messages')
    .columns(['customer_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('outbox_attempts')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('outbox_attempts_pk', ['message_id', 'attempt'])
    .execute();
  await db.schema
    .createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('holdout', 'double precision', (c) => c.notNull())
    .addColumn('variants', 'text', (c) => c.notNull())
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('experiment_exposures')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('exposed_at', 'text', (c) => c.notNull())
    .addColumn('at_risk', 'integer', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addPrimaryKeyConstraint('experiment_exposures_pk', ['experiment_id', 'customer_id'])
    .execute();
  await db.schema
    .createTable('bandit_arms')
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('pulls', 'integer', (c) => c.notNull())
    .addColumn('successes', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bandit_arms_pk', ['experiment_id', 'arm'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bandit_arms').execute();
  await db.schema.dropTable('experiment_exposures').execute();
  await db.schema.dropTable('experiments').execute();
  await db.schema.dropTable('outbox_attempts').execute();
  await db.schema.dropTable('outbox_messages').execute();
}
