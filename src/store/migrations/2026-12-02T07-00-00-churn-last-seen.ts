import type { Kysely } from 'kysely';

/**
 * `churn_scores.last_seen_at`: the customer's latest order, visit, product view, email open or
 * click before the scoring cut-off (ISO UTC), or null when the store sends no browsing or email
 * events at all (then silence says nothing). The decisioning reads it to tell a customer who is
 * still around from one who has already gone quiet (a churn save for the first, win-back later for
 * the second).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('churn_scores').addColumn('last_seen_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('churn_scores').dropColumn('last_seen_at').execute();
}
