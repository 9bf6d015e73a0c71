/**
 * Segments use cases: the full run (`patron segments compute`: RFM quintiles, named segments,
 * behavioural clusters, stored per customer), the time-driven refresh (`patron segments refresh`:
 * recency moves with time alone), the per-event update during ingestion (an order, refund or
 * cancellation re-scores that customer against the kept boundaries), and transitions since a time
 * (the trigger the decisioning engine reads: "Loyal → At Risk").
 */
import { createHash } from 'node:crypto';
import type { ClusterModel } from '../domain/models/segments/clusters.js';
import { computeSegments, recencyDaysAt, refreshMemberships } from '../domain/models/segments/compute.js';
import { rfmScore, SEGMENTS, type RfmBoundaries, type SegmentName } from '../domain/models/segments/rfm.js';
import { createRandom } from '../domain/random.js';
import { err, ok, type Result } from '../domain/result.js';
import { segmentInput, type CustomerSignalSource } from './customer-signals.js';

/** A full run as stored: boundaries and the cluster model as JSON text. */
export interface SegmentRunRow {
  id: string;
  computed_at: string;
  as_of: string;
  customers: number;
  boundaries: string;
  clusters: string;
}

/** A customer's current membership; `evaluated_at` is the as-of time of the scores. */
export interface SegmentMembershipRow {
  customer_id: string;
  run_id: string;
  last_order_at: string;
  frequency: number;
  monetary_minor: number;
  recency_days: number;
  r: number;
  f: number;
  m: number;
  segment: string;
  cluster: number | null;
  evaluated_at: string;
  updated_at: string;
}

export type TransitionCause = 'event' | 'time' | 'recompute';

/** One move between segments (from null: the customer entered segmentation). */
export interface SegmentTransitionRow {
  id: string;
  customer_id: string;
  from_segment: string | null;
  to_segment: string;
  at: string;
  cause: TransitionCause;
  cause_event: string | null;
  recorded_at: string;
}

export interface SegmentStore {
  latestRun(): Promise<SegmentRunRow | null>;
  memberships(): Promise<SegmentMembershipRow[]>;
  /** Stores a run, replaces every membership with its rows and records transitions, in one transaction. */
  saveRun(
    run: SegmentRunRow,
    rows: readonly SegmentMembershipRow[],
    transitions: readonly SegmentTransitionRow[],
  ): Promise<void>;
  /** Updates memberships and records transitions in one transaction. */
  saveRefresh(
    rows: readonly SegmentMembershipRow[],
    transitions: readonly SegmentTransitionRow[],
  ): Promise<void>;
  transitionsSince(options: TransitionQuery): Promise<SegmentTransitionRow[]>;
}

export interface TransitionQuery {
  /** ISO time: transitions at or after it. */
  readonly since: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
}

export type SegmentsError =
  | { type: 'InvalidDate'; message: string }
  | { type: 'InsufficientData'; message: string }
  | { type: 'NoRun'; message: string };

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A transition's id: the same move recorded twice (a replay, a retry) has the same id. */
export function transitionId(
  customerId: string,
  from: string | null,
  to: string,
  at: string,
  cause: string | null,
): string {
  return `sgt_${createHash('sha256')
    .update(`${customerId}|${from ?? ''}|${to}|${at}|${cause ?? ''}`)
    .digest('hex')
    .slice(0, 24)}`;
}

function transition(
  customerId: string,
  from: string | null,
  to: string,
  at: number,
  cause: TransitionCause,
  causeEvent: string | null,
  recordedAt: string,
): SegmentTransitionRow {
  const atIso = iso(at);
  return {
    id: transitionId(customerId, from, to, atIso, causeEvent ?? cause),
    customer_id: customerId,
    from_segment: from,
    to_segment: to,
    at: atIso,
    cause,
    cause_event: causeEvent,
    recorded_at: recordedAt,
  };
}

/** Parses `YYYY-MM-DD` (end of that day) or an ISO instant; null when neither. */
export function parseAsOf(value: string): number | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const t = Date.parse(`${value}T00:00:00.000Z`);
    return Number.isNaN(t) ? null : t + DAY;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

