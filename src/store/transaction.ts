import { CompiledQuery, sql, type Insertable, type Kysely, type QueryResult } from 'kysely';
import { preparePostgres, type Database, type DialectName, type Store } from './database.js';

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
 * Inserts many rows with few statements and no per-call query building: the SQL text for a given
 * table, column list and row count is compiled once by Kysely and reused (SQLite then also reuses
 * the prepared statement). Rows go in chunks of a fixed size; on SQLite the remainder goes in
 * power-of-two pieces so that only a handful of prepared statements exist, on PostgreSQL in one
 * statement (a round trip costs more there than a new statement text). With `ignoreConflictOn`, rows whose key exists
 * are skipped; `returnKey` returns the keys of the rows actually inserted.
 */
export async function insertMany<T extends keyof Database & string>(
  tx: Tx,
  dialect: DialectName,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
  options: { ignoreConflictOn?: ReadonlyArray<string>; returnKey?: string } = {},
): Promise<string[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0] as object);
  const chunk = dialect === 'sqlite' ? 64 : Math.min(512, Math.floor(30_000 / columns.length));
  const inserted: string[] = [];
  let offset = 0;
  while (offset < rows.length) {
    let n = Math.min(chunk, rows.length - offset);
    // SQLite: power-of-two pieces keep the number of cached prepared statements small. PostgreSQL:
    // exact sizes, one round trip per chunk (its statements are not prepared, only the text is cached).
    if (dialect === 'sqlite') while (n & (n - 1)) n &= n - 1;
    const part = rows.slice(offset, offset + n) as ReadonlyArray<Record<string, unknown>>;
    offset += n;
    const text = insertSql(tx, dialect, table, columns, n, options);
    const params: unknown[] = [];
    for (const row of part) for (const c of columns) params.push(row[c] ?? null);
    const result = await tx.executeQuery(CompiledQuery.raw(text, params));
    if (options.returnKey) {
      for (const r of result.rows as Array<Record<string, unknown>>)
        inserted.push(String(r[options.returnKey]));
    }
  }
  return inserted;
}

const insertSqlCache = new Map<string, string>();

function insertSql(
  tx: Tx,
  dialect: DialectName,
  table: string,
  columns: readonly string[],
  rowCount: number,
  options: { ignoreConflictOn?: ReadonlyArray<string>; returnKey?: string },
): string {
  const key = `${dialect}|${table}|${columns.join(',')}|${rowCount}|${options.ignoreConflictOn?.join(',') ?? ''}|${options.returnKey ?? ''}`;
  let text = insertSqlCache.get(key);
  if (text === undefined) {
    const placeholder = Object.fromEntries(columns.map((c) => [c, null]));
    let q = tx
      .insertInto(table as keyof Database)
      .values(Array.from({ length: rowCount }, () => placeholder) as never);
    const conflict = options.ignoreConflictOn;
    if (conflict) q = q.onConflict((oc) => oc.columns(conflict as never).doNothing());
    text = (options.returnKey ? q.returning(options.returnKey as never) : q).compile().sql;
    insertSqlCache.set(key, text);
  }
  return text;
}

const pgTexts = new Map<string, string>();

/**
 * Runs a statement written once with `?` placeholders (numbered `$1…` once for PostgreSQL), with no
 * query building per call: for hot paths, where Kysely's builder and compiler cost about as much
 * as the statement itself. Both backends keep it prepared: SQLite by its text (the statement
 * cache of `openStore`), PostgreSQL as a named statement on each connection (`preparePostgres`).
 */
export function runSql<R>(
  tx: Tx,
  dialect: DialectName,
  text: string,
  params: readonly unknown[] = [],
): Promise<QueryResult<R>> {
  const t = dialect === 'postgres' ? preparedPgText(text) : text;
  return tx.executeQuery<R>(CompiledQuery.raw(t, params as unknown[]));
}

/** A `?` text numbered `$1…` for PostgreSQL, and registered to be kept prepared (`runSql`). */
export function preparedPgText(text: string): string {
  const known = pgTexts.get(text);
  if (known !== undefined) return known;
  let n = 0;
  const t = text.replace(/\?/g, () => `$${++n}`);
  if (pgTexts.size >= 1000) pgTexts.clear();
  pgTexts.set(text, t);
  preparePostgres(t);
  return t;
}

/**
 * PostgreSQL: several statements, values inlined as literals, in one round trip (the simple query
 * protocol; the extended one, with parameters, takes one statement at a time). Answers with the
 * result of the last statement that returns rows (or the last). Never prepared: the texts differ
 * with their values.
 */
export function runStatements<R>(tx: Tx, statements: readonly string[]): Promise<QueryResult<R>> {
  return tx.executeQuery<R>(CompiledQuery.raw(statements.join(';\n'), []));
}
