/** Which customer an id names: the one lookup every endpoint and repository shares. */
import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * The surviving customer's Patron id for a Patron id (`cus_…`) or the store's userId, following
 * merges (a merged customer points at the one it was merged into). Null when no such customer.
 */
export async function resolveCustomerId(db: Kysely<Database>, idOrUserId: string): Promise<string | null> {
  let id =
    (
      await db
        .selectFrom('identities')
        .select('customer_id')
        .where('key', '=', `user:${idOrUserId}`)
        .executeTakeFirst()
    )?.customer_id ?? idOrUserId;
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
