/**
 * The loyalty ledger's persistence: one transaction per member operation, serialised per member
 * (PostgreSQL: the member's `loyalty_accounts` row is upserted and so row-locked — `INSERT … ON
 * CONFLICT DO UPDATE` takes the lock — until commit; SQLite: `BEGIN IMMEDIATE`, one writer at a
 * time). Inside it the use case reads the member's state, posts entries, and everything commits
 * or nothing does. Entries are unique by business key in the database.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Insertable } from 'kysely';
import pg from 'pg';
import type {
  ConfigVersion,
  EntryRecord,
  Prefetch,
  LedgerStore,
  LotRecord,
  MemberSession,
  NewEntry,
  ReconcileReport,
  StoredResponse,
} from '../app/loyalty-ledger.js';
import { DEFAULT_PROGRAMME_CONFIG, programmeConfigSchema } from '../domain/loyalty/config.js';
import {
  applyPlan,
  balancesFromPostings,
  type AccountName,
  type Lot,
  type MemberState,
} from '../domain/loyalty/ledger.js';
import type {
  LoyaltyAccountsTable,
  LoyaltyEntriesTable,
  LoyaltyIdempotencyTable,
  LoyaltyLotsTable,
  LoyaltyPostingsTable,
  Store,
} from './database.js';
import { pgClientOf, sqliteHandleOf } from './database.js';
import { insertMany, preparedPgText, runSql, writeTransaction, type Tx } from './transaction.js';
import type SQLite from 'better-sqlite3';
import { resolveCustomerId } from './customer-id.js';

/**
 * `led_<time><sequence><process>`: 12 hex digits of milliseconds (never going back within a
 * process), a 5-digit sequence within the millisecond and 8 random hex digits per process, so ids
 * from several processes never collide. Time-ordered so that the entries, postings and lots
 * written by one commit land on the last page of their id indexes (hash-derived ids dirtied a
 * random page of each, for every entry). Exactly once is the business key's job, unique in the
 * database: posting a key again answers with the entry stored under it, whatever id was minted.
 */
const PROCESS_TAG = randomBytes(4).toString('hex');
let lastMs = 0;
let sequence = 0;
export function newEntryId(): string {
  const ms = Math.max(Date.now(), lastMs);
  if (ms === lastMs) sequence++;
  else sequence = 0;
  lastMs = ms;
  if (sequence > 0xfffff) {
    lastMs = ms + 1;
    sequence = 0;
  }
  return `led_${lastMs.toString(16).padStart(12, '0')}${sequence.toString(16).padStart(5, '0')}${PROCESS_TAG}`;
}
/** The lot an entry opens shares its id's suffix: `lot_…`. */
export const lotIdFor = (entryId: string): string => `lot_${entryId.slice(4)}`;

function toLot(r: LoyaltyLotsTable): LotRecord {
  return {
    id: r.id,
    source: r.source as Lot['source'],
    points: Number(r.points),
    pending: Number(r.pending),
    available: Number(r.available),
    expired: Number(r.expired),
    releaseAt: r.release_at,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    entryId: r.entry_id,
    rule: r.rule,
    orderId: r.order_id,
    lineNo: r.line_no,
    qualifying: Number(r.qualifying),
  };
}

function toEntry(r: LoyaltyEntriesTable): EntryRecord {
  return {
    id: r.id,
    customerId: r.customer_id,
    kind: r.kind as EntryRecord['kind'],
    businessKey: r.business_key,
    points: Number(r.points),
    qualifyingDelta: Number(r.qualifying_delta),
    configVersion: r.config_version,
    rule: r.rule,
    orderId: r.order_id,
    lineNo: r.line_no,
    lotId: r.lot_id,
    refEntryId: r.ref_entry_id,
    effectiveAt: r.effective_at,
    createdAt: r.created_at,
    explanation: r.explanation,
    meta: r.meta === null ? null : (JSON.parse(r.meta) as Record<string, unknown>),
  };
}

const CONFIG_TTL_MS = 1000;

