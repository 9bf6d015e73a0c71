import type { Kysely } from 'kysely';

/**
 * Loyalty indexes for the hot paths.
 *
 * Dropped, because no query reads them and every posting paid to keep them (a random page of
 * `loyalty_postings_customer` per posting): postings are read by entry, by lot or in full (the
 * reconciliation); entries by business key, by member, by rule and by the entry they refer to —
 * never by lot (`entriesFor` looks a member's entries up through `loyalty_entries_customer`).
 *
 * Added: a member's challenges by status. `GET /v1/loyalty/me` reads the member's active ones;
 * with only `loyalty_challenges_status (status, ends_at)` and the unique (customer, kind, period)
 * to choose from, SQLite searched the status index — every member's active challenges, per request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('loyalty_postings_customer').execute();
  await db.schema.dropIndex('loyalty_entries_lot').execute();
  await db.schema
    .createIndex('loyalty_challenges_customer')
    .on('loyalty_challenges')
    .columns(['customer_id', 'status', 'starts_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('loyalty_challenges_customer').execute();
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
