/**
 * Send-time runs, each customer's send time and channel, and review requests (app/timing.ts);
 * the decisioning engine's `bestSendTimeFor(customer, after)` and `reviewRequestFor(order)`.
 */
import type {
  CustomerTimingRow,
  ReviewRequestRow,
  SendTime,
  TimingRunRow,
  TimingStore,
} from '../app/timing.js';
import { bestSendTime, sendTimeProfile } from '../app/timing.js';
import { bestHour, CHANNELS, type Channel } from '../domain/models/timing/send-time.js';
import { reviewDueAt, type CategoryTimeToValue } from '../domain/models/timing/review-timing.js';
import type { Store } from './database.js';
import { insertMany, writeTransaction } from './transaction.js';

export function timingStore(store: Store): TimingStore {
  return {
    async save(run, customers, reviews) {
      await writeTransaction(store, async (tx) => {
        await tx.insertInto('timing_runs').values(run).execute();
        await tx.deleteFrom('customer_timing').execute();
        await insertMany(tx, store.dialect, 'customer_timing', customers);
        await tx.deleteFrom('review_requests').execute();
        await insertMany(tx, store.dialect, 'review_requests', reviews);
      });
    },
  };
}

export async function latestTimingRun(store: Store): Promise<TimingRunRow | null> {
  return (
    (await store.db
      .selectFrom('timing_runs')
      .selectAll()
      .orderBy('computed_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst()) ?? null
  );
}

export async function customerTiming(store: Store, customerId: string): Promise<CustomerTimingRow | null> {
  return (
    (await store.db
      .selectFrom('customer_timing')
      .selectAll()
      .where('customer_id', '=', customerId)
      .executeTakeFirst()) ?? null
  );
}

/**
 * The next best time to reach a customer at or after `after`: from their stored timing, or — for a
 * customer the last run has not seen — the store's best hour in the customer's own time zone.
 * Null before the first `patron timing compute` or for an unknown customer.
 */
export async function bestSendTimeFor(
  store: Store,
  customerId: string,
  after: Date,
  options: { weekly?: boolean } = {},
): Promise<SendTime | null> {
  const row = await customerTiming(store, customerId);
  if (row) return bestSendTime(sendTimeProfile(row), after, options);
  const [run, customer] = await Promise.all([
    latestTimingRun(store),
    store.db.selectFrom('customers').select('timezone').where('id', '=', customerId).executeTakeFirst(),
  ]);
  if (!run || !customer) return null;
  const grid = JSON.parse(run.store_pattern) as number[][];
  const best = bestHour(grid.flat());
  const shares = JSON.parse(run.channel_shares) as Record<Channel, number>;
  const channel = CHANNELS.reduce((a, b) => ((shares[b] ?? 0) > (shares[a] ?? 0) ? b : a));
  return bestSendTime(
    { timezone: customer.timezone ?? 'UTC', bestLocalHour: best.hour, bestWeekday: best.weekday, channel },
    after,
    options,
  );
}

/**
 * When to ask for a review of a delivered order: the stored request, or — for a delivery after the
 * last run — delivery + the time-to-value the last run learned for the order's main category.
 * Null when the order has not been delivered (or no run exists yet).
 */
export async function reviewRequestFor(store: Store, orderId: string): Promise<ReviewRequestRow | null> {
  const stored = await store.db
    .selectFrom('review_requests')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (stored) return { ...stored, time_to_value_days: Number(stored.time_to_value_days) };
  const [run, delivery, lines] = await Promise.all([
    latestTimingRun(store),
    store.db
      .selectFrom('order_updates')
      .select(['customer_id', 'at'])
      .where('order_id', '=', orderId)
      .where('kind', '=', 'delivered')
      .orderBy('at', 'desc')
      .executeTakeFirst(),
    store.db
      .selectFrom('order_lines')
      .select(['category', 'base_price_minor', 'quantity'])
      .where('order_id', '=', orderId)
      .execute(),
  ]);
  if (!run || !delivery) return null;
  const ttv = new Map(
    (JSON.parse(run.time_to_value) as CategoryTimeToValue[]).map((c) => [c.category, c.days]),
  );
  const deliveredAt = Date.parse(delivery.at);
  const due = reviewDueAt(
    deliveredAt,
    lines.map((l) => ({
      category: l.category,
      valueMinor: Number(l.base_price_minor ?? 0) * Number(l.quantity),
    })),
    ttv,
  );
  return {
    order_id: orderId,
    customer_id: delivery.customer_id,
    delivered_at: delivery.at,
    category: due.category,
    time_to_value_days: due.days,
    due_at: new Date(due.at).toISOString(),
    computed_at: run.computed_at,
  };
}
