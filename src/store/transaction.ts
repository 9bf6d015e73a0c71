import { CompiledQuery, sql, type Insertable, type Kysely } from 'kysely';
import type { Database, DialectName, Store } from './database.js';

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

/**
 * Pads a list used in `IN (…)` to a power-of-two length (repeating its first value), so that the
 * statement text — and the cached prepared statement — is shared between calls.
 */
export function inList<T>(values: readonly T[]): T[] {
  if (values.length === 0) return [];
  let size = 16;
  while (size < values.length) size *= 2;
  const out = values.slice();
  while (out.length < size) out.push(values[0] as T);
  return out;
}

/**
 * Inserts many rows the fastest way for the backend: on SQLite one cached prepared statement run
 * per row (no statement is rebuilt; SQLite is in-process, so a row costs microseconds); on
 * PostgreSQL multi-row statements (one round trip per chunk). With `ignoreConflictOn`, rows whose
 * key exists are skipped. Returns the keys (`returnKey` column) of the rows actually inserted.
 */
export async function insertMany<T extends keyof Database & string>(
  tx: Tx,
  dialect: DialectName,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
  options: { ignoreConflictOn?: ReadonlyArray<string>; returnKey?: string } = {},
): Promise<string[]> {
  if (rows.length === 0) return [];
  const first = rows[0] as Record<string, unknown>;
  const columns = Object.keys(first);
  const conflict = options.ignoreConflictOn;
  const inserted: string[] = [];
  if (dialect === 'sqlite') {
    const cacheKey = `${table}|${columns.join(',')}|${conflict?.join(',') ?? ''}`;
    let text = insertSqlCache.get(cacheKey);
    if (text === undefined) {
      let q = tx.insertInto(table).values(first as never);
      if (conflict) q = q.onConflict((oc) => oc.columns(conflict as never).doNothing());
      text = q.compile().sql;
      insertSqlCache.set(cacheKey, text);
    }
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      const result = await tx.executeQuery(
        CompiledQuery.raw(
          text,
          columns.map((c) => r[c] ?? null),
        ),
      );
      if (options.returnKey && Number(result.numAffectedRows ?? 0) > 0)
        inserted.push(String(r[options.returnKey]));
    }
    return inserted;
  }
  const size = Math.max(1, Math.floor(30_000 / columns.length));
  for (const part of chunks(rows, size)) {
    let q = tx.insertInto(table).values(part as never);
    if (conflict) q = q.onConflict((oc) => oc.columns(conflict as never).doNothing());
    if (options.returnKey) {
      const out = await q.returning(options.returnKey as never).execute();
      for (const o of out) inserted.push(String((o as Record<string, unknown>)[options.returnKey]));
    } else await q.execute();
  }
  return inserted;
}

const insertSqlCache = new Map<string, string>();
