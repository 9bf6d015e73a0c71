/**
 * The database: table types for Kysely, and a connection for a `sqlite:` or `postgres://` URL.
 * Times are ISO 8601 UTC strings (`2025-03-04T10:11:12.000Z`, sortable as text on both backends);
 * money is integer minor units; booleans are 0/1 integers; JSON is text.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { ChurnModelRow, ChurnScoreRow } from '../app/churn.js';
import type { CustomerScore } from '../app/score-customers.js';
import type { SegmentMembershipRow, SegmentRunRow, SegmentTransitionRow } from '../app/segments.js';
import type { AdvocacyRow } from '../app/advocacy.js';
import type { CustomerTimingRow, ReviewRequestRow, TimingRunRow } from '../app/timing.js';
import type { DecisionRow, HumanTaskRow, SignalRow } from '../app/decide.js';
import type { TextAnalysisRow, TextThemeMentionRow } from '../app/text.js';

export interface CustomersTable {
  id: string;
  user_id: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  traits: string | null;
  created_at: string;
  merged_into: string | null;
}

export interface IdentitiesTable {
  key: string;
  kind: string;
  value: string;
  customer_id: string;
  created_at: string;
}

export interface CustomerMergesTable {
  id: string;
  from_customer_id: string;
  into_customer_id: string;
  at: string;
  message_id: string;
  keys: string;
}

export interface EventsTable {
  message_id: string;
  type: string;
  name: string | null;
  known: number;
  customer_id: string;
  timestamp: string;
  received_at: string;
  payload: string;
}

export interface OrdersTable {
  order_id: string;
  customer_id: string;
  message_id: string;
  placed_at: string;
  currency: string;
  total_minor: number;
  base_total_minor: number;
  revenue_minor: number | null;
  discount_minor: number;
  base_discount_minor: number;
  shipping_minor: number;
  tax_minor: number;
  coupon: string | null;
  item_count: number;
}

export interface OrderLinesTable {
  order_id: string;
  line_no: number;
  product_id: string | null;
  sku: string | null;
  name: string | null;
  category: string | null;
  price_minor: number | null;
  base_price_minor: number | null;
  quantity: number;
}

export interface OrderUpdatesTable {
  message_id: string;
  order_id: string | null;
  customer_id: string;
  kind: string;
  at: string;
  amount_minor: number | null;
  currency: string | null;
  base_amount_minor: number | null;
  reason: string | null;
}

export interface ConsentsTable {
  customer_id: string;
  channel: string;
  purpose: string;
  granted: number;
  updated_at: string;
  message_id: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface ImportRunsTable {
  id: string;
  path: string;
  format: string;
  fingerprint: string;
  lines_done: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  status: string;
  started_at: string;
  updated_at: string;
}

export interface ImportRejectsTable {
  run_id: string;
  line: number;
  reason: string;
  content: string;
}

/** Per-customer CLV predictions (`patron score`); the row is the use case's `CustomerScore`. */
export type ClvScoresTable = CustomerScore;

/** Trained churn model versions (`patron churn train`): the use case's `ChurnModelRow`. */
export type ChurnModelsTable = ChurnModelRow;

/** Each customer's latest churn score (`patron churn score`): the use case's `ChurnScoreRow`. */
export type ChurnScoresTable = ChurnScoreRow;

/** Segmentation runs (`patron segments compute`): the use case's `SegmentRunRow`. */
export type SegmentRunsTable = SegmentRunRow;

/** Each customer's current RFM membership: the use case's `SegmentMembershipRow`. */
export type CustomerSegmentsTable = SegmentMembershipRow;

/** Every segment move (from, to, at, cause): the use case's `SegmentTransitionRow`. */
export type SegmentTransitionsTable = SegmentTransitionRow;

/** Advocacy scores (`patron advocacy compute`): the use case's `AdvocacyRow`. */
export type CustomerAdvocacyTable = AdvocacyRow;