export function loyaltyStore(store: Store): LedgerStore {
  const dialect = store.dialect;
  let cached: { at: number; value: ConfigVersion } | null = null;

  /**
   * SQLite: the member operations' statements run on the connection directly, prepared once here,
   * not through Kysely (its executor, connection provider and promises per statement were about
   * as much work as the statements). Only inside the group commit, which holds the connection.
   */
  const sqlite = dialect === 'sqlite' ? sqliteHandleOf(store) : null;
  const statements = new Map<string, SQLite.Statement>();
  const statement = (text: string): SQLite.Statement => {
    let st = statements.get(text);
    if (st === undefined) {
      if (!sqlite) throw new Error('not a SQLite store');
      st = sqlite.prepare(text);
      statements.set(text, st);
    }
    return st;
  };
  /** SQLite: the first row of a statement, or undefined. */
  const one = <R>(text: string, params: unknown[] = []): R | undefined =>
    statement(text).get(params) as R | undefined;
  /** SQLite: runs a statement that returns no rows; the number of rows it changed. */
  const exec = (text: string, params: unknown[] = []): number => statement(text).run(params).changes;
  /** Either backend: the rows of a statement written once. */
  const read = async <R>(tx: Tx, text: string, params: unknown[]): Promise<R[]> =>
    sqlite ? (statement(text).all(params) as R[]) : (await runSql<R>(tx, dialect, text, params)).rows;

  /** SQLite: the entry, its postings, the new lot and the lots it moved; false if the business key was posted. */
  function postSqlite(
    entry: EntryRow,
    postings: PostingRow[],
    lot: LoyaltyLotsTable | null,
    lotUpdates: Lot[],
  ): boolean {
    if (exec(SQL.insertEntry, entryParams(entry)) === 0) return false;
    for (let i = 0; i < postings.length; i += POSTINGS_PER_INSERT) {
      const part = postings.slice(i, i + POSTINGS_PER_INSERT);
      exec(insertPostingsText(part.length), postingParams(part));
    }
    if (lot) exec(SQL.insertLot, lotParams(lot));
    for (const l of lotUpdates) exec(SQL.updateLot, [l.pending, l.available, l.expired, l.id]);
    return true;
  }

  async function activeConfig(db: Tx, now: string): Promise<ConfigVersion> {
    const row = await db
      .selectFrom('loyalty_config_versions')
      .selectAll()
      .where('activated_at', '<=', now)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row)
      return { version: 0, config: DEFAULT_PROGRAMME_CONFIG, activatedAt: null, note: 'built-in defaults' };
    return {
      version: row.version,
      config: programmeConfigSchema.parse(JSON.parse(row.config)),
      activatedAt: row.activated_at,
      note: row.note,
    };
  }

  async function configFor(db: Tx, now: string, wallMs: number): Promise<ConfigVersion> {
    if (cached && wallMs - cached.at < CONFIG_TTL_MS) return cached.value;
    const value = await activeConfig(db, now);
    cached = { at: wallMs, value };
    return value;
  }

  async function inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (store.dialect === 'sqlite') return writeTransaction(store, fn);
    return store.db.transaction().execute(fn);
  }

  /**
   * SQLite group commit: member operations that arrive while a transaction is running wait, then
   * run together in the next `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint (one that throws
   * is rolled back alone). SQLite has one writer at a time anyway; committing once per group
   * instead of once per operation writes each changed page to the log once. Nobody is answered
   * before the commit that holds their operation.
   */
  type Job = {
    fn: (tx: Tx) => Promise<unknown>;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  };
  const queue: Job[] = [];
  let draining = false;
  const GROUP = 64;

  async function drain(): Promise<void> {
    draining = true;
    try {
      // Let the callers whose last operation just committed (or that are about to start one) queue
      // theirs first: without this pause the next group would often be the one operation that
      // happened to arrive first, and the rest would wait for a second commit.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (queue.length > 0) {
        const group = queue.splice(0, GROUP);
        const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
        try {
          await writeTransaction(store, async (tx) => {
            for (const job of group) {
              exec('savepoint member');
              try {
                const value = await job.fn(tx);
                exec('release member');
                outcomes.push({ ok: true, value });
              } catch (error) {
                exec('rollback to member');
                exec('release member');
                outcomes.push({ ok: false, error });
              }
            }
          });
        } catch (error) {
          for (const job of group) job.reject(error);
          continue;
        }
        group.forEach((job, i) => {
          const o = outcomes[i];
          if (o?.ok) job.resolve(o.value);
          else job.reject(o ? o.error : new Error('lost'));
        });
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      draining = false;
    }
  }

  /**
   * One member's transaction, the account row upserted first (created on first use; on PostgreSQL
   * locked until commit). `fn` answers with its value and, on PostgreSQL, the statements that end
   * the operation (writes nobody reads back, as literal SQL), sent with the COMMIT.
   *
   * PostgreSQL, in round trips: BEGIN, the upsert and the operation's first reads (`prefetch`) go
   * out together (the connection pipelines: it sends statements before the answers to the earlier
   * ones arrive); then the posting, the closing statements and the COMMIT. The posting is sent
   * *speculatively* — its entry inserted without `on conflict do nothing`, and `post` answering
   * "posted" without waiting — so that the COMMIT follows it on the wire. If the business key was
   * posted before after all, the insert fails on the unique key, the transaction is rolled back
   * (the COMMIT behind a failed statement commits nothing), and the operation runs again in a new
   * transaction without speculation, where `post` answers "already posted" as it always did.
   * Exactly once stays the database's unique business key either way.
   */
  function inMemberTransaction<T>(
    customerId: string,
    now: string,
    fn: (
      tx: Tx,
      account: LoyaltyAccountsTable,
      pgc: PgSession | null,
    ) => Promise<{ value: T; closing: string[] }>,
    opening?: Prefetch,
  ): Promise<T> {
    if (dialect === 'postgres') {
      const attempt = (speculative: boolean): Promise<T> =>
        store.db.connection().execute(async (conn) => {
          const client = await pgClientOf(conn);
          const pgc: PgSession = { client, speculative, inflight: [], conflicted: false, opened: null };
          try {
            // BEGIN, the account locked (its row, prepared: no new row version, unlike an upsert)
            // and the first reads, in one write; the account is created only the first time.
            holdWrites(client);
            const begun = quiet(client.query('begin'));
            const locked = quiet(
              client.query(preparedPgText(SQL.lockAccount), [customerId]) as Promise<
                pg.QueryResult<LoyaltyAccountsTable>
              >,
            );
            const read = opening ? quiet(pgPrefetch(client, customerId, opening)) : null;
            await begun;
            const account =
              (await locked).rows[0] ??
              (
                (await client.query(preparedPgText(SQL.upsertAccount), [
                  customerId,
                  now,
                  now,
                ])) as pg.QueryResult<LoyaltyAccountsTable>
              ).rows[0];
            if (read) pgc.opened = await read;
            if (!account) throw new Error(`the account of ${customerId} could not be read`);
            const { value, closing } = await fn(conn, account, pgc);
            const committed = client.query([...closing, 'commit'].join(';\n'));
            await Promise.all([...pgc.inflight, committed]);
            return value;
          } catch (error) {
            await Promise.allSettled(pgc.inflight);
            // Whatever failed, nothing of the operation stays (after a failed COMMIT batch the
            // transaction is over already, and the rollback only warns).
            await client.query('rollback').catch(() => undefined);
            if (pgc.conflicted) throw new SpeculationFailed();
            throw error;
          }
        });
      return attempt(true).catch((error: unknown) => {
        if (error instanceof SpeculationFailed) return attempt(false);
        throw error;
      });
    }
    const job = async (tx: Tx): Promise<T> => {
      // SQLite holds the write lock already (BEGIN IMMEDIATE): a read, and an insert only the first time.
      const account =
        one<LoyaltyAccountsTable>(SQL.account, [customerId]) ??
        one<LoyaltyAccountsTable>(SQL.upsertAccount, [customerId, now, now]);
      if (!account) throw new Error(`the account of ${customerId} could not be read`);
      return (await fn(tx, account, null)).value;
    };
    return new Promise<T>((resolve, reject) => {
      queue.push({ fn: job, resolve: resolve as (v: unknown) => void, reject });
      if (!draining) void drain();
    });
  }

  return {
    dialect: store.dialect,

    async withMember<T>(
      customerId: string,
      now: string,
      fn: (s: MemberSession) => Promise<T>,
      opening?: Prefetch,
    ): Promise<T> {
      return inMemberTransaction(
        customerId,
        now,
        async (tx, account, pgc) => {
          const config = await configFor(tx, now, Date.now());
          let state: MemberState = {
            pending: Number(account.pending),
            available: Number(account.available),
            debt: Number(account.debt),
            qualifying: Number(account.qualifying),
            lots: [],
          };
          let lifetime = Number(account.lifetime_earned);
          let entries = Number(account.entries);
          const lotInfo = new Map<string, LotRecord>();
          let openLoaded = false;
          let dirty = false;
          const processed: string[] = [];
          const closing: string[] = [];

          const addLots = (rows: LoyaltyLotsTable[]): void => {
            const known = new Set(state.lots.map((l) => l.id));
            const extra: Lot[] = [];
            for (const r of rows) {
              if (known.has(r.id)) continue;
              const lot = toLot(r);
              lotInfo.set(lot.id, lot);
              extra.push(lot);
            }
            if (extra.length) state = { ...state, lots: [...state.lots, ...extra] };
          };

          // What `prefetch` read, answered by `findEntry` / `storedResponse` until the session writes.
          const prefetchedEntries = new Map<string, LoyaltyEntriesTable | null>();
          const prefetchedResponses = new Map<string, LoyaltyIdempotencyTable | null>();
          const forgetPrefetched = (): void => {
            prefetchedEntries.clear();
            prefetchedResponses.clear();
          };

          const takePrefetched = (q: Prefetch, row: PrefetchRow | null): void => {
            if (q.storedResponse !== undefined)
              prefetchedResponses.set(q.storedResponse, row?.response ?? null);
            if (q.entry !== undefined) prefetchedEntries.set(q.entry, row?.entry ?? null);
            if (q.openLots === true && !openLoaded) {
              openLoaded = true;
              addLots(row?.lots ?? []);
            }
          };
          if (pgc?.opened !== null && pgc?.opened !== undefined && opening)
            takePrefetched(opening, pgc.opened);

          const session: MemberSession = {
            customerId,
            config,
            handle: tx,
            state: () => state,
            async prefetch(asked) {
              // Only what is not known yet (what the transaction's opening read stays known until a write).
              const q: Prefetch = {
                ...(asked.storedResponse !== undefined && !prefetchedResponses.has(asked.storedResponse)
                  ? { storedResponse: asked.storedResponse }
                  : {}),
                ...(asked.entry !== undefined && !prefetchedEntries.has(asked.entry)
                  ? { entry: asked.entry }
                  : {}),
                openLots: asked.openLots === true && !openLoaded,
              };
              const lots = q.openLots === true;
              if (q.storedResponse === undefined && q.entry === undefined && !lots) return;
              if (pgc) {
                takePrefetched(q, await pgPrefetch(pgc.client, customerId, q));
                return;
              }
              // SQLite answers each in microseconds, in process: nothing to gain from one statement.
              if (q.storedResponse !== undefined) {
                const key = q.storedResponse;
                prefetchedResponses.set(
                  key,
                  one<LoyaltyIdempotencyTable>(SQL.storedResponse, [customerId, key]) ?? null,
                );
              }
              if (q.entry !== undefined) {
                prefetchedEntries.set(q.entry, one<LoyaltyEntriesTable>(SQL.findEntry, [q.entry]) ?? null);
              }
              if (lots) await session.loadOpenLots();
            },
            async loadOpenLots() {
              if (openLoaded) return;
              openLoaded = true;
              addLots(await read<LoyaltyLotsTable>(tx, SQL.openLots, [customerId]));
            },
            async loadLot(lotId) {
              const known = lotInfo.get(lotId);
              if (known) return { ...known, ...(state.lots.find((l) => l.id === lotId) as Lot) };
              const row = await tx
                .selectFrom('loyalty_lots')
                .selectAll()
                .where('id', '=', lotId)
                .where('customer_id', '=', customerId)
                .executeTakeFirst();
              if (!row) return null;
              addLots([row]);
              return toLot(row);
            },
            async findEntry(businessKey) {
              const row = prefetchedEntries.has(businessKey)
                ? prefetchedEntries.get(businessKey)
                : (await read<LoyaltyEntriesTable>(tx, SQL.findEntry, [businessKey]))[0];
              return row ? toEntry(row) : null;
            },
            async entriesFor(query) {
              let q = tx.selectFrom('loyalty_entries').selectAll().where('customer_id', '=', customerId);
              if (query.lotId !== undefined) q = q.where('lot_id', '=', query.lotId);
              if (query.refEntryId !== undefined) q = q.where('ref_entry_id', '=', query.refEntryId);
              if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
              if (query.orderId !== undefined) q = q.where('order_id', '=', query.orderId);
              return (await q.orderBy('created_at').orderBy('id').execute()).map(toEntry);
            },
            async lotsOfOrder(orderId) {
              const rows = await tx
                .selectFrom('loyalty_lots')
                .selectAll()
                .where('customer_id', '=', customerId)
                .where('order_id', '=', orderId)
                .where('source', '=', 'earn')
                .orderBy('line_no')
                .execute();
              addLots(rows);
              return rows.map((r) => ({ ...toLot(r), ...(state.lots.find((l) => l.id === r.id) as Lot) }));
            },
            async countRule(rule, start, end) {
              const r = await tx
                .selectFrom('loyalty_entries')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('customer_id', '=', customerId)
                .where('rule', '=', rule)
                // A literal, not a parameter: the planners then know the partial index covers it.
                .where('kind', '=', sql.lit('bonus'))
                .where('effective_at', '>=', start)
                .where('effective_at', '<', end)
                .executeTakeFirstOrThrow();
              return Number(r.n);
            },
            async post(entry: NewEntry) {
              forgetPrefetched();
              const { plan } = entry;
              const next = applyPlan(state, plan);
              const createdAt = entry.createdAt;
              const entryRow = {
                id: entry.id,
                customer_id: customerId,
                kind: plan.kind,
                business_key: entry.businessKey,
                points: plan.points,
                qualifying_delta: plan.qualifyingDelta,
                config_version: config.version,
                rule: entry.rule,
                order_id: entry.orderId,
                line_no: entry.lineNo,
                lot_id: entry.lotId,
                ref_entry_id: entry.refEntryId,
                effective_at: entry.effectiveAt,
                created_at: createdAt,
                explanation: entry.explanation,
                meta: entry.meta === null ? null : JSON.stringify(entry.meta),
              };
              const postingRows = plan.postings.map((p, seq) => ({
                entry_id: entry.id,
                seq,
                customer_id: customerId,
                from_account: p.from,
                to_account: p.to,
                points: p.points,
                lot_id: p.lotId,
                created_at: createdAt,
              }));
              const touched = new Set(
                plan.postings.map((p) => p.lotId).filter((id): id is string => id !== null),
              );
              let lotRow: LoyaltyLotsTable | null = null;
              if (plan.newLot) {
                const lot = next.lots.find((l) => l.id === plan.newLot?.id) as Lot;
                touched.delete(lot.id);
                lotRow = {
                  id: lot.id,
                  customer_id: customerId,
                  entry_id: entry.id,
                  source: lot.source,
                  rule: entry.rule,
                  order_id: entry.orderId,
                  line_no: entry.lineNo,
                  points: lot.points,
                  qualifying: plan.qualifyingDelta,
                  pending: lot.pending,
                  available: lot.available,
                  expired: lot.expired,
                  release_at: lot.releaseAt,
                  expires_at: lot.expiresAt,
                  created_at: lot.createdAt,
                };
              }
              const lotUpdates = [...touched].map((id) => next.lots.find((l) => l.id === id) as Lot);
              const nextLifetime =
                plan.kind === 'earn' || plan.kind === 'bonus' || (plan.kind === 'adjust' && plan.newLot)
                  ? lifetime + plan.points
                  : plan.kind === 'reverse'
                    ? lifetime - plan.points
                    : lifetime;
              const accountAfter: AccountValues = {
                pending: next.pending,
                available: next.available,
                debt: next.debt,
                qualifying: next.qualifying,
                lifetime_earned: nextLifetime,
                entries: entries + 1,
                updated_at: now,
              };
              const inserted = pgc
                ? await postOnePostgres(pgc, entryRow, postingRows, lotRow, lotUpdates, accountAfter)
                : postSqlite(entryRow, postingRows, lotRow, lotUpdates);
              // A business key already posted: nothing was written and nothing changes.
              if (!inserted) return false;
              state = next;
              if (lotRow) {
                lotInfo.set(lotRow.id, {
                  ...(next.lots.find((l) => l.id === lotRow?.id) as Lot),
                  entryId: entry.id,
                  rule: entry.rule,
                  orderId: entry.orderId,
                  lineNo: entry.lineNo,
                  qualifying: plan.qualifyingDelta,
                });
              }
              lifetime = nextLifetime;
              entries += 1;
              // PostgreSQL wrote the account's new balances in the posting's own statement.
              dirty = dialect !== 'postgres';
              return true;
            },
            async isProcessed(messageId) {
              const row = await tx
                .selectFrom('loyalty_processed_events')
                .select('message_id')
                .where('message_id', '=', messageId)
                .executeTakeFirst();
              return row !== undefined;
            },
            async markProcessed(messageId) {
              processed.push(messageId);
            },
            async storedResponse(key) {
              const row = prefetchedResponses.has(key)
                ? prefetchedResponses.get(key)
                : (await read<LoyaltyIdempotencyTable>(tx, SQL.storedResponse, [customerId, key]))[0];
              return row
                ? {
                    requestHash: row.request_hash,
                    status: row.status,
                    body: JSON.parse(row.response) as unknown,
                  }
                : null;
            },
            async storeResponse(key, response: StoredResponse, createdAt) {
              forgetPrefetched();
              const params = [
                customerId,
                key,
                response.requestHash,
                response.status,
                JSON.stringify(response.body),
                createdAt,
              ];
              if (pgc) {
                // Read by no one in this session: sent without waiting, the COMMIT right behind it.
                pgc.inflight.push(quiet(pgc.client.query(preparedPgText(SQL.storeResponse), params)));
                return;
              }
              exec(SQL.storeResponse, params);
            },
          };
          const result = await fn(session);
          const accountRow = {
            pending: state.pending,
            available: state.available,
            debt: state.debt,
            qualifying: state.qualifying,
            lifetime_earned: lifetime,
            entries,
            updated_at: now,
          };
          if (dialect === 'postgres') {
            if (dirty)
              closing.push(
                `update loyalty_accounts set pending = ${literal(accountRow.pending)}, available = ${literal(accountRow.available)}, debt = ${literal(accountRow.debt)}, qualifying = ${literal(accountRow.qualifying)}, lifetime_earned = ${literal(accountRow.lifetime_earned)}, entries = ${literal(accountRow.entries)}, updated_at = ${literal(now)} where customer_id = ${literal(customerId)}`,
              );
            if (processed.length > 0)
              closing.push(
                `insert into loyalty_processed_events (message_id, processed_at) values ${processed
                  .map((m) => `(${literal(m)}, ${literal(now)})`)
                  .join(', ')} on conflict (message_id) do nothing`,
              );
          } else {
            if (dirty) {
              exec(SQL.updateAccount, [
                accountRow.pending,
                accountRow.available,
                accountRow.debt,
                accountRow.qualifying,
                accountRow.lifetime_earned,
                accountRow.entries,
                accountRow.updated_at,
                customerId,
              ]);
            }
            if (processed.length > 0) {
              await tx
                .insertInto('loyalty_processed_events')
                .values(processed.map((m) => ({ message_id: m, processed_at: now })))
                .onConflict((oc) => oc.column('message_id').doNothing())
                .execute();
            }
          }
          return { value: result, closing };
        },
        opening,
      );
    },

    // Cached for a second, like the posting path: a new version is seen by every process within 1 s.
    activeConfig: (now) => configFor(store.db, now, Date.now()),

    async activateConfig(input) {
      const config = programmeConfigSchema.parse(input.config);
      return inTransaction(async (tx) => {
        const last = await tx
          .selectFrom('loyalty_config_versions')
          .select((eb) => eb.fn.max('version').as('v'))
          .executeTakeFirst();
        const version = Number(last?.v ?? 0) + 1;
        await tx
          .insertInto('loyalty_config_versions')
          .values({
            version,
            config: JSON.stringify(config),
            created_at: input.now,
            activated_at: input.activateAt ?? input.now,
            created_by: input.by,
            note: input.note ?? null,
          })
          .execute();
        cached = null;
        return { version, config, activatedAt: input.activateAt ?? input.now, note: input.note ?? null };
      });
    },

    async configVersions() {
      const rows = await store.db
        .selectFrom('loyalty_config_versions')
        .selectAll()
        .orderBy('version')
        .execute();
      return rows.map((r) => ({
        version: r.version,
        config: programmeConfigSchema.parse(JSON.parse(r.config)),
        activatedAt: r.activated_at,
        note: r.note,
      }));
    },

    async dueLots(kind, now, limit) {
      let q = store.db.selectFrom('loyalty_lots').select(['id', 'customer_id']);
      q =
        kind === 'release'
          ? q.where('pending', '>', 0).where('release_at', '<=', now)
          : q
              .where('expires_at', '<=', now)
              .where((eb) => eb.or([eb('pending', '>', 0), eb('available', '>', 0)]));
      const rows = await q.orderBy('id').limit(limit).execute();
      return rows.map((r) => ({ lotId: r.id, customerId: r.customer_id }));
    },

    async birthdayCandidates(monthDays) {
      if (monthDays.length === 0) return [];
      // A coarse filter in SQL (a birthday-like trait and one of the dates as the end of a string
      // value); the exact reading is the domain's (birthdayOf). Current customers only.
      const dates = monthDays.map((md) => sql`traits like ${`%${md}"%`}`);
      const rows = await sql<{ id: string; traits: string }>`
        select id, traits from customers
        where merged_into is null and traits is not null and lower(traits) like '%birth%'
          and (${sql.join(dates, sql` or `)})
        order by id`.execute(store.db);
      return rows.rows.map((r) => ({
        customerId: r.id,
        traits: JSON.parse(r.traits) as Record<string, unknown>,
      }));
    },

    async recordExpiryNotices(now, until) {
      const rows = await store.db
        .selectFrom('loyalty_lots')
        .select(['id', 'customer_id', 'available', 'expires_at'])
        .where('available', '>', 0)
        .where('expires_at', '>', now)
        .where('expires_at', '<=', until)
        .where('id', 'not in', (eb) => eb.selectFrom('loyalty_notices').select('lot_id'))
        .execute();
      if (rows.length === 0) return 0;
      await insertMany(
        store.db,
        store.dialect,
        'loyalty_notices',
        rows.map((r) => ({
          lot_id: r.id,
          customer_id: r.customer_id,
          points: Number(r.available),
          expires_at: r.expires_at,
          created_at: now,
        })),
        { ignoreConflictOn: ['lot_id'] },
      );
      return rows.length;
    },

    async account(customerId) {
      const [row, lots] = await Promise.all([
        store.db
          .selectFrom('loyalty_accounts')
          .selectAll()
          .where('customer_id', '=', customerId)
          .executeTakeFirst(),
        store.db
          .selectFrom('loyalty_lots')
          .selectAll()
          .where('customer_id', '=', customerId)
          .where((eb) => eb.or([eb('pending', '>', 0), eb('available', '>', 0)]))
          .execute(),
      ]);
      if (!row) return null;
      return {
        state: {
          pending: Number(row.pending),
          available: Number(row.available),
          debt: Number(row.debt),
          qualifying: Number(row.qualifying),
          lots: lots.map(toLot),
        },
        lifetimeEarned: Number(row.lifetime_earned),
      };
    },

    async history(customerId, limit) {
      const rows = await store.db
        .selectFrom('loyalty_entries')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },

    async qualifyingCredit(customerId, since) {
      const r = await store.db
        .selectFrom('loyalty_entries')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('qualifying_delta'), sql<number>`0`).as('q'))
        .where('customer_id', '=', customerId)
        .where('effective_at', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(r.q);
    },

    async reconcile(): Promise<ReconcileReport> {
      return reconcileLedger(store);
    },

    customerIdFor: (idOrUserId) => resolveCustomerId(store.db, idOrUserId),
  };
}