export interface SegmentSummary {
  readonly runId: string;
  readonly asOf: string;
  readonly customers: number;
  readonly segments: ReadonlyArray<{ readonly segment: SegmentName; readonly customers: number }>;
  readonly clusters: ClusterModel['clusters'];
  readonly k: number;
  readonly silhouettes: ClusterModel['silhouettes'];
  readonly boundaries: RfmBoundaries;
  readonly transitions: number;
}

/**
 * Scores and clusters every customer with an order as of `asOf` (default: the end of the day of
 * the latest order), replaces the memberships and records a transition for every customer whose
 * segment differs from the stored one (from null for customers new to segmentation).
 */
export async function computeSegmentsRun(
  source: CustomerSignalSource,
  store: SegmentStore,
  options: { asOf?: string; now: Date; seed?: number },
): Promise<Result<SegmentSummary, SegmentsError>> {
  const all = await source.load();
  const buyers = all.filter((s) => s.orders.length > 0);
  if (buyers.length === 0)
    return err({ type: 'InsufficientData', message: 'the store has no orders to segment' });
  let asOf: number;
  if (options.asOf !== undefined) {
    const t = parseAsOf(options.asOf);
    if (t === null)
      return err({
        type: 'InvalidDate',
        message: `--as-of: "${options.asOf}" is not a date (YYYY-MM-DD) or an ISO time`,
      });
    asOf = t;
  } else {
    let last = 0;
    for (const b of buyers) last = Math.max(last, b.orders[b.orders.length - 1]!.at);
    asOf = (Math.floor(last / DAY) + 1) * DAY;
  }
  // Only orders before the as-of time count.
  const cut = buyers
    .map((s) => ({ ...s, orders: s.orders.filter((o) => o.at < asOf) }))
    .filter((s) => s.orders.length > 0);
  if (cut.length === 0) return err({ type: 'InsufficientData', message: 'no orders before the as-of time' });
  const input = segmentInput(cut, asOf);
  const run = computeSegments(input, asOf, createRandom(options.seed ?? 42));
  const computedAt = options.now.toISOString();
  const runId = `sgr_${computedAt.replace(/[-:.TZ]/g, '').slice(0, 14)}_${createHash('sha256')
    .update(JSON.stringify(run.boundaries) + JSON.stringify(run.clusters.centroids))
    .digest('hex')
    .slice(0, 8)}`;
  const previous = new Map((await store.memberships()).map((m) => [m.customer_id, m.segment]));
  const asOfIso = iso(asOf);
  const rows: SegmentMembershipRow[] = [];
  const transitions: SegmentTransitionRow[] = [];
  cut.forEach((s, i) => {
    const segment = SEGMENTS[run.segment[i] as number]!;
    rows.push({
      customer_id: s.customerId,
      run_id: runId,
      last_order_at: iso(input.lastOrderAt[i] as number),
      frequency: input.orders[i] as number,
      monetary_minor: Math.round(input.monetaryMinor[i] as number),
      recency_days: recencyDaysAt(input.lastOrderAt[i] as number, asOf),
      r: run.r[i] as number,
      f: run.f[i] as number,
      m: run.m[i] as number,
      segment,
      cluster: run.cluster[i] as number,
      evaluated_at: asOfIso,
      updated_at: computedAt,
    });
    const before = previous.get(s.customerId) ?? null;
    if (before !== segment)
      transitions.push(transition(s.customerId, before, segment, asOf, 'recompute', null, computedAt));
  });
  await store.saveRun(
    {
      id: runId,
      computed_at: computedAt,
      as_of: asOfIso,
      customers: rows.length,
      boundaries: JSON.stringify(run.boundaries),
      clusters: JSON.stringify(run.clusters),
    },
    rows,
    transitions,
  );
  const counts = new Map<SegmentName, number>(SEGMENTS.map((s) => [s, 0]));
  for (const r of rows) counts.set(r.segment as SegmentName, (counts.get(r.segment as SegmentName) ?? 0) + 1);
  return ok({
    runId,
    asOf: asOfIso,
    customers: rows.length,
    segments: SEGMENTS.map((segment) => ({ segment, customers: counts.get(segment) ?? 0 })),
    clusters: run.clusters.clusters,
    k: run.clusters.k,
    silhouettes: run.clusters.silhouettes,
    boundaries: run.boundaries,
    transitions: transitions.length,
  });
}

