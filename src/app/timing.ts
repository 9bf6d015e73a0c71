/**
 * Timing and channel use cases: every customer's hours of the week, best send time and channel
 * (`patron timing compute`), the categories' time-to-value and the review request due per
 * delivered order; `bestSendTime(customer, after)` for the decisioning engine.
 */
import { HOURS_OF_WEEK, nextLocalTime, knownZone } from '../domain/models/timing/local-time.js';
import { computeSendTimes } from '../domain/models/timing/compute.js';
import { bestHour, CHANNELS, type Channel } from '../domain/models/timing/send-time.js';
import {
  learnTimeToValue,
  reviewDueAt,
  type CategoryTimeToValue,
} from '../domain/models/timing/review-timing.js';
import { createHash } from 'node:crypto';
import { engagementColumns, reviewDelays, type CustomerSignalSource } from './customer-signals.js';

export interface TimingRunRow {
  id: string;
  computed_at: string;
  prior_strength: number;
  store_pattern: string;
  channel_shares: string;
  time_to_value: string;
}

/** One customer's send time and channel as stored; `pattern` is 7 × 24 posterior shares (JSON). */
export interface CustomerTimingRow {
  customer_id: string;
  run_id: string;
  timezone: string;
  opens: number;
  clicks: number;
  best_local_hour: number;
  best_weekday: number;
  best_share: number;
  channel: string;
  channel_shares: string;
  pattern: string;
  computed_at: string;
}

/** When to ask for a review of a delivered order. */
export interface ReviewRequestRow {
  order_id: string;
  customer_id: string;
  delivered_at: string;
  category: string | null;
  time_to_value_days: number;
  due_at: string;
  computed_at: string;
}

export interface TimingStore {
  /** Stores a run and replaces every customer's timing and every review request, in one transaction. */
  save(
    run: TimingRunRow,
    customers: readonly CustomerTimingRow[],
    reviews: readonly ReviewRequestRow[],
  ): Promise<void>;
}

export const WEEKDAYS = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;

export interface TimingSummary {
  readonly runId: string;
  readonly customers: number;
  readonly withResponses: number;
  readonly priorStrength: number;
  readonly storeBest: { readonly hour: number; readonly weekday: string };
  readonly channelShares: Record<Channel, number>;
  readonly channels: Record<Channel, number>;
  readonly timeToValue: readonly CategoryTimeToValue[];
  readonly reviewRequests: number;
}

const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/** 168 shares as 7 rows (Monday first) of 24 hours. */
export function weekGrid(pattern: ArrayLike<number>): number[][] {
  return Array.from({ length: 7 }, (_, d) =>
    Array.from({ length: 24 }, (_, h) => round4(pattern[d * 24 + h] as number)),
  );
}

