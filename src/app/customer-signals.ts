/**
 * What the segments, advocacy and timing use cases read about each customer, as plain values
 * (loaded by store/customer-signals-repository.ts), and the conversions into the columns the pure
 * models take.
 */
import type { BehaviourColumns } from '../domain/models/segments/clusters.js';
import type { SegmentInput } from '../domain/models/segments/compute.js';
import { responseTypeIndex, type EngagementColumns } from '../domain/models/timing/compute.js';
import type { Channel, ResponseKind } from '../domain/models/timing/send-time.js';
import type { AdvocacySignals } from '../domain/models/advocacy/advocacy.js';

export interface OrderSignal {
  readonly orderId: string;
  readonly at: number;
  /** Base-currency minor units. */
  readonly totalMinor: number;
  readonly discounted: boolean;
  readonly lines: ReadonlyArray<{
    readonly productId: string | null;
    readonly category: string | null;
    readonly valueMinor: number;
  }>;
}

export interface CustomerSignals {
  readonly customerId: string;
  readonly timezone: string | null;
  /** Non-cancelled orders, ascending by time. */
  readonly orders: readonly OrderSignal[];
  /** Refunded amount, base-currency minor units. */
  readonly refundedMinor: number;
  /** Message responses (opens and clicks) by channel, ascending by time. */
  readonly responses: ReadonlyArray<{
    readonly at: number;
    readonly channel: Channel;
    readonly kind: ResponseKind;
  }>;
  /** Browsing events (page/screen calls, product, cart and search events). */
  readonly visits: number;
  readonly reviews: ReadonlyArray<{
    readonly at: number;
    readonly rating: number;
    readonly productId: string | null;
  }>;
  readonly tickets: number;
  /** The latest NPS answer, null when never answered. */
  readonly latestNps: number | null;
  readonly referralsConverted: number;
  readonly referralsPending: number;
  readonly communityPosts: number;
  readonly helpfulVotes: number;
  /** Deliveries: the order and when. */
  readonly deliveries: ReadonlyArray<{ readonly orderId: string; readonly at: number }>;
}

/** Where the use cases read signals from. */
export interface CustomerSignalSource {
  load(): Promise<CustomerSignals[]>;
}

const DAY = 86_400_000;

export function distinctCategories(s: CustomerSignals): number {
  const c = new Set<string>();
  for (const o of s.orders) for (const l of o.lines) if (l.category !== null) c.add(l.category.toLowerCase());
  return c.size;
}

/** Segment input columns of the customers with orders (in the given order), as of `asOf`. */
export function segmentInput(buyers: readonly CustomerSignals[], asOf: number): SegmentInput {
  const n = buyers.length;
  const col = (): Float64Array => new Float64Array(n);
  const lastOrderAt = col();
  const monetary = col();
  const orders = col();
  const tenure = col();
  const total = col();
  const discounted = col();
  const categories = col();
  const opens = col();
  const visits = col();
  const reviews = col();
  const tickets = col();
  buyers.forEach((s, i) => {
    const first = s.orders[0]!;
    const last = s.orders[s.orders.length - 1]!;
    let sum = 0;
    let disc = 0;
    for (const o of s.orders) {
      sum += o.totalMinor;
      if (o.discounted) disc++;
    }
    lastOrderAt[i] = last.at;
    orders[i] = s.orders.length;
    monetary[i] = sum - s.refundedMinor;
    tenure[i] = Math.max(0, (asOf - first.at) / DAY);
    total[i] = sum;
    discounted[i] = disc;
    categories[i] = distinctCategories(s);
    let o = 0;
    for (const r of s.responses) if (r.channel === 'email' && r.kind === 'open') o++;
    opens[i] = o;
    visits[i] = s.visits;
    reviews[i] = s.reviews.length;
    tickets[i] = s.tickets;
  });
  const behaviour: BehaviourColumns = {
    rows: n,
    orders,
    tenureDays: tenure,
    orderTotalMinor: total,
    discountedOrders: discounted,
    categories,
    emailOpens: opens,
    visits,
    reviews,
    tickets,
  };
  return { ...behaviour, lastOrderAt, monetaryMinor: monetary };
}

/** Engagement columns for the send-time model (customers in the given order). */
export function engagementColumns(customers: readonly CustomerSignals[]): EngagementColumns {
  const zones: string[] = [];
  const zoneIndex = new Map<string, number>();
  const start = new Int32Array(customers.length + 1);
  let total = 0;
  for (const c of customers) total += c.responses.length;
  const at = new Float64Array(total);
  const type = new Uint8Array(total);
  const zone = new Int32Array(customers.length);
  let j = 0;
  customers.forEach((c, i) => {
    start[i] = j;
    if (c.timezone === null) zone[i] = -1;
    else {
      let z = zoneIndex.get(c.timezone);
      if (z === undefined) {
        z = zones.length;
        zones.push(c.timezone);
        zoneIndex.set(c.timezone, z);
      }
      zone[i] = z;
    }
    for (const r of c.responses) {
      at[j] = r.at;
      type[j] = responseTypeIndex(r.channel, r.kind);
      j++;
    }
  });
  start[customers.length] = j;
  return { customers: customers.length, start, at, type, zone, zones };
}

export function advocacySignals(s: CustomerSignals): AdvocacySignals {
  let ratingSum = 0;
  for (const r of s.reviews) ratingSum += r.rating;
  return {
    latestNps: s.latestNps,
    reviews: s.reviews.length,
    meanRating: s.reviews.length > 0 ? ratingSum / s.reviews.length : null,
    referralsConverted: s.referralsConverted,
    referralsPending: s.referralsPending,
    communityPosts: s.communityPosts,
    helpfulVotes: s.helpfulVotes,
    orders: s.orders.length,
    categories: distinctCategories(s),
  };
}

/**
 * Review delays: for each review of a product, the time since the delivery of the customer's
 * latest order containing that product delivered before the review, with the line's category.
 */
export function reviewDelays(s: CustomerSignals): Array<{ category: string; days: number }> {
  const deliveredAt = new Map(s.deliveries.map((d) => [d.orderId, d.at]));
  const out: Array<{ category: string; days: number }> = [];
  for (const r of s.reviews) {
    if (r.productId === null) continue;
    let best: { at: number; category: string } | null = null;
    for (const o of s.orders) {
      const d = deliveredAt.get(o.orderId);
      if (d === undefined || d > r.at) continue;
      const line = o.lines.find((l) => l.productId === r.productId && l.category !== null);
      if (line && (best === null || d > best.at)) best = { at: d, category: line.category! };
    }
    if (best) out.push({ category: best.category, days: (r.at - best.at) / DAY });
  }
  return out;
}
