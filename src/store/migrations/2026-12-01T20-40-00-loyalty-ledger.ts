import type { Kysely } from 'kysely';

/**
 * The loyalty ledger: versioned programme configuration, one account row per member (cached
 * balances, and the row a posting locks), journal entries (one per business operation, unique by
 * business key), their double-entry postings, lots, client idempotency keys, the events already
 * turned into points, and expiry notices.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('loyalty_config_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();

  await db.schema
    .createTable('loyalty_accounts')
    .addColumn('customer_id', 'text', (c) => c.primaryKey())
    .addColumn('pending', 'bigint', (c) => c.notNull())
    .addColumn('available', 'bigint', (c) => c.notNull())
    .addColumn('debt', 'bigint', (c) => c.notNull())
    .addColumn('qualifying', 'bigint', (c) => c.notNull())
    .addColumn('lifetime_earned', 'bigint', (c) => c.notNull())
    .addColumn('entries', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('business_key', 'text', (c) => c.notNull().unique())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('qualifying_delta', 'bigint', (c) => c.notNull())
    .addColumn('config_version', 'integer', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('order_id', 'text')
    .addColumn('line_no', 'integer')
    .addColumn('lot_id', 'text')
    .addColumn('ref_entry_id', 'text')
    .addColumn('effective_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('meta', 'text')
    .execute();
  await db.schema
    .createIndex('loyalty_entries_customer')
    .on('loyalty_entries')
    .columns(['customer_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('loyalty_entries_rule')
    .on('loyalty_entries')
    .columns(['customer_id', 'rule', 'effective_at'])
    .execute();
  await db.schema
    .createIndex('loyalty_entries_lot')
    .on('loyalty_entries')
    .columns(['lot_id', 'kind'])
    .execute();
  await db.schema.createIndex('loyalty_entries_ref').on('loyalty_entries').column('ref_entry_id').execute();

  await db.schema
    .createTable('loyalty_postings')
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('from_account', 'text', (c) => c.notNull())
    .addColumn('to_account', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('lot_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_postings_pk', ['entry_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('loyalty_postings_customer')
    .on('loyalty_postings')
    .column('customer_id')
    .execute();

  await db.schema
    .createTable('loyalty_lots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('order_id', 'text')
    .addColumn('line_no', 'integer')
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('qualifying', 'bigint', (c) => c.notNull())
    .addColumn('pending', 'bigint', (c) => c.notNull())
    .addColumn('available', 'bigint', (c) => c.notNull())
    .addColumn('expired', 'bigint', (c) => c.notNull())
    .addColumn('release_at', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('loyalty_lots_customer')
    .on('loyalty_lots')
    .columns(['customer_id', 'expires_at'])
    .execute();
  await db.schema.createIndex('loyalty_lots_release').on('loyalty_lots').columns(['release_at']).execute();
  await db.schema.createIndex('loyalty_lots_expiry').on('loyalty_lots').columns(['expires_at']).execute();
  await db.schema
    .createIndex('loyalty_lots_order')
    .on('loyalty_lots')
    .columns(['order_id', 'line_no'])
    .execute();

  await db.schema
    .createTable('loyalty_idempotency')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_idempotency_pk', ['customer_id', 'key'])
    .execute();

  await db.schema
    .createTable('loyalty_processed_events')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('processed_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_notices')
    .addColumn('lot_id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'loyalty_notices',
    'loyalty_processed_events',
    'loyalty_idempotency',
    'loyalty_lots',
    'loyalty_postings',
    'loyalty_entries',
    'loyalty_accounts',
    'loyalty_config_versions',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
