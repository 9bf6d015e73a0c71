/** Which customer an id names: the one lookup every endpoint and repository shares. */
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * The surviving customer's Patron id for a Patron id (`cus_…`) or the store's userId, following
 * merges (a merged customer points at the one it was merged into). Null when no such customer.
 * One statement in the usual case (the identity and the customer row together); a merge chain
 * costs one more per hop.
 */
export async function resolveCustomerId(db: Kysely<Database>, idOrUserId: string): Promise<string | null> {
  const first = (
    await sql<{ id: string; merged_into: string | null }>`
      select c.id, c.merged_into from customers c
      where c.id = coalesce((select i.customer_id from identities i where i.key = ${`user:${idOrUserId}`}), ${idOrUserId})`.execute(
      db,
    )
  ).rows[0];
  if (!first) return null;
  if (first.merged_into === null) return first.id;
  let id = first.merged_into;
  // A merge chain is short; the bound only guards against a corrupt cycle.
  for (let hops = 0; hops < 100; hops++) {
    const row = await db
      .selectFrom('customers')
      .select(['id', 'merged_into'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    if (row.merged_into === null) return row.id;
    id = row.merged_into;
  }
  return null;
}
