import { sql, type Kysely } from 'kysely';
import type { Database, Store } from './database.js';

export type Tx = Kysely<Database>;

/** Advisory lock id that serialises writers of events and identities on PostgreSQL. */
const INGEST_LOCK = 726_150_001;

/**
 * Runs `fn` in one write transaction, serialised with every other writer:
 * SQLite `BEGIN IMMEDIATE` (takes the write lock up front, so two processes never deadlock on an
 * upgrade); PostgreSQL a transaction-scoped advisory lock (identity resolution reads then writes).
 */
export async function writeTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (store.dialect === 'sqlite') {
    return store.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (e) {
        await sql`rollback`.execute(conn);
        throw e;
      }
    });
  }
  return store.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${INGEST_LOCK})`.execute(tx);
    return fn(tx);
  });
}

/** Splits rows into chunks that stay under the backends' bound-parameter limits. */
export function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