/** Send-time runs (`patron timing compute`): store pattern, prior strength, time-to-value. */
export type TimingRunsTable = TimingRunRow;

/** Each customer's send time and channel: the use case's `CustomerTimingRow`. */
export type CustomerTimingTable = CustomerTimingRow;

/** The review request due per delivered order: the use case's `ReviewRequestRow`. */
export type ReviewRequestsTable = ReviewRequestRow;

/** A recommender training run (`patron recommend train`); params and stats are JSON. */
export interface RecommendModelsTable {
  id: string;
  trained_at: string;
  as_of: string;
  params: string;
  stats: string;
}

/** The products the recommender knows, with their popularity (rank 0 = most popular). */
export interface RecommendProductsTable {
  product_id: string;
  name: string | null;
  category: string | null;
  price_minor: number | null;
  buyers: number;
  recent_buyers: number;
  popularity_rank: number;
}

/** Top-K neighbours per product; kind co_purchase | bought_together | content; rank 0 = best. */
export interface ItemSimilaritiesTable {
  product_id: string;
  kind: string;
  rank: number;
  neighbor_id: string;
  score: number;
  support: number;
}

/** Learned re-purchase interval per product (source product | category). */
export interface ReplenishmentIntervalsTable {
  product_id: string;
  category: string | null;
  interval_days: number;
  source: string;
  typical_quantity: number;
  repeat_customers: number;
  gaps: number;
  q1_days: number;
  q3_days: number;
}

/** Each customer's cycled products as of the training run: days are YYYY-MM-DD. */
export interface CustomerReplenishmentTable {
  customer_id: string;
  product_id: string;
  last_purchased_on: string;
  last_quantity: number;
  interval_days: number;
  run_out_on: string;
}
/** Every decision with its inputs, candidates, scores, reason and guardrail verdict (app/decide.ts). */
export type DecisionsTable = DecisionRow;

export type HumanTasksTable = HumanTaskRow;

export interface DecisionOutcomesTable {
  action_id: string;
  segment: string;
  trials: number;
  responses: number;
  updated_at: string;
}

export type DecisionSignalsTable = SignalRow;

/** Analysed customer texts (`patron text analyze-store`): the use case's `TextAnalysisRow`. */
export type TextAnalysesTable = TextAnalysisRow;

/** Theme mentions of the analysed texts, for trends: the use case's `TextThemeMentionRow`. */
export type TextThemeMentionsTable = TextThemeMentionRow;