export interface RefreshSummary {
  readonly asOf: string;
  readonly customers: number;
  readonly transitions: number;
  readonly moves: ReadonlyArray<{ readonly from: string; readonly to: string; readonly customers: number }>;
}

/**
 * The daily refresh: recency grows with time alone, so re-score every stored membership as of
 * `asOf` (default: now, or the last run's as-of time when that is later — a synthetic store can
 * lie in the future) with the kept boundaries and record the time-driven transitions.
 */
export async function refreshSegments(
  store: SegmentStore,
  options: { asOf?: string; now: Date },
): Promise<Result<RefreshSummary, SegmentsError>> {
  const run = await store.latestRun();
  if (!run)
    return err({ type: 'NoRun', message: 'no segmentation yet: run `patron segments compute` first' });
  const boundaries = JSON.parse(run.boundaries) as RfmBoundaries;
  let asOf: number;
  if (options.asOf !== undefined) {
    const t = parseAsOf(options.asOf);
    if (t === null)
      return err({
        type: 'InvalidDate',
        message: `--as-of: "${options.asOf}" is not a date (YYYY-MM-DD) or an ISO time`,
      });
    asOf = t;
  } else asOf = Math.max(options.now.getTime(), Date.parse(run.as_of));
  const memberships = await store.memberships();
  const stale = memberships.filter((m) => Date.parse(m.evaluated_at) < asOf);
  const { changes, scores } = refreshMemberships(
    stale.map((m) => ({
      customerId: m.customer_id,
      lastOrderAt: Date.parse(m.last_order_at),
      frequency: m.frequency,
      monetaryMinor: m.monetary_minor,
      segment: m.segment as SegmentName,
      evaluatedAt: Date.parse(m.evaluated_at),
    })),
    boundaries,
    asOf,
  );
  const recordedAt = options.now.toISOString();
  const asOfIso = iso(asOf);
  const rows = stale.map((m, i) => {
    const s = scores[i]!;
    return {
      ...m,
      recency_days: s.recencyDays,
      r: s.r,
      f: s.f,
      m: s.m,
      segment: s.to,
      evaluated_at: asOfIso,
      updated_at: recordedAt,
    };
  });
  const transitions = changes.map((c) =>
    transition(c.customerId, c.from, c.to, c.at, 'time', null, recordedAt),
  );
  await store.saveRefresh(rows, transitions);
  const moves = new Map<string, number>();
  for (const c of changes) moves.set(`${c.from}→${c.to}`, (moves.get(`${c.from}→${c.to}`) ?? 0) + 1);
  return ok({
    asOf: asOfIso,
    customers: rows.length,
    transitions: transitions.length,
    moves: [...moves]
      .map(([k, n]) => {
        const [from, to] = k.split('→') as [string, string];
        return { from, to, customers: n };
      })
      .sort((a, b) => b.customers - a.customers),
  });
}

// --- the per-event update during ingestion ----------------------------------------------------

/** The latest event of a batch that changed a customer's orders or refunds. */
export interface SegmentCause {
  readonly customerId: string;
  readonly messageId: string;
  /** Event time (epoch ms): the as-of time of the re-score. */
  readonly at: number;
}

/** A customer's R/F/M inputs as stored now. */
export interface RfmInputs {
  readonly lastOrderAt: number | null;
  readonly frequency: number;
  readonly monetaryMinor: number;
}

