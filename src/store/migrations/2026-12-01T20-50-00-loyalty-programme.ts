import type { Kysely } from 'kysely';

/**
 * The loyalty programme around the ledger: each member's tier state and its history, personal
 * challenges and their calibration, the rewards catalog and the codes it issued (one per
 * redemption), referral codes, attributions, and abuse flags for review.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('loyalty_tiers')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('tier_id', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('score', 'bigint', (c) => c.notNull())
    .addColumn('demotion_to', 'text')
    .addColumn('demotion_at', 'text')
    .addColumn('notice_at', 'text')
    .addColumn('reminded', 'integer', (c) => c.notNull())
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loyalty_tiers_tier').on('loyalty_tiers').column('tier_id').execute();

  await db.schema
    .createTable('loyalty_tier_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_tier', 'text')
    .addColumn('to_tier', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('effective_at', 'text')
    .addColumn('score', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('loyalty_tier_history_customer')
    .on('loyalty_tier_history')
    .columns(['customer_id', 'at'])
    .execute();

  await db.schema
    .createTable('loyalty_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('target', 'bigint', (c) => c.notNull())
    .addColumn('baseline', 'bigint', (c) => c.notNull())
    .addColumn('stretch', 'double precision', (c) => c.notNull())
    .addColumn('progress', 'bigint', (c) => c.notNull())
    .addColumn('reward_points', 'integer', (c) => c.notNull())
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('reward_entry_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('loyalty_challenges_period', ['customer_id', 'kind', 'period_key'])
    .execute();
  await db.schema
    .createIndex('loyalty_challenges_status')
    .on('loyalty_challenges')
    .columns(['status', 'ends_at'])
    .execute();

  await db.schema
    .createTable('loyalty_challenge_calibration')
    .addColumn('kind', 'text', (c) => c.primaryKey())
    .addColumn('stretch', 'double precision', (c) => c.notNull())
    .addColumn('offered', 'integer', (c) => c.notNull())
    .addColumn('completed', 'integer', (c) => c.notNull())
    .addColumn('through', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_rewards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('benefit', 'text', (c) => c.notNull())
    .addColumn('cost_points', 'integer', (c) => c.notNull())
    .addColumn('stock', 'integer')
    .addColumn('stock_left', 'integer')
    .addColumn('eligible_tiers', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_reward_codes')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('redemption_id', 'text', (c) => c.notNull().unique())
    .addColumn('reward_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('points', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('loyalty_reward_codes_customer')
    .on('loyalty_reward_codes')
    .columns(['customer_id', 'issued_at'])
    .execute();
  await db.schema
    .createIndex('loyalty_reward_codes_reward')
    .on('loyalty_reward_codes')
    .column('reward_id')
    .execute();

  await db.schema
    .createTable('loyalty_referral_codes')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_referrals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('referrer_id', 'text', (c) => c.notNull())
    .addColumn('referee_id', 'text', (c) => c.notNull().unique())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('referred_at', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('flags', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_order_id', 'text')
    .addColumn('due_at', 'text')
    .addColumn('rewarded_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('loyalty_referrals_referrer')
    .on('loyalty_referrals')
    .columns(['referrer_id', 'referred_at'])
    .execute();
  await db.schema.createIndex('loyalty_referrals_status').on('loyalty_referrals').column('status').execute();

  await db.schema
    .createTable('loyalty_flags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loyalty_flags_customer').on('loyalty_flags').column('customer_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'loyalty_flags',
    'loyalty_referrals',
    'loyalty_referral_codes',
    'loyalty_reward_codes',
    'loyalty_rewards',
    'loyalty_challenge_calibration',
    'loyalty_challenges',
    'loyalty_tier_history',
    'loyalty_tiers',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