/** A message in the outbox (src/app/outbox.ts); `variables` is JSON text. */
export interface OutboxMessagesTable {
  id: string;
  idempotency_key: string;
  customer_id: string;
  channel: string;
  purpose: string;
  action_id: string;
  template_id: string;
  variables: string;
  value_minor: number;
  decision_id: string | null;
  experiment_id: string | null;
  variant: string | null;
  not_before: string;
  /** queued | sent | dead | cancelled | suppressed */
  status: string;
  status_reason: string | null;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  provider_message_id: string | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One send attempt of an outbox message: sent | retry | dead. */
export interface OutboxAttemptsTable {
  message_id: string;
  attempt: number;
  worker: string;
  started_at: string;
  finished_at: string;
  outcome: string;
  error: string | null;
}

/** An experiment (src/app/experiments.ts); `variants` and `config` are JSON text. */
export interface ExperimentsTable {
  id: string;
  name: string;
  /** holdout | ab | bandit | global_control */
  kind: string;
  /** running | stopped */
  status: string;
  holdout: number;
  variants: string;
  window_days: number;
  config: string;
  created_at: string;
  updated_at: string;
}

/** The first time a customer met an experiment, and the arm they got (0/1 `at_risk` then). */
export interface ExperimentExposuresTable {
  experiment_id: string;
  customer_id: string;
  variant: string;
  exposed_at: string;
  at_risk: number;
  message_id: string | null;
}

/** Beta-Bernoulli posterior of one bandit arm, refreshed from attributed outcomes. */
export interface BanditArmsTable {
  experiment_id: string;
  arm: string;
  pulls: number;
  successes: number;
  updated_at: string;
}

/** Programme configuration versions (the loyalty ledger); `config` is JSON of `ProgrammeConfig`. */
export interface LoyaltyConfigVersionsTable {
  version: number;
  config: string;
  created_at: string;
  activated_at: string;
  created_by: string;
  note: string | null;
}

/** One row per member: balances cached from the postings (reconcile proves them), and the row a posting locks. */
export interface LoyaltyAccountsTable {
  customer_id: string;
  pending: number;
  available: number;
  debt: number;
  qualifying: number;
  lifetime_earned: number;
  entries: number;
  created_at: string;
  updated_at: string;
}

/** Journal entries: one per business operation, `business_key` unique (order, line, rule, kind …). */
export interface LoyaltyEntriesTable {
  id: string;
  customer_id: string;
  kind: string;
  business_key: string;
  points: number;
  qualifying_delta: number;
  config_version: number;
  rule: string | null;
  order_id: string | null;
  line_no: number | null;
  lot_id: string | null;
  ref_entry_id: string | null;
  effective_at: string;
  created_at: string;
  explanation: string;
  meta: string | null;
}

/** Double-entry postings of the entries: points move `from_account` → `to_account`. */
export interface LoyaltyPostingsTable {
  entry_id: string;
  seq: number;
  customer_id: string;
  from_account: string;
  to_account: string;
  points: number;
  lot_id: string | null;
  created_at: string;
}

/** Credits: what is left pending/available/expired cached from the postings that name the lot. */
export interface LoyaltyLotsTable {
  id: string;
  customer_id: string;
  entry_id: string;
  source: string;
  rule: string | null;
  order_id: string | null;
  line_no: number | null;
  points: number;
  qualifying: number;
  pending: number;
  available: number;
  expired: number;
  release_at: string | null;
  expires_at: string;
  created_at: string;
}

/** Client Idempotency-Keys of loyalty requests: the payload's hash and the answer given. */
export interface LoyaltyIdempotencyTable {
  customer_id: string;
  key: string;
  request_hash: string;
  status: number;
  response: string;
  created_at: string;
}

/** Events already turned into points (exactly once, with the cursor in settings). */
export interface LoyaltyProcessedEventsTable {
  message_id: string;
  processed_at: string;
}

/** Expiry notices due (one per lot), for the messaging side to send. */
export interface LoyaltyNoticesTable {
  lot_id: string;
  customer_id: string;
  points: number;
  expires_at: string;
  created_at: string;
}

/** A member's tier state (src/app/loyalty-programme.ts). */
export interface LoyaltyTiersTable {
  customer_id: string;
  tier_id: string;
  since: string;
  score: number;
  demotion_to: string | null;
  demotion_at: string | null;
  notice_at: string | null;
  reminded: number;
  evaluated_at: string;
}

export interface LoyaltyTierHistoryTable {
  id: string;
  customer_id: string;
  type: string;
  from_tier: string | null;
  to_tier: string | null;
  at: string;
  effective_at: string | null;
  score: number;
  created_at: string;
}

export interface LoyaltyChallengesTable {
  id: string;
  customer_id: string;
  kind: string;
  period_key: string;
  category: string | null;
  title: string;
  target: number;
  baseline: number;
  stretch: number;
  progress: number;
  reward_points: number;
  starts_at: string;
  ends_at: string;
  status: string;
  completed_at: string | null;
  reward_entry_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface LoyaltyChallengeCalibrationTable {
  kind: string;
  stretch: number;
  offered: number;
  completed: number;
  through: string;
  updated_at: string;
}

export interface LoyaltyRewardsTable {
  id: string;
  name: string;
  benefit: string;
  cost_points: number;
  stock: number | null;
  stock_left: number | null;
  eligible_tiers: string | null;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface LoyaltyRewardCodesTable {
  code: string;
  redemption_id: string;
  reward_id: string;
  customer_id: string;
  points: number;
  issued_at: string;
}

export interface LoyaltyReferralCodesTable {
  code: string;
  customer_id: string;
  created_at: string;
}

export interface LoyaltyReferralsTable {
  id: string;
  referrer_id: string;
  referee_id: string;
  code: string;
  referred_at: string;
  decision: string;
  flags: string;
  status: string;
  first_order_id: string | null;
  due_at: string | null;
  rewarded_at: string | null;
  updated_at: string;
}

export interface LoyaltyFlagsTable {
  id: string;
  customer_id: string;
  kind: string;
  detail: string;
  status: string;
  created_at: string;
}

export interface Database {
  customers: CustomersTable;
  identities: IdentitiesTable;
  customer_merges: CustomerMergesTable;
  events: EventsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_updates: OrderUpdatesTable;
  consents: ConsentsTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
  import_runs: ImportRunsTable;
  import_rejects: ImportRejectsTable;
  clv_scores: ClvScoresTable;
  churn_models: ChurnModelsTable;
  churn_scores: ChurnScoresTable;
  segment_runs: SegmentRunsTable;
  customer_segments: CustomerSegmentsTable;
  segment_transitions: SegmentTransitionsTable;
  customer_advocacy: CustomerAdvocacyTable;
  timing_runs: TimingRunsTable;
  customer_timing: CustomerTimingTable;
  review_requests: ReviewRequestsTable;
  recommend_models: RecommendModelsTable;
  recommend_products: RecommendProductsTable;
  item_similarities: ItemSimilaritiesTable;
  replenishment_intervals: ReplenishmentIntervalsTable;
  customer_replenishment: CustomerReplenishmentTable;
  decisions: DecisionsTable;
  human_tasks: HumanTasksTable;
  decision_outcomes: DecisionOutcomesTable;
  decision_signals: DecisionSignalsTable;
  text_analyses: TextAnalysesTable;
  text_theme_mentions: TextThemeMentionsTable;
  outbox_messages: OutboxMessagesTable;
  outbox_attempts: OutboxAttemptsTable;
  experiments: ExperimentsTable;
  experiment_exposures: ExperimentExposuresTable;
  bandit_arms: BanditArmsTable;
  loyalty_config_versions: LoyaltyConfigVersionsTable;
  loyalty_accounts: LoyaltyAccountsTable;
  loyalty_entries: LoyaltyEntriesTable;
  loyalty_postings: LoyaltyPostingsTable;
  loyalty_lots: LoyaltyLotsTable;
  loyalty_idempotency: LoyaltyIdempotencyTable;
  loyalty_processed_events: LoyaltyProcessedEventsTable;
  loyalty_notices: LoyaltyNoticesTable;
  loyalty_tiers: LoyaltyTiersTable;
  loyalty_tier_history: LoyaltyTierHistoryTable;
  loyalty_challenges: LoyaltyChallengesTable;
  loyalty_challenge_calibration: LoyaltyChallengeCalibrationTable;
  loyalty_rewards: LoyaltyRewardsTable;
  loyalty_reward_codes: LoyaltyRewardCodesTable;
  loyalty_referral_codes: LoyaltyReferralCodesTable;
  loyalty_referrals: LoyaltyReferralsTable;
  loyalty_flags: LoyaltyFlagsTable;
}

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./.patron/patron.db';

/**
 * Kysely prepares every query anew; preparing is most of the cost of a small query on SQLite.
 * Statements are cached by their SQL text (an LRU of 512), so repeated query shapes are prepared once.
 */
function withStatementCache(sqlite: SQLite.Database, onCommit: () => void = () => {}): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      if (sqlText === 'commit') onCommit();
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText);
      } else {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= 512) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}

