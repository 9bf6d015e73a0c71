import type { Kysely } from 'kysely';

/**
 * Decisioning: every decision with its inputs, the candidates considered, their scores, the
 * reason and the guardrails' verdict; tasks for people; observed outcomes per action × segment
 * (the Beta posteriors' counts); and the signals last seen per customer (for transitions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('trigger_key', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('candidates', 'text', (c) => c.notNull())
    .addColumn('chosen_action', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('guardrail', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('channel', 'text')
    .addColumn('purpose', 'text')
    .addColumn('consent_purpose', 'text')
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('incentive_minor', 'integer', (c) => c.notNull())
    .addColumn('send_at', 'text')
    .addColumn('message_id', 'text')
    .addColumn('outcome_at', 'text')
    .addColumn('responded', 'integer')
    .execute();
  await db.schema
    .createIndex('decisions_customer_trigger')
    .on('decisions')
    .columns(['customer_id', 'trigger_key'])
    .unique()
    .execute();
  await db.schema
    .createIndex('decisions_idempotency_key')
    .on('decisions')
    .column('idempotency_key')
    .unique()
    .execute();
  await db.schema
    .createIndex('decisions_customer_decided')
    .on('decisions')
    .columns(['customer_id', 'decided_at'])
    .execute();
  await db.schema.createIndex('decisions_send_at').on('decisions').columns(['status', 'send_at']).execute();
  await db.schema
    .createTable('human_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'text', (c) => c.notNull().unique())
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('value_at_stake_minor', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('human_tasks_status')
    .on('human_tasks')
    .columns(['status', 'value_at_stake_minor'])
    .execute();
  await db.schema
    .createTable('decision_outcomes')
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('trials', 'integer', (c) => c.notNull())
    .addColumn('responses', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decision_outcomes_pk', ['action_id', 'segment'])
    .execute();
  await db.schema
    .createTable('decision_signals')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('churn_probability', 'double precision')
    .addColumn('segment', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('decision_signals').execute();
  await db.schema.dropTable('decision_outcomes').execute();
  await db.schema.dropTable('human_tasks').execute();
  await db.schema.dropTable('decisions').execute();
}
