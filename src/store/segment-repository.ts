/**
 * Segment runs, memberships and transitions (app/segments.ts): the SegmentStore port over a store,
 * and the per-event update's port over the ingestion transaction.
 */
import { sql } from 'kysely';
import type {
  RfmInputs,
  SegmentMembershipRow,
  SegmentStore,
  SegmentTransitionRow,
  SegmentWriteTx,
} from '../app/segments.js';
import type { DialectName, Store } from './database.js';
import { chunks, inList, insertMany, writeTransaction, type Tx } from './transaction.js';

async function upsertMemberships(tx: Tx, rows: readonly SegmentMembershipRow[]): Promise<void> {
  for (const part of chunks(rows, 500)) {
    if (part.length === 0) continue;
    await tx
      .insertInto('customer_segments')
      .values(part)
      .onConflict((oc) =>
        oc.column('customer_id').doUpdateSet((eb) => ({
          run_id: eb.ref('excluded.run_id'),
          last_order_at: eb.ref('excluded.last_order_at'),
          frequency: eb.ref('excluded.frequency'),
          monetary_minor: eb.ref('excluded.monetary_minor'),
          recency_days: eb.ref('excluded.recency_days'),
          r: eb.ref('excluded.r'),
          f: eb.ref('excluded.f'),
          m: eb.ref('excluded.m'),
          segment: eb.ref('excluded.segment'),
          cluster: eb.ref('excluded.cluster'),
          evaluated_at: eb.ref('excluded.evaluated_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

async function recordTransitions(
  tx: Tx,
  dialect: DialectName,
  rows: readonly SegmentTransitionRow[],
): Promise<void> {
  await insertMany(tx, dialect, 'segment_transitions', rows, { ignoreConflictOn: ['id'] });
}

const num = (v: unknown): number => Number(v);

export function segmentStore(store: Store): SegmentStore {
  const db = store.db;
  return {
    async latestRun() {
      return (
        (await db
          .selectFrom('segment_runs')
          .selectAll()
          .orderBy('computed_at', 'desc')
          .orderBy('id', 'desc')
          .executeTakeFirst()) ?? null
      );
    },
    async memberships() {
      const rows = await db.selectFrom('customer_segments').selectAll().orderBy('customer_id').execute();
      return rows.map(normalise);
    },
    async saveRun(run, rows, transitions) {
      await writeTransaction(store, async (tx) => {
        await tx.insertInto('segment_runs').values(run).execute();
        await tx.deleteFrom('customer_segments').execute();
        await insertMany(tx, store.dialect, 'customer_segments', rows);
        await recordTransitions(tx, store.dialect, transitions);
      });
    },
    async saveRefresh(rows, transitions) {
      await writeTransaction(store, async (tx) => {
        await upsertMemberships(tx, rows);
        await recordTransitions(tx, store.dialect, transitions);
      });
    },
    async transitionsSince(q) {
      let query = db.selectFrom('segment_transitions').selectAll().where('at', '>=', q.since);
      if (q.from !== undefined) query = query.where('from_segment', '=', q.from);
      if (q.to !== undefined) query = query.where('to_segment', '=', q.to);
      const rows = await query.orderBy('at').orderBy('id').limit(q.limit).execute();
      return rows.map((r) => ({ ...r, cause: r.cause as SegmentTransitionRow['cause'] }));
    },
  };
}

function normalise(r: SegmentMembershipRow): SegmentMembershipRow {
  return {
    ...r,
    frequency: num(r.frequency),
    monetary_minor: num(r.monetary_minor),
    recency_days: num(r.recency_days),
    r: num(r.r),
    f: num(r.f),
    m: num(r.m),
    cluster: r.cluster === null ? null : num(r.cluster),
  };
}

/** The per-event update's port inside an ingestion transaction. */
export function segmentWriteTx(tx: Tx, dialect: DialectName): SegmentWriteTx {
  return {
    async latestRun() {
      return (
        (await tx
          .selectFrom('segment_runs')
          .select(['id', 'boundaries', 'clusters'])
          .orderBy('computed_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst()) ?? null
      );
    },
    async memberships(ids) {
      const out = new Map<string, SegmentMembershipRow>();
      for (const part of chunks([...new Set(ids)], 256)) {
        const rows = await tx
          .selectFrom('customer_segments')
          .selectAll()
          .where('customer_id', 'in', inList(part))
          .execute();
        for (const r of rows) out.set(r.customer_id, normalise(r));
      }
      return out;
    },
    async rfmInputs(ids) {
      const out = new Map<string, RfmInputs>();
      for (const part of chunks([...new Set(ids)], 256)) {
        const list = inList(part);
        const orders = await sql<{
          customer_id: string;
          n: number | string;
          last: string | null;
          total: number | string | null;
        }>`
          select o.customer_id, count(*) as n, max(o.placed_at) as last, sum(o.base_total_minor) as total
          from orders o
          where o.customer_id in (${sql.join(list)})
            and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
          group by o.customer_id`.execute(tx);
        const refunds = await sql<{ customer_id: string; refunded: number | string | null }>`
          select customer_id, sum(base_amount_minor) as refunded
          from order_updates
          where customer_id in (${sql.join(list)}) and kind = 'refunded'
          group by customer_id`.execute(tx);
        const refunded = new Map(refunds.rows.map((r) => [r.customer_id, num(r.refunded ?? 0)]));
        for (const o of orders.rows)
          out.set(o.customer_id, {
            lastOrderAt: o.last === null ? null : Date.parse(o.last),
            frequency: num(o.n),
            monetaryMinor: num(o.total ?? 0) - (refunded.get(o.customer_id) ?? 0),
          });
      }
      return out;
    },
    upsert: (rows) => upsertMemberships(tx, rows),
    async remove(ids) {
      for (const part of chunks([...new Set(ids)], 256))
        await tx.deleteFrom('customer_segments').where('customer_id', 'in', part).execute();
    },
    record: (rows) => recordTransitions(tx, dialect, rows),
  };
}

/** Member counts per segment and per cluster of the current memberships. */
export async function segmentCounts(
  store: Store,
): Promise<{ segments: Map<string, number>; clusters: Map<number, number>; customers: number }> {
  const bySegment = await store.db
    .selectFrom('customer_segments')
    .select((eb) => ['segment', eb.fn.countAll<number>().as('n')])
    .groupBy('segment')
    .execute();
  const byCluster = await store.db
    .selectFrom('customer_segments')
    .select((eb) => ['cluster', eb.fn.countAll<number>().as('n')])
    .where('cluster', 'is not', null)
    .groupBy('cluster')
    .execute();
  const segments = new Map(bySegment.map((r) => [r.segment, num(r.n)]));
  let customers = 0;
  for (const n of segments.values()) customers += n;
  return { segments, clusters: new Map(byCluster.map((r) => [num(r.cluster), num(r.n)])), customers };
}
