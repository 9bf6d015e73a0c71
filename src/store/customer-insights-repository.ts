/**
 * The profile's `insights` section: the customer's RFM segment and cluster, advocacy score, and
 * send time and channel (with the next best send time), each null until its first run.
 */
import { bestSendTime, sendTimeProfile, WEEKDAYS } from '../app/timing.js';
import type { ClusterModel } from '../domain/models/segments/clusters.js';
import type { Store } from './database.js';

export interface CustomerInsights {
  segment: {
    segment: string;
    r: number;
    f: number;
    m: number;
    recencyDays: number;
    frequency: number;
    monetaryMinor: number;
    evaluatedAt: string;
    runId: string;
    /** When the customer entered the current segment (the latest transition), null if unknown. */
    since: string | null;
    cluster: { id: number; description: string } | null;
  } | null;
  advocacy: {
    score: number;
    components: Record<string, number>;
    reasons: string[];
    computedAt: string;
  } | null;
  timing: {
    timezone: string;
    opens: number;
    clicks: number;
    bestLocalHour: number;
    bestWeekday: string;
    channel: string;
    channelShares: Record<string, number>;
    /** Posterior share of responses per local hour, 7 rows (Monday first) × 24 hours. */
    hoursOfWeek: number[][];
    nextSendAt: string;
    computedAt: string;
  } | null;
}

export async function findCustomerInsights(
  store: Store,
  customerId: string,
  now = new Date(),
): Promise<CustomerInsights> {
  const db = store.db;
  const [segment, since, advocacy, timing] = await Promise.all([
    db.selectFrom('customer_segments').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
    db
      .selectFrom('segment_transitions')
      .select(['at', 'to_segment'])
      .where('customer_id', '=', customerId)
      .orderBy('at', 'desc')
      .orderBy('recorded_at', 'desc')
      .executeTakeFirst(),
    db.selectFrom('customer_advocacy').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
    db.selectFrom('customer_timing').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
  ]);
  let cluster: { id: number; description: string } | null = null;
  if (segment && segment.cluster !== null) {
    const run = await db
      .selectFrom('segment_runs')
      .select('clusters')
      .where('id', '=', segment.run_id)
      .executeTakeFirst();
    const c = run ? (JSON.parse(run.clusters) as ClusterModel).clusters[Number(segment.cluster)] : undefined;
    if (c) cluster = { id: c.cluster, description: c.description };
  }
  return {
    segment: segment
      ? {
          segment: segment.segment,
          r: Number(segment.r),
          f: Number(segment.f),
          m: Number(segment.m),
          recencyDays: Math.round(Number(segment.recency_days) * 10) / 10,
          frequency: Number(segment.frequency),
          monetaryMinor: Number(segment.monetary_minor),
          evaluatedAt: segment.evaluated_at,
          runId: segment.run_id,
          since: since && since.to_segment === segment.segment ? since.at : null,
          cluster,
        }
      : null,
    advocacy: advocacy
      ? {
          score: Number(advocacy.score),
          components: JSON.parse(advocacy.components) as Record<string, number>,
          reasons: JSON.parse(advocacy.reasons) as string[],
          computedAt: advocacy.computed_at,
        }
      : null,
    timing: timing
      ? {
          timezone: timing.timezone,
          opens: Number(timing.opens),
          clicks: Number(timing.clicks),
          bestLocalHour: Number(timing.best_local_hour),
          bestWeekday: WEEKDAYS[Number(timing.best_weekday)] ?? 'Monday',
          channel: timing.channel,
          channelShares: JSON.parse(timing.channel_shares) as Record<string, number>,
          hoursOfWeek: JSON.parse(timing.pattern) as number[][],
          nextSendAt: bestSendTime(sendTimeProfile(timing), now).at,
          computedAt: timing.computed_at,
        }
      : null,
  };
}
