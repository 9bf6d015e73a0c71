import type { Kysely } from 'kysely';

/**
 * Text analyses: one row per event that carries customer text (review, ticket, survey comment)
 * with its sentiment and themes, keyed by the event's messageId (analysed exactly once); and one
 * row per theme mentioned, by month and product, for the theme trends. The customer is read
 * through the event (events.customer_id follows merges), so nothing here needs rewriting on merge.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('text_analyses')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('rating', 'double precision')
    .addColumn('nps', 'integer')
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('themes', 'text', (c) => c.notNull())
    .addColumn('analyzer_version', 'text', (c) => c.notNull())
    .addColumn('analyzed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('text_analyses_product_month')
    .on('text_analyses')
    .columns(['product_id', 'month'])
    .execute();
  await db.schema
    .createTable('text_theme_mentions')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('theme', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text')
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('polarity', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('text_theme_mentions_pk', ['message_id', 'theme'])
    .execute();
  await db.schema
    .createIndex('text_theme_mentions_month')
    .on('text_theme_mentions')
    .columns(['month', 'theme'])
    .execute();
  await db.schema
    .createIndex('text_theme_mentions_product')
    .on('text_theme_mentions')
    .columns(['product_id', 'month'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('text_theme_mentions').execute();
  await db.schema.dropTable('text_analyses').execute();
}
