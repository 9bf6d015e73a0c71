import { sql, type Kysely } from 'kysely';

/**
 * Loyalty indexes that only some rows need, made partial so that a posting writes only the ones
 * it is found by (each index entry a posting writes is a B-tree descent, and a page the group
 * commit writes to the log: `loyalty_entries_rule` alone was 18 of the 108 pages a commit of 16
 * postings wrote).
 *
 * - `loyalty_entries_rule` is read only to count a member's bonuses of a rule within a cap period
 *   (`countRule`, `kind = 'bonus'`): bonus entries only.
 * - `loyalty_entries_ref` finds the entries referring to another (`ref_entry_id = ?`): rows with one.
 * - `loyalty_lots_release` finds pending lots due for release (`release_at <= ?`): lots with a date.
 * - `loyalty_lots_order` finds an order's lots (`order_id = ?`): lots with an order.
 *
 * The queries' own conditions imply the indexes' (`x = ?` and `x <= ?` imply `x is not null`;
 * `countRule` says `kind = 'bonus'` as a literal), so both SQLite and PostgreSQL still use them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('loyalty_entries_rule').execute();
  await db.schema
    .createIndex('loyalty_entries_rule')
    .on('loyalty_entries')
    .columns(['customer_id', 'rule', 'effective_at'])
    .where(sql.ref('kind'), '=', sql.lit('bonus'))
    .execute();
  await db.schema.dropIndex('loyalty_entries_ref').execute();
  await db.schema
    .createIndex('loyalty_entries_ref')
    .on('loyalty_entries')
    .column('ref_entry_id')
    .where(sql.ref('ref_entry_id'), 'is not', null)
    .execute();
  await db.schema.dropIndex('loyalty_lots_release').execute();
  await db.schema
    .createIndex('loyalty_lots_release')
    .on('loyalty_lots')
    .column('release_at')
    .where(sql.ref('release_at'), 'is not', null)
    .execute();
  await db.schema.dropIndex('loyalty_lots_order').execute();
  await db.schema
    .createIndex('loyalty_lots_order')
    .on('loyalty_lots')
    .columns(['order_id', 'line_no'])
    .where(sql.ref('order_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'loyalty_entries_rule',
    'loyalty_entries_ref',
    'loyalty_lots_release',
    'loyalty_lots_order',
  ])
    await db.schema.dropIndex(name).execute();
  await db.schema
    .createIndex('loyalty_entries_rule')
    .on('loyalty_entries')
    .columns(['customer_id', 'rule', 'effective_at'])
    .execute();
  await db.schema.createIndex('loyalty_entries_ref').on('loyalty_entries').column('ref_entry_id').execute();
  await db.schema.createIndex('loyalty_lots_release').on('loyalty_lots').columns(['release_at']).execute();
  await db.schema
    .createIndex('loyalty_lots_order')
    .on('loyalty_lots')
    .columns(['order_id', 'line_no'])
    .execute();
}