export async function computeTiming(
  source: CustomerSignalSource,
  store: TimingStore,
  options: { now: Date },
): Promise<TimingSummary> {
  const signals = await source.load();
  const computedAt = options.now.toISOString();
  const times = computeSendTimes(engagementColumns(signals), { patterns: true });
  const ttv = learnTimeToValue(signals.flatMap(reviewDelays));
  const ttvMap = new Map(ttv.map((c) => [c.category, c.days]));
  const runId = `tmr_${computedAt.replace(/[-:.TZ]/g, '').slice(0, 14)}_${createHash('sha256')
    .update(JSON.stringify(Array.from(times.model.storePattern)))
    .digest('hex')
    .slice(0, 8)}`;
  const channels: Record<Channel, number> = { email: 0, sms: 0, push: 0 };
  let withResponses = 0;
  const rows: CustomerTimingRow[] = signals.map((s, i) => {
    const channel = CHANNELS[times.channel[i] as number]!;
    channels[channel]++;
    if ((times.opens[i] as number) + (times.clicks[i] as number) > 0) withResponses++;
    return {
      customer_id: s.customerId,
      run_id: runId,
      timezone: s.timezone !== null && knownZone(s.timezone) ? s.timezone : 'UTC',
      opens: times.opens[i] as number,
      clicks: times.clicks[i] as number,
      best_local_hour: times.bestHour[i] as number,
      best_weekday: times.bestWeekday[i] as number,
      best_share: round4(times.bestShare[i] as number),
      channel,
      channel_shares: JSON.stringify(
        Object.fromEntries(
          CHANNELS.map((c, k) => [c, round4(times.channelShares[i * CHANNELS.length + k] as number)]),
        ),
      ),
      pattern: JSON.stringify(weekGrid(times.patterns!.subarray(i * HOURS_OF_WEEK, (i + 1) * HOURS_OF_WEEK))),
      computed_at: computedAt,
    };
  });
  const reviews: ReviewRequestRow[] = [];
  for (const s of signals) {
    const orders = new Map(s.orders.map((o) => [o.orderId, o]));
    for (const d of s.deliveries) {
      const o = orders.get(d.orderId);
      if (!o) continue;
      const due = reviewDueAt(d.at, o.lines, ttvMap);
      reviews.push({
        order_id: d.orderId,
        customer_id: s.customerId,
        delivered_at: new Date(d.at).toISOString(),
        category: due.category,
        time_to_value_days: round4(due.days),
        due_at: new Date(due.at).toISOString(),
        computed_at: computedAt,
      });
    }
  }
  // The latest delivery of an order wins when it was recorded twice.
  const uniqueReviews = [...new Map(reviews.map((r) => [r.order_id, r])).values()];
  await store.save(
    {
      id: runId,
      computed_at: computedAt,
      prior_strength: times.model.priorStrength,
      store_pattern: JSON.stringify(weekGrid(times.model.storePattern)),
      channel_shares: JSON.stringify(times.model.channelShares),
      time_to_value: JSON.stringify(ttv),
    },
    rows,
    uniqueReviews,
  );
  const sb = bestHour(times.model.storePattern);
  return {
    runId,
    customers: rows.length,
    withResponses,
    priorStrength: times.model.priorStrength,
    storeBest: { hour: sb.hour, weekday: WEEKDAYS[sb.weekday]! },
    channelShares: times.model.channelShares,
    channels,
    timeToValue: ttv,
    reviewRequests: uniqueReviews.length,
  };
}

/** What `bestSendTime` needs to know about a customer (a stored timing row, or the store's pattern). */
export interface SendTimeProfile {
  readonly timezone: string;
  readonly bestLocalHour: number;
  readonly bestWeekday: number;
  readonly channel: Channel;
}

export interface SendTime {
  /** The instant to send (ISO UTC). */
  readonly at: string;
  readonly timezone: string;
  /** Local hour at which it arrives, 0–23. */
  readonly localHour: number;
  readonly weekday: string;
  readonly channel: Channel;
}

/**
 * The next best moment to reach a customer at or after `after`: the next occurrence of their best
 * local hour (any day), or with `weekly` of their best weekday and hour.
 */
export function bestSendTime(
  customer: SendTimeProfile,
  after: Date,
  options: { weekly?: boolean } = {},
): SendTime {
  const zone = knownZone(customer.timezone) ? customer.timezone : 'UTC';
  const t = nextLocalTime(
    zone,
    after.getTime(),
    customer.bestLocalHour,
    options.weekly ? customer.bestWeekday : null,
  );
  const local = new Date(t);
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long' }).format(local);
  return {
    at: local.toISOString(),
    timezone: zone,
    localHour: customer.bestLocalHour,
    weekday,
    channel: customer.channel,
  };
}

export function sendTimeProfile(row: CustomerTimingRow): SendTimeProfile {
  return {
    timezone: row.timezone,
    bestLocalHour: Number(row.best_local_hour),
    bestWeekday: Number(row.best_weekday),
    channel: (CHANNELS as readonly string[]).includes(row.channel) ? (row.channel as Channel) : 'email',
  };
}