/** What the per-event update needs inside the ingestion transaction (store/segment-repository.ts). */
export interface SegmentWriteTx {
  latestRun(): Promise<{ id: string; boundaries: string; clusters: string } | null>;
  memberships(customerIds: readonly string[]): Promise<Map<string, SegmentMembershipRow>>;
  rfmInputs(customerIds: readonly string[]): Promise<Map<string, RfmInputs>>;
  upsert(rows: readonly SegmentMembershipRow[]): Promise<void>;
  remove(customerIds: readonly string[]): Promise<void>;
  record(transitions: readonly SegmentTransitionRow[]): Promise<void>;
}

/**
 * Re-scores the customers an event batch touched against the last run's kept boundaries, without
 * re-scoring the store: their R/F/M from the stored orders and refunds as of the causing event,
 * their segment, and a transition when it changed (cause: the event's messageId). Customers merged
 * away lose their membership (the survivor is re-scored). The cluster is kept (it is re-fitted by
 * the next full run); a customer new to segmentation has no cluster until then.
 * Does nothing before the first full run.
 */
export async function updateSegmentsAfterEvents(
  tx: SegmentWriteTx,
  causes: readonly SegmentCause[],
  mergedAway: readonly string[],
  recordedAt: string,
): Promise<number> {
  if (causes.length === 0 && mergedAway.length === 0) return 0;
  const run = await tx.latestRun();
  if (!run) return 0;
  if (mergedAway.length > 0) await tx.remove(mergedAway);
  if (causes.length === 0) return 0;
  const boundaries = JSON.parse(run.boundaries) as RfmBoundaries;
  const ids = causes.map((c) => c.customerId);
  const [current, inputs] = await Promise.all([tx.memberships(ids), tx.rfmInputs(ids)]);
  const rows: SegmentMembershipRow[] = [];
  const removed: string[] = [];
  const transitions: SegmentTransitionRow[] = [];
  for (const c of causes) {
    const prev = current.get(c.customerId);
    const v = inputs.get(c.customerId);
    if (!v || v.lastOrderAt === null || v.frequency === 0) {
      // Every order cancelled: out of segmentation.
      if (prev) removed.push(c.customerId);
      continue;
    }
    const asOf = Math.max(c.at, v.lastOrderAt);
    const recencyDays = recencyDaysAt(v.lastOrderAt, asOf);
    const s = rfmScore({ recencyDays, frequency: v.frequency, monetaryMinor: v.monetaryMinor }, boundaries);
    rows.push({
      customer_id: c.customerId,
      run_id: prev?.run_id ?? run.id,
      last_order_at: iso(v.lastOrderAt),
      frequency: v.frequency,
      monetary_minor: v.monetaryMinor,
      recency_days: recencyDays,
      r: s.r,
      f: s.f,
      m: s.m,
      segment: s.segment,
      cluster: prev?.cluster ?? null,
      evaluated_at: iso(asOf),
      updated_at: recordedAt,
    });
    const from = prev?.segment ?? null;
    if (from !== s.segment)
      transitions.push(transition(c.customerId, from, s.segment, c.at, 'event', c.messageId, recordedAt));
  }
  if (removed.length > 0) await tx.remove(removed);
  await tx.upsert(rows);
  await tx.record(transitions);
  return transitions.length;
}

/** Transitions since a time, optionally between given segments ("Loyal" → "At Risk"). */
export async function transitionsSince(
  store: SegmentStore,
  query: { since: string; from?: string; to?: string; limit?: number },
): Promise<Result<SegmentTransitionRow[], SegmentsError>> {
  const t = parseAsOf(query.since);
  if (t === null)
    return err({ type: 'InvalidDate', message: `since: "${query.since}" is not a date or an ISO time` });
  for (const s of [query.from, query.to])
    if (s !== undefined && !(SEGMENTS as readonly string[]).includes(s))
      return err({ type: 'InvalidDate', message: `"${s}" is not a segment (${SEGMENTS.join(', ')})` });
  const since = /^\d{4}-\d{2}-\d{2}$/.test(query.since) ? `${query.since}T00:00:00.000Z` : iso(t);
  return ok(
    await store.transitionsSince({
      since,
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      limit: query.limit ?? 1000,
    }),
  );
}