/**
 * Recomputes every balance from nothing but the postings and compares: member accounts, lots,
 * qualifying credit (from the entries), and that no cached balance is negative. Sums over the
 * whole ledger balance to zero by construction (each posting leaves one account and enters another);
 * the report also shows the system accounts' totals.
 */
async function reconcileLedger(store: Store): Promise<ReconcileReport> {
  const db = store.db;
  const agg = (account: string, column: 'from_account' | 'to_account') =>
    db
      .selectFrom('loyalty_postings')
      .select(['customer_id', (eb) => eb.fn.sum<number>('points').as('p')])
      .where(column, '=', account)
      .groupBy('customer_id');
  const derived = new Map<string, { pending: number; available: number; debt: number }>();
  const get = (id: string) => {
    let d = derived.get(id);
    if (!d) derived.set(id, (d = { pending: 0, available: 0, debt: 0 }));
    return d;
  };
  for (const account of ['pending', 'available', 'debt'] as const) {
    for (const [column, sign] of [
      ['to_account', 1],
      ['from_account', -1],
    ] as const) {
      for (const r of await agg(account, column).execute()) {
        const d = get(r.customer_id);
        d[account] += sign * Number(r.p);
      }
    }
  }
  const qualifying = new Map<string, number>();
  for (const r of await db
    .selectFrom('loyalty_entries')
    .select(['customer_id', (eb) => eb.fn.sum<number>('qualifying_delta').as('q')])
    .groupBy('customer_id')
    .execute()) {
    qualifying.set(r.customer_id, Number(r.q));
  }
  const mismatches: Array<ReconcileReport['mismatches'][number]> = [];
  const accounts = await db.selectFrom('loyalty_accounts').selectAll().execute();
  let pending = 0;
  let available = 0;
  let debt = 0;
  for (const a of accounts) {
    const d = derived.get(a.customer_id) ?? { pending: 0, available: 0, debt: 0 };
    const cached = {
      pending: Number(a.pending),
      available: Number(a.available),
      debt: Number(a.debt),
      qualifying: Number(a.qualifying),
    };
    const fromPostings = {
      pending: d.pending,
      available: d.available,
      debt: -d.debt,
      qualifying: qualifying.get(a.customer_id) ?? 0,
    };
    for (const k of ['pending', 'available', 'debt', 'qualifying'] as const) {
      if (cached[k] !== fromPostings[k]) {
        mismatches.push({
          customerId: a.customer_id,
          what: k,
          cached: cached[k],
          fromPostings: fromPostings[k],
        });
      }
      if (cached[k] < 0)
        mismatches.push({
          customerId: a.customer_id,
          what: `${k} < 0`,
          cached: cached[k],
          fromPostings: fromPostings[k],
        });
    }
    pending += cached.pending;
    available += cached.available;
    debt += cached.debt;
    derived.delete(a.customer_id);
  }
  for (const [customerId, d] of derived) {
    mismatches.push({
      customerId,
      what: 'postings without an account',
      cached: 0,
      fromPostings: d.available + d.pending,
    });
  }

  // Lots: remaining pending/available/expired from the postings that carry each lot's id.
  const lotSums = new Map<string, { pending: number; available: number; expired: number }>();
  const rows = await db
    .selectFrom('loyalty_postings')
    .select(['lot_id', 'from_account', 'to_account', (eb) => eb.fn.sum<number>('points').as('p')])
    .where('lot_id', 'is not', null)
    .groupBy(['lot_id', 'from_account', 'to_account'])
    .execute();
  const perLot = new Map<
    string,
    Array<{ from: AccountName; to: AccountName; points: number; lotId: string }>
  >();
  for (const r of rows) {
    const id = r.lot_id as string;
    const list = perLot.get(id) ?? [];
    list.push({
      from: r.from_account as AccountName,
      to: r.to_account as AccountName,
      points: Number(r.p),
      lotId: id,
    });
    perLot.set(id, list);
  }
  for (const [id, list] of perLot) {
    const b = balancesFromPostings(list).lots.get(id);
    if (b) lotSums.set(id, b);
  }
  let lotsChecked = 0;
  for (const lot of await db
    .selectFrom('loyalty_lots')
    .select(['id', 'customer_id', 'points', 'pending', 'available', 'expired'])
    .execute()) {
    lotsChecked++;
    const s = lotSums.get(lot.id) ?? { pending: 0, available: 0, expired: 0 };
    for (const k of ['pending', 'available', 'expired'] as const) {
      if (Number(lot[k]) !== s[k]) {
        mismatches.push({
          customerId: lot.customer_id,
          what: `lot ${lot.id} ${k}`,
          cached: Number(lot[k]),
          fromPostings: s[k],
        });
      }
    }
    if (s.pending + s.available + s.expired > Number(lot.points) || s.pending < 0 || s.available < 0) {
      mismatches.push({
        customerId: lot.customer_id,
        what: `lot ${lot.id} out of bounds`,
        cached: Number(lot.points),
        fromPostings: s.pending + s.available + s.expired,
      });
    }
  }

  const system: Record<string, number> = {};
  for (const r of await db
    .selectFrom('loyalty_postings')
    .select(['from_account', 'to_account', (eb) => eb.fn.sum<number>('points').as('p')])
    .groupBy(['from_account', 'to_account'])
    .execute()) {
    system[r.to_account] = (system[r.to_account] ?? 0) + Number(r.p);
    system[r.from_account] = (system[r.from_account] ?? 0) - Number(r.p);
  }
  const total = Object.values(system).reduce((s, v) => s + v, 0);
  const counts = await db
    .selectFrom('loyalty_postings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const entryCount = await db
    .selectFrom('loyalty_entries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    ok: mismatches.length === 0 && total === 0,
    members: accounts.length,
    entries: Number(entryCount.n),
    postings: Number(counts.n),
    lots: lotsChecked,
    totals: { pending, available, debt },
    accounts: system,
    sumOfAllAccounts: total,
    mismatches: mismatches.slice(0, 100),
    mismatchCount: mismatches.length,
  };
}

/** New time-ordered entry ids (`newEntryId`) and the lot id of an entry. */
export const ledgerIds = { entryId: (_businessKey: string) => newEntryId(), lotId: lotIdFor };

const SECRET_KEY = 'loyalty.secret';

/** The store's loyalty secret (signs customer tokens), kept in settings; created on first use. */
export function loyaltySecretStore(store: Store): {
  get(): Promise<string | null>;
  getOrCreate(now: string, create: () => string): Promise<string>;
} {
  const get = async (): Promise<string | null> => {
    const row = await store.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', SECRET_KEY)
      .executeTakeFirst();
    return row ? (JSON.parse(row.value) as { secret: string }).secret : null;
  };
  return {
    get,
    async getOrCreate(now, create) {
      const existing = await get();
      if (existing) return existing;
      await store.db
        .insertInto('settings')
        .values({ key: SECRET_KEY, value: JSON.stringify({ secret: create() }), updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return (await get()) as string;
    },
  };
}

type EntryRow = Insertable<LoyaltyEntriesTable>;
type PostingRow = Insertable<LoyaltyPostingsTable>;
type AccountValues = Pick<
  LoyaltyAccountsTable,
  'pending' | 'available' | 'debt' | 'qualifying' | 'lifetime_earned' | 'entries' | 'updated_at'
>;

const ENTRY_COLUMNS = [
  'id',
  'customer_id',
  'kind',
  'business_key',
  'points',
  'qualifying_delta',
  'config_version',
  'rule',
  'order_id',
  'line_no',
  'lot_id',
  'ref_entry_id',
  'effective_at',
  'created_at',
  'explanation',
  'meta',
] as const;
const LOT_COLUMNS = [
  'id',
  'customer_id',
  'entry_id',
  'source',
  'rule',
  'order_id',
  'line_no',
  'points',
  'qualifying',
  'pending',
  'available',
  'expired',
  'release_at',
  'expires_at',
  'created_at',
] as const;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The statements of a member operation, written once (`runSql`): building them with Kysely on
 * every call cost about a tenth of a posting's time.
 */
const SQL = {
  upsertAccount: `insert into loyalty_accounts (customer_id, pending, available, debt, qualifying, lifetime_earned, entries, created_at, updated_at)
    values (?, 0, 0, 0, 0, 0, 0, ?, ?) on conflict (customer_id) do update set customer_id = excluded.customer_id returning *`,
  account: `select * from loyalty_accounts where customer_id = ?`,
  lockAccount: `select * from loyalty_accounts where customer_id = ? for update`,
  updateAccount: `update loyalty_accounts set pending = ?, available = ?, debt = ?, qualifying = ?, lifetime_earned = ?, entries = ?, updated_at = ? where customer_id = ?`,
  openLots: `select * from loyalty_lots where customer_id = ? and (pending > 0 or available > 0)`,
  findEntry: `select * from loyalty_entries where business_key = ?`,
  storedResponse: `select * from loyalty_idempotency where customer_id = ? and "key" = ?`,
  storeResponse: `insert into loyalty_idempotency (customer_id, "key", request_hash, status, response, created_at) values (?, ?, ?, ?, ?, ?)`,
  insertEntry: `insert into loyalty_entries (${ENTRY_COLUMNS.join(', ')}) values (${marks(ENTRY_COLUMNS.length)})
    on conflict (business_key) do nothing`,
  insertLot: `insert into loyalty_lots (${LOT_COLUMNS.join(', ')}) values (${marks(LOT_COLUMNS.length)})`,
  updateLot: `update loyalty_lots set pending = ?, available = ?, expired = ? where id = ?`,
};

/**
 * A value as a PostgreSQL literal, for the statements sent in one simple-protocol round trip
 * (which takes no parameters): strings through the driver's `escapeLiteral`, integers as digits.
 */
function literal(v: string | number | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  return pg.escapeLiteral(v);
}

interface PrefetchRow {
  response: LoyaltyIdempotencyTable | null;
  entry: LoyaltyEntriesTable | null;
  lots: LoyaltyLotsTable[] | null;
}

/** PostgreSQL: a session's prefetch in one statement (the rows as JSON), text by shape. */
function pgPrefetchText(response: boolean, entry: boolean, lots: boolean): string {
  const parts = [
    response
      ? `(select row_to_json(i) from loyalty_idempotency i where i.customer_id = ? and i."key" = ?) as response`
      : `null::json as response`,
    entry
      ? `(select row_to_json(e) from loyalty_entries e where e.business_key = ?) as entry`
      : `null::json as entry`,
    lots
      ? `(select coalesce(json_agg(l), '[]'::json) from loyalty_lots l where l.customer_id = ? and (l.pending > 0 or l.available > 0)) as lots`
      : `null::json as lots`,
  ];
  return `select ${parts.join(', ')}`;
}

const entryParams = (e: EntryRow): unknown[] => ENTRY_COLUMNS.map((c) => e[c] ?? null);
const lotParams = (l: LoyaltyLotsTable): unknown[] => LOT_COLUMNS.map((c) => l[c] ?? null);

const POSTING_COLUMNS = [
  'entry_id',
  'seq',
  'customer_id',
  'from_account',
  'to_account',
  'points',
  'lot_id',
  'created_at',
] as const;
const POSTINGS_PER_INSERT = 16;
const insertPostingsText = (n: number): string =>
  `insert into loyalty_postings (${POSTING_COLUMNS.join(', ')}) values ${Array.from({ length: n }, () => `(${marks(POSTING_COLUMNS.length)})`).join(', ')}`;
const postingParams = (rows: PostingRow[]): unknown[] => {
  const out: unknown[] = [];
  for (const r of rows) for (const c of POSTING_COLUMNS) out.push(r[c] ?? null);
  return out;
};

/**
 * PostgreSQL: the entry, its postings, the new lot, the lots it moved and the account's new
 * balances in one statement (one round trip). Every part but the entry runs only if the entry was
 * inserted (its business key new). The text depends only on the shape (how many postings and
 * moved lots, whether a lot is opened), so it is built once per shape.
 */
const pgPostTexts = new Map<string, string>();
function pgPostText(postings: number, lot: boolean, lotUpdates: number, speculative: boolean): string {
  const key = `${postings}|${lot}|${lotUpdates}|${speculative}`;
  let text = pgPostTexts.get(key);
  if (text !== undefined) return text;
  const parts = [
    `e as (insert into loyalty_entries (${ENTRY_COLUMNS.join(', ')}) values (${marks(ENTRY_COLUMNS.length)})
      ${speculative ? '' : 'on conflict (business_key) do nothing '}returning id)`,
  ];
  if (postings > 0) {
    const row = '(?::text, ?::integer, ?::text, ?::text, ?::text, ?::bigint, ?::text, ?::text)';
    parts.push(`p as (insert into loyalty_postings (entry_id, seq, customer_id, from_account, to_account, points, lot_id, created_at)
      select v.entry_id, v.seq, v.customer_id, v.from_account, v.to_account, v.points, v.lot_id, v.created_at
      from (values ${Array.from({ length: postings }, () => row).join(', ')}) as v(entry_id, seq, customer_id, from_account, to_account, points, lot_id, created_at)
      where exists (select 1 from e))`);
  }
  if (lot) {
    parts.push(`l as (insert into loyalty_lots (${LOT_COLUMNS.join(', ')})
      select ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::integer, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::text, ?::text, ?::text
      where exists (select 1 from e))`);
  }
  if (lotUpdates > 0) {
    const row = '(?::text, ?::bigint, ?::bigint, ?::bigint)';
    parts.push(`u as (update loyalty_lots set pending = v.pending, available = v.available, expired = v.expired
      from (values ${Array.from({ length: lotUpdates }, () => row).join(', ')}) as v(id, pending, available, expired)
      where loyalty_lots.id = v.id and exists (select 1 from e))`);
  }
  parts.push(`a as (update loyalty_accounts set pending = ?::bigint, available = ?::bigint, debt = ?::bigint,
      qualifying = ?::bigint, lifetime_earned = ?::bigint, entries = ?::integer, updated_at = ?::text
      where customer_id = ?::text and exists (select 1 from e))`);
  text = `with ${parts.join(', ')} select count(*)::integer as n from e`;
  pgPostTexts.set(key, text);
  return text;
}

async function postOnePostgres(
  pgc: PgSession,
  e: EntryRow,
  postings: PostingRow[],
  lot: LoyaltyLotsTable | null,
  lotUpdates: Lot[],
  account: AccountValues,
): Promise<boolean> {
  const params = entryParams(e);
  for (const p of postings)
    params.push(
      p.entry_id,
      p.seq,
      p.customer_id,
      p.from_account,
      p.to_account,
      p.points,
      p.lot_id ?? null,
      p.created_at,
    );
  if (lot) params.push(...lotParams(lot));
  for (const l of lotUpdates) params.push(l.id, l.pending, l.available, l.expired);
  params.push(
    account.pending,
    account.available,
    account.debt,
    account.qualifying,
    account.lifetime_earned,
    account.entries,
    account.updated_at,
    e.customer_id,
  );
  const text = preparedPgText(pgPostText(postings.length, lot !== null, lotUpdates.length, pgc.speculative));
  // Prepared (parsed and planned once per connection): inlining the values to send the COMMIT in
  // the same message cost the server more in parsing and planning than the round trip saved.
  if (pgc.speculative) holdWrites(pgc.client);
  const sent = pgc.client.query(text, params) as Promise<pg.QueryResult<{ n: number }>>;
  if (pgc.speculative) {
    // Not waited for: the statements after it (and the COMMIT) follow it on the wire. A business
    // key posted before fails it on the unique key, and the operation runs again (see inMemberTransaction).
    const watched = sent.catch((error: unknown) => {
      if (isBusinessKeyConflict(error)) pgc.conflicted = true;
      throw error;
    });
    watched.catch(() => undefined);
    pgc.inflight.push(watched);
    return true;
  }
  return Number((await sent).rows[0]?.n ?? 0) === 1;
}

/** A PostgreSQL member transaction: its connection's client and what is in flight on it. */
interface PgSession {
  readonly client: pg.PoolClient;
  /** Postings sent without waiting, their entries inserted without `on conflict do nothing`. */
  readonly speculative: boolean;
  readonly inflight: Array<Promise<unknown>>;
  /** A speculative posting met a business key posted before. */
  conflicted: boolean;
  /** What the transaction's opening read (its `Prefetch`). */
  opened: PrefetchRow | null;
}

/**
 * Holds what is written to the connection's socket until the current turn of the event loop ends
 * (its promise callbacks included), so that statements sent one after another without waiting —
 * a posting and the COMMIT the operation sends as it returns — leave in one write, one TCP segment:
 * one wake-up of the server instead of two.
 */
function holdWrites(client: pg.PoolClient): void {
  const stream = (
    client as unknown as { connection?: { stream?: NodeJS.WritableStream & Partial<Corkable> } }
  ).connection?.stream;
  if (!stream?.cork || !stream.uncork) return;
  stream.cork();
  process.nextTick(() => stream.uncork?.());
}
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The promise itself, marked as handled: its rejection is read later, where it is awaited. */
function quiet<P extends Promise<unknown>>(p: P): P {
  p.catch(() => undefined);
  return p;
}

/** A speculative posting met its business key already posted: run again without speculation. */
class SpeculationFailed extends Error {}

const isBusinessKeyConflict = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === '23505' &&
  (error as { constraint?: unknown }).constraint === 'loyalty_entries_business_key_key';

/** PostgreSQL: a session's reads in one statement (the rows as JSON), sent at once on `client`. */
async function pgPrefetch(
  client: pg.PoolClient,
  customerId: string,
  q: Prefetch,
): Promise<PrefetchRow | null> {
  const lots = q.openLots === true;
  const params: unknown[] = [];
  if (q.storedResponse !== undefined) params.push(customerId, q.storedResponse);
  if (q.entry !== undefined) params.push(q.entry);
  if (lots) params.push(customerId);
  const text = preparedPgText(pgPrefetchText(q.storedResponse !== undefined, q.entry !== undefined, lots));
  const r = (await client.query(text, params)) as pg.QueryResult<PrefetchRow>;
  return r.rows[0] ?? null;
}