/**
 * The checkpointer's thread: its own connection to the database file, running a passive checkpoint
 * (copy the log's committed pages into the database file; never blocks a writer or a reader) when
 * told that transactions committed, at most once per `minMs`. CommonJS, evaluated as a worker.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
let last = 0;
let timer = null;
parentPort.on('message', (m) => {
  if (m === 'close') {
    if (timer !== null) clearTimeout(timer);
    db.close();
    parentPort.close();
    return;
  }
  timer = setTimeout(() => {
    timer = null;
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    last = Date.now();
    parentPort.postMessage('done');
  }, Math.max(0, last + workerData.minMs - Date.now()));
});
`;

/**
 * SQLite checkpoints on a thread of their own. By default the connection that commits checkpoints
 * as well, whenever the log passes 1,000 pages — inside that commit, on the one thread that runs
 * every query: 12 % of the loyalty ledger's posting time, and a request that triggers one waits
 * for it. Here a worker with its own connection checkpoints after commits instead (started on the
 * first commit; a signal while one is pending or running is dropped), so the log rarely reaches the
 * connection's own threshold, which stays as the backstop. Durability is unchanged: the same
 * passive checkpoint, the same `synchronous = NORMAL` (the log is synced before the database file
 * is written, the file after); only the thread differs. If the worker fails, the connection's own
 * checkpoints carry on as before.
 */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

