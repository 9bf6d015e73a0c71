import type { Kysely } from 'kysely';

/** The spine: customers and identities, events, order facts, consent, API keys, settings, imports. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('timezone', 'text')
    .addColumn('traits', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('merged_into', 'text')
    .execute();
  await db.schema.createIndex('customers_user_id').on('customers').column('user_id').execute();

  await db.schema
    .createTable('identities')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identities_customer').on('identities').column('customer_id').execute();

  await db.schema
    .createTable('customer_merges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('from_customer_id', 'text', (c) => c.notNull())
    .addColumn('into_customer_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('keys', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('customer_merges_into')
    .on('customer_merges')
    .column('into_customer_id')
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('known', 'integer', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_customer_time')
    .on('events')
    .columns(['customer_id', 'timestamp'])
    .execute();
  await db.schema.createIndex('events_name_time').on('events').columns(['name', 'timestamp']).execute();

  await db.schema
    .createTable('orders')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('total_minor', 'bigint', (c) => c.notNull())
    .addColumn('base_total_minor', 'bigint', (c) => c.notNull())
    .addColumn('revenue_minor', 'bigint')
    .addColumn('discount_minor', 'bigint', (c) => c.notNull())
    .addColumn('base_discount_minor', 'bigint', (c) => c.notNull())
    .addColumn('shipping_minor', 'bigint', (c) => c.notNull())
    .addColumn('tax_minor', 'bigint', (c) => c.notNull())
    .addColumn('coupon', 'text')
    .addColumn('item_count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('orders_customer_time')
    .on('orders')
    .columns(['customer_id', 'placed_at'])
    .execute();
  await db.schema.createIndex('orders_time').on('orders').column('placed_at').execute();

  await db.schema
    .createTable('order_lines')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'text')
    .addColumn('sku', 'text')
    .addColumn('name', 'text')
    .addColumn('category', 'text')
    .addColumn('price_minor', 'bigint')
    .addColumn('base_price_minor', 'bigint')
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_lines_pk', ['order_id', 'line_no'])
    .execute();
  await db.schema.createIndex('order_lines_product').on('order_lines').column('product_id').execute();

  await db.schema
    .createTable('order_updates')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('base_amount_minor', 'bigint')
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('order_updates_order').on('order_updates').column('order_id').execute();
  await db.schema
    .createIndex('order_updates_customer')
    .on('order_updates')
    .columns(['customer_id', 'at'])
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('granted', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('consents_pk', ['customer_id', 'channel', 'purpose'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('import_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('lines_done', 'integer', (c) => c.notNull())
    .addColumn('accepted', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('import_rejects')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_rejects_pk', ['run_id', 'line'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'import_rejects',
    'import_runs',
    'settings',
    'api_keys',
    'consents',
    'order_updates',
    'order_lines',
    'orders',
    'events',
    'customer_merges',
    'identities',
    'customers',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
