import type { Kysely } from 'kysely';

/**
 * Two ledger indexes no query reads, dropped: every posting paid to keep them (a random page of
 * `loyalty_postings_customer` per posting). Postings are read by entry, by lot or in full (the
 * reconciliation); entries by business key, by member, by rule and by the entry they refer to —
 * never by lot (`entriesFor` looks a member's entries up through `loyalty_entries_customer`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('loyalty_postings_customer').execute();
  await db.schema.dropIndex('loyalty_entries_lot').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('loyalty_postings_customer')
    .on('loyalty_postings')
    .column('customer_id')
    .execute();
  await db.schema
    .createIndex('loyalty_entries_lot')
    .on('loyalty_entries')
    .columns(['lot_id', 'kind'])
    .execute();
}