function backgroundCheckpoints(file: string, minMs = 20): { signal(): void; close(): Promise<void> } {
  let worker: Worker | null = null;
  let pending = false;
  let failed = false;
  return {
    signal() {
      if (pending || failed) return;
      if (worker === null) {
        const w = new Worker(CHECKPOINTER_SOURCE, {
          eval: true,
          workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, minMs },
        });
        w.unref();
        w.on('message', () => {
          pending = false;
        });
        // A worker that failed or ended: the connection's own checkpoints carry on.
        const gone = (): void => {
          failed = true;
          if (worker === w) worker = null;
        };
        w.on('error', gone);
        w.on('exit', gone);
        worker = w;
      }
      pending = true;
      worker.postMessage('checkpoint');
    },
    async close() {
      const w = worker;
      worker = null;
      failed = true;
      if (w === null) return;
      const exited = once(w, 'exit');
      // Referenced again, so that the process waits for it to close its connection.
      w.ref();
      w.postMessage('close');
      await exited;
    },
  };
}

/** The better-sqlite3 connection of a SQLite store, its statements prepared through the store's cache. */
export interface SqliteHandle {
  prepare(text: string): SQLite.Statement;
}
const sqliteHandles = new WeakMap<Kysely<Database>, SqliteHandle>();

/**
 * A SQLite store's connection, for hot paths that run prepared statements directly. Only while
 * the store's connection is held (inside a transaction of `writeTransaction`): there is one
 * connection, and Kysely hands it to one user at a time.
 */
export function sqliteHandleOf(store: Store): SqliteHandle | null {
  return sqliteHandles.get(store.db) ?? null;
}

/**
 * Statement texts that PostgreSQL keeps prepared on every connection (parsed and planned once per
 * connection instead of on every call), with their names. Only the hot paths register theirs
 * (`runSql`): a fixed, small set, bounded here all the same.
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 500;

/** Asks PostgreSQL connections to keep `text` prepared (no effect once the bound is reached). */
export function preparePostgres(text: string): void {
  if (!preparedNames.has(text) && preparedNames.size < MAX_PREPARED)
    preparedNames.set(text, `patron_${preparedNames.size}`);
}

type QueryFn = (text: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * A statement text no server sees: a pooled connection answers it with itself (`{ client }` as its
 * one row), so that code holding a Kysely connection can reach the driver's client — to pipeline
 * statements (send several before the first answer), which Kysely's connection, one query at a
 * time, cannot. See `pgClientOf`.
 */
const CLIENT_TEXT = '-- patron: the connection itself';

/** The pooled `pg` client behind a Kysely connection or transaction (PostgreSQL stores only). */
export async function pgClientOf(db: Kysely<Database>): Promise<pg.PoolClient> {
  const r = await db.executeQuery<{ client: pg.PoolClient }>(CompiledQuery.raw(CLIENT_TEXT, []));
  const client = r.rows[0]?.client;
  if (!client) throw new Error('not a PostgreSQL connection');
  return client;
}

/**
 * Runs the registered texts of a pooled connection as named (prepared) statements, and answers a
 * text of several statements with one result (Kysely reads one): the last that returns rows.
 */
function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFn;
  (client as unknown as { query: QueryFn }).query = (text, values, callback) => {
    if (text === CLIENT_TEXT) return Promise.resolve({ rows: [{ client }], fields: [], rowCount: 1 });
    const name = typeof text === 'string' ? preparedNames.get(text) : undefined;
    if (typeof values === 'function' || callback !== undefined) return query(text, values, callback);
    const result = (
      name === undefined ? query(text, values) : query({ name, text, values })
    ) as Promise<unknown>;
    // Several statements in one text (`runStatements`) answer with a result each: the caller gets
    // the last that returns rows (BEGIN, COMMIT and plain writes return none), or else the last.
    return result.then((r) => {
      if (!Array.isArray(r)) return r;
      const rows = (r as Array<{ fields?: unknown[] }>).filter((x) => (x.fields?.length ?? 0) > 0);
      return rows[rows.length - 1] ?? r[r.length - 1];
    });
  };
}

/**
 * Connections per PostgreSQL store: enough for the API server's concurrent member transactions
 * (each holds one while its member is locked; 16 concurrent clients queued behind 10 connections).
 */
const PG_POOL_SIZE = 20;

/** Opens a database from a URL: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…[?schema=NAME]`. */
export function openStore(url: string): Store {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('cache_size = -65536');
    // Temporary B-trees and the savepoint journals in memory, not in temp files: a group commit runs
    // each member operation in a savepoint, and every page it changes is first copied to the
    // savepoint's journal (entry and lot inserts 43 → 20–28 µs). Nothing there outlives a
    // transaction or matters after a crash: the WAL and `synchronous` are what make commits durable.
    sqlite.pragma('temp_store = memory');
    // Reads of index pages through the memory map skip a copy: about +10% on a bulk import.
    sqlite.pragma('mmap_size = 1073741824');
    const checkpoints = file === ':memory:' ? null : backgroundCheckpoints(file);
    // The backstop: the log's pages mostly copied by the worker already, a checkpoint here has
    // little left to do, and it lets the next commit start the log afresh.
    if (checkpoints) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    const database = withStatementCache(sqlite, checkpoints?.signal);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    sqliteHandles.set(db, { prepare: (text) => database.prepare(text) as unknown as SQLite.Statement });
    return {
      db,
      dialect: 'sqlite',
      url,
      close: async () => {
        await db.destroy();
        await checkpoints?.close();
      },
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema');
    parsed.searchParams.delete('schema');
    if (schema !== null && !/^[a-z_][a-z0-9_]*$/i.test(schema)) {
      throw new Error(`database URL: schema "${schema}" must be a plain identifier`);
    }
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: PG_POOL_SIZE,
      // Statements sent while earlier ones are unanswered go out at once (answered in order): the
      // loyalty ledger sends a posting and its COMMIT in one round trip. Kysely still sends one
      // statement at a time and waits for each, as without it.
      pipeline: true,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          // int8 and numeric (sums, counts) as JS numbers: money and counts stay far below 2^53.
          if (oid === 20 || oid === 1700) return (v: string) => Number(v);
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      },
    });
    pool.on('connect', usePreparedStatements);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', url, close: () => db.destroy() };
  }
  throw new Error(
    `database URL "${url}" is not supported: use sqlite:PATH (e.g. ${DEFAULT_DATABASE_URL}) or postgres://USER@HOST:PORT/DB`,
  );
}
