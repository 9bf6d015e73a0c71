/**
 * The churn features: one pure function per feature over a customer's history as of a cut-off,
 * each with its signal family, the retention driver it speaks for, and a plain-words reason.
 *
 * Conventions: times before the cut-off only (an event at the cut-off instant is in the future);
 * "recent" is the 28 days before the cut-off and a customer's own baseline is the 28-day average
 * over the 24 weeks before that; NaN means "not defined for this customer" (the trees learn where
 * missing values go), e.g. a gap trend needs three orders.
 */
import type { ActivityKind, CustomerHistory, OrderRecord, TicketRecord } from './history.js';

export const DAY_MS = 86_400_000;
/** The recent window of the engagement and support features, in days. */
export const RECENT_DAYS = 28;
/** The baseline window before the recent one, in days (six 28-day periods). */
export const BASELINE_DAYS = 168;

/** Where a signal comes from (the signal families of the retention domain). */
export type SignalFamily = 'purchase' | 'price' | 'engagement' | 'service' | 'quality' | 'trigger';

/** Why a customer leaves, as the intervention sees it. */
export type ChurnDriver = 'price' | 'service' | 'quality' | 'disengagement';

export const CHURN_DRIVERS: readonly ChurnDriver[] = ['price', 'service', 'quality', 'disengagement'];

/** A customer's history cut at a point in time: everything strictly before `cutoff`. */
export interface HistoryAsOf {
  readonly customerId: string;
  readonly cutoff: number;
  readonly orders: readonly OrderRecord[];
  readonly refundedOrders: number;
  /** Refunds before the cut-off (of any order, or of none said), ascending by time. */
  readonly refunds: CustomerHistory['refunds'];
  readonly activity: CustomerHistory['activity'];
  readonly checkouts: CustomerHistory['checkouts'];
  /** Tickets opened before the cut-off; a resolution after it counts as not (yet) resolved. */
  readonly tickets: readonly TicketRecord[];
  readonly reviews: CustomerHistory['reviews'];
  readonly surveys: CustomerHistory['surveys'];
  readonly paymentFailures: readonly number[];
  readonly subscriptionPauses: CustomerHistory['subscriptionPauses'];
  readonly unsubscribes: readonly number[];
  /** BG/NBD view at the cut-off, when a model could be fitted on the store. */
  readonly btyd: {
    readonly probabilityAlive: number;
    readonly expectedPurchases: number;
    readonly horizonDays: number;
  } | null;
}

/** Cuts a history at `cutoff` (epoch ms). */
export function historyAsOf(
  h: CustomerHistory,
  cutoff: number,
  btyd: HistoryAsOf['btyd'] = null,
): HistoryAsOf {
  const before = <T extends { at: number }>(xs: readonly T[]): T[] => xs.filter((x) => x.at < cutoff);
  const orders = before(h.orders);
  const ids = new Set(orders.map((o) => o.orderId));
  const refunded = new Set<string>();
  for (const r of h.refunds)
    if (r.at < cutoff && r.orderId !== null && ids.has(r.orderId)) refunded.add(r.orderId);
  return {
    customerId: h.customerId,
    cutoff,
    orders,
    refundedOrders: refunded.size,
    refunds: before(h.refunds),
    activity: before(h.activity),
    checkouts: before(h.checkouts),
    tickets: h.tickets
      .filter((t) => t.openedAt < cutoff)
      .map((t) =>
        t.resolvedAt !== null && t.resolvedAt >= cutoff ? { ...t, resolvedAt: null, satisfied: null } : t,
      ),
    reviews: before(h.reviews),
    surveys: before(h.surveys),
    paymentFailures: h.paymentFailures.filter((t) => t < cutoff),
    subscriptionPauses: before(h.subscriptionPauses),
    unsubscribes: h.unsubscribes.filter((t) => t < cutoff),
    btyd,
  };
}

/** One churn feature: its column name, family, driver, definition and reason in plain words. */
export interface ChurnFeature {
  readonly name: string;
  readonly family: SignalFamily;
  /** The driver this feature's risk speaks for (null: risk without a remediable cause, e.g. recency). */
  readonly driver: ChurnDriver | null;
  /** What the feature measures, for docs and exports. */
  readonly description: string;
  readonly compute: (h: HistoryAsOf) => number;
  /**
   * The activity kind the feature is measured from. A store that sends no event of that kind at
   * all (CDNOW has no browsing or email) measures nothing: the column is NaN for everyone rather
   * than a constant "no change" that would only echo tenure and let a driver be named without data.
   */
  readonly needs?: ActivityKind;
  /** The reason in plain words, for this customer's value. */
  readonly reason: (value: number, h: HistoryAsOf) => string;
}

const days = (ms: number): number => ms / DAY_MS;
const round = (x: number): number => Math.round(x);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const isDiscounted = (o: OrderRecord): boolean => o.discountMinor > 0 || o.coupon;

function gapsInDays(orders: readonly OrderRecord[]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < orders.length; i++) gaps.push(days(orders[i]!.at - orders[i - 1]!.at));
  return gaps;
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function inLast(times: readonly number[], cutoff: number, windowDays: number): number {
  const from = cutoff - windowDays * DAY_MS;
  let n = 0;
  for (const t of times) if (t >= from) n++;
  return n;
}

/** Days since the customer's first order (NaN without orders). */
export function tenureDays(h: HistoryAsOf): number {
  return h.orders.length === 0 ? NaN : days(h.cutoff - h.orders[0]!.at);
}

/** Days since the last order (recency; NaN without orders). */
export function recencyDays(h: HistoryAsOf): number {
  return h.orders.length === 0 ? NaN : days(h.cutoff - h.orders[h.orders.length - 1]!.at);
}

/** Mean days between consecutive orders (NaN with fewer than two). */
export function meanGapDays(h: HistoryAsOf): number {
  return mean(gapsInDays(h.orders));
}

/** Days since the last order ÷ the customer's own mean gap (NaN with fewer than two orders). */
export function overdueRatio(h: HistoryAsOf): number {
  const gap = meanGapDays(h);
  return gap > 0 ? recencyDays(h) / gap : NaN;
}

/** Last gap ÷ mean of the earlier gaps: > 1 when orders are spacing out (NaN with fewer than three orders). */
export function gapTrend(h: HistoryAsOf): number {
  const gaps = gapsInDays(h.orders);
  if (gaps.length < 2) return NaN;
  const earlier = mean(gaps.slice(0, -1));
  return earlier > 0 ? gaps[gaps.length - 1]! / earlier : NaN;
}

/** Mean order value (minor units) of the last two orders ÷ the lifetime mean (NaN with fewer than three orders). */
export function aovTrend(h: HistoryAsOf): number {
  if (h.orders.length < 3) return NaN;
  const all = mean(h.orders.map((o) => o.totalMinor));
  const recent = mean(h.orders.slice(-2).map((o) => o.totalMinor));
  return all > 0 ? recent / all : NaN;
}

/** Engagement trend of one activity kind: (recent count + 1) ÷ (baseline per 28 days + 1); NaN without 8 weeks of history. */
export function activityTrend(h: HistoryAsOf, kind: ActivityKind): number {
  const first = Math.min(h.orders[0]?.at ?? Infinity, h.activity[0]?.at ?? Infinity);
  if (!(h.cutoff - first >= 2 * RECENT_DAYS * DAY_MS)) return NaN;
  const recentFrom = h.cutoff - RECENT_DAYS * DAY_MS;
  const baseFrom = Math.max(recentFrom - BASELINE_DAYS * DAY_MS, first);
  let recent = 0;
  let base = 0;
  for (const a of h.activity) {
    if (a.kind !== kind) continue;
    if (a.at >= recentFrom) recent++;
    else if (a.at >= baseFrom) base++;
  }
  const basePer28 = (base * RECENT_DAYS * DAY_MS) / Math.max(recentFrom - baseFrom, DAY_MS);
  return (recent + 1) / (basePer28 + 1);
}

/**
 * The engagement trend measured up to the last order instead of the cut-off: a fade that began
 * while the customer was still buying (silence after the last order is what every leaver shares).
 */
export function trendBeforeLastOrder(h: HistoryAsOf, kind: ActivityKind): number {
  const last = h.orders[h.orders.length - 1];
  if (!last) return NaN;
  return activityTrend({ ...h, cutoff: last.at }, kind);
}

/** Distinct UTC days with a visit in the recent window. */
export function recentVisitDays(h: HistoryAsOf): number {
  const from = h.cutoff - RECENT_DAYS * DAY_MS;
  const d = new Set<number>();
  for (const a of h.activity) if (a.kind === 'visit' && a.at >= from) d.add(Math.floor(a.at / DAY_MS));
  return d.size;
}

const count = (h: HistoryAsOf, kind: ActivityKind, windowDays: number): number =>
  inLast(
    h.activity.filter((a) => a.kind === kind).map((a) => a.at),
    h.cutoff,
    windowDays,
  );

const openTickets = (h: HistoryAsOf): TicketRecord[] => h.tickets.filter((t) => t.resolvedAt === null);
const recentTickets = (h: HistoryAsOf, windowDays: number): TicketRecord[] =>
  h.tickets.filter((t) => t.openedAt >= h.cutoff - windowDays * DAY_MS);

/** When the last order was placed (undefined without orders): "since the last order" starts there. */
const lastOrderAt = (h: HistoryAsOf): number | undefined => h.orders[h.orders.length - 1]?.at;

/** How many of `times` are at or after the last order (NaN without orders). */
function sinceLastOrder(h: HistoryAsOf, times: readonly number[]): number {
  const from = lastOrderAt(h);
  if (from === undefined) return NaN;
  let n = 0;
  for (const t of times) if (t >= from) n++;
  return n;
}

/** Discount ÷ the price before it, of one order (0 without a discount). */
const discountDepth = (o: OrderRecord): number =>
  o.discountMinor > 0 && o.totalMinor + o.discountMinor > 0
    ? o.discountMinor / (o.totalMinor + o.discountMinor)
    : 0;

const trendReason = (what: string) => (v: number) =>
  v < 1
    ? `${what} down ${round((1 - v) * 100)}% from this customer's usual`
    : `${what} at ${v.toFixed(1)}× this customer's usual`;

/** Every churn feature, in column order. */
export const CHURN_FEATURES: readonly ChurnFeature[] = [
  // --- purchase decay -------------------------------------------------------------------------
  {
    name: 'recencyDays',
    family: 'purchase',
    driver: null,
    description: 'days since the last order',
    compute: recencyDays,
    reason: (v) => `no order for ${round(v)} days`,
  },
  {
    name: 'frequency',
    family: 'purchase',
    driver: null,
    description: 'number of orders',
    compute: (h) => h.orders.length,
    reason: (v) => (v <= 1 ? 'only one order so far' : `${v} orders so far`),
  },
  {
    name: 'monetaryMeanMinor',
    family: 'purchase',
    driver: null,
    description: 'mean order value (base minor units)',
    compute: (h) => (h.orders.length === 0 ? NaN : mean(h.orders.map((o) => o.totalMinor))),
    reason: (v) => `average order of ${(v / 100).toFixed(2)}`,
  },
  {
    name: 'tenureDays',
    family: 'purchase',
    driver: null,
    description: 'days since the first order',
    compute: tenureDays,
    reason: (v) => `a customer for ${round(v)} days`,
  },
  {
    name: 'overdueRatio',
    family: 'purchase',
    driver: null,
    description: "days since the last order ÷ the customer's own mean gap between orders",
    compute: overdueRatio,
    reason: (_v, h) => {
      const late = round(recencyDays(h) - meanGapDays(h));
      return late > 0
        ? `${plural(late, 'day')} later than usual for this customer`
        : `next order not yet due (usually every ${round(meanGapDays(h))} days)`;
    },
  },
  {
    name: 'gapTrend',
    family: 'purchase',
    driver: null,
    description: 'last gap between orders ÷ mean of the earlier gaps',
    compute: gapTrend,
    reason: (v) =>
      v > 1
        ? `orders spacing out (last gap ${v.toFixed(1)}× the earlier ones)`
        : 'orders coming closer together',
  },
  {
    name: 'aovTrend',
    family: 'purchase',
    driver: null,
    description: 'mean value of the last two orders ÷ lifetime mean order value',
    compute: aovTrend,
    reason: (v) =>
      v < 1
        ? `recent orders ${round((1 - v) * 100)}% smaller than usual`
        : `recent orders ${round((v - 1) * 100)}% larger than usual`,
  },
  {
    name: 'btydProbabilityAlive',
    family: 'purchase',
    driver: null,
    description: 'BG/NBD probability that the customer is still active (fitted on the store at the cut-off)',
    compute: (h) => h.btyd?.probabilityAlive ?? NaN,
    reason: (v) => `buying pattern says ${round(v * 100)}% likely still active`,
  },
  {
    name: 'btydExpectedPurchases',
    family: 'purchase',
    driver: null,
    description: 'BG/NBD expected purchases over the churn window',
    compute: (h) => h.btyd?.expectedPurchases ?? NaN,
    reason: (v, h) =>
      `expected to buy ${v.toFixed(1)} times in the next ${round(h.btyd?.horizonDays ?? 0)} days`,
  },
  // --- price ----------------------------------------------------------------------------------
  {
    name: 'discountOrderShare',
    family: 'price',
    driver: 'price',
    description: 'share of orders bought with a discount or coupon',
    compute: (h) => (h.orders.length === 0 ? NaN : h.orders.filter(isDiscounted).length / h.orders.length),
    reason: (v, h) =>
      v >= 1 && h.orders.length > 1
        ? 'only buys on discount'
        : `${h.orders.filter(isDiscounted).length} of ${h.orders.length} orders bought on discount`,
  },
  {
    name: 'recentDiscountShare',
    family: 'price',
    driver: 'price',
    description: 'share of the last three orders bought with a discount or coupon',
    compute: (h) => {
      const last = h.orders.slice(-3);
      return last.length === 0 ? NaN : last.filter(isDiscounted).length / last.length;
    },
    reason: (_v, h) => {
      const last = h.orders.slice(-3);
      return `${last.filter(isDiscounted).length} of the last ${plural(last.length, 'order')} on discount`;
    },
  },
  {
    name: 'recentDiscountDepth',
    family: 'price',
    driver: 'price',
    description:
      'mean discount of the last three orders as a share of their price before it (0 without discounts)',
    compute: (h) => {
      const last = h.orders.slice(-3);
      return last.length === 0 ? NaN : mean(last.map(discountDepth));
    },
    reason: (v) => `the last orders bought at ${round(v * 100)}% off on average`,
  },
  {
    name: 'abandonedCheckouts56d',
    family: 'price',
    driver: 'price',
    description: 'checkouts started in the last 8 weeks that did not become an order',
    compute: (h) => {
      const ids = new Set(h.orders.map((o) => o.orderId));
      const from = h.cutoff - 56 * DAY_MS;
      return h.checkouts.filter((c) => c.at >= from && (c.orderId === null || !ids.has(c.orderId))).length;
    },
    reason: (v) => `${plural(v, 'abandoned checkout')} in the last 8 weeks`,
  },
  {
    name: 'priceSubscriptionPauses',
    family: 'price',
    driver: 'price',
    description: 'subscription pauses with the reason "too expensive"',
    compute: (h) => h.subscriptionPauses.filter((p) => p.reason === 'too_expensive').length,
    reason: () => 'paused a subscription as too expensive',
  },
  // --- triggers -------------------------------------------------------------------------------
  {
    name: 'failedPayments90d',
    family: 'trigger',
    driver: 'price',
    description: 'failed payments in the last 90 days',
    compute: (h) => inLast(h.paymentFailures, h.cutoff, 90),
    reason: (v) => `${plural(v, 'failed payment')} in the last 90 days`,
  },
  {
    name: 'subscriptionPauses',
    family: 'trigger',
    driver: null,
    description: 'subscription pauses for other reasons than price',
    compute: (h) => h.subscriptionPauses.filter((p) => p.reason !== 'too_expensive').length,
    reason: () => 'paused a subscription',
  },
  {
    name: 'daysSinceLastActivity',
    family: 'trigger',
    driver: null,
    description: 'days since the last visit, email open or click (NaN without any)',
    compute: (h) => (h.activity.length === 0 ? NaN : days(h.cutoff - h.activity[h.activity.length - 1]!.at)),
    reason: (v) => `no visit or email open for ${round(v)} days`,
  },
  // --- quality --------------------------------------------------------------------------------
  {
    name: 'refundRate',
    family: 'quality',
    driver: 'quality',
    description: 'share of orders refunded (partly or fully)',
    compute: (h) => (h.orders.length === 0 ? NaN : h.refundedOrders / h.orders.length),
    reason: (_v, h) => `${h.refundedOrders} of ${plural(h.orders.length, 'order')} refunded`,
  },
  {
    name: 'refundsSinceLastOrder',
    family: 'quality',
    driver: 'quality',
    description: 'refunds since the last order was placed (of that order or another; NaN without orders)',
    compute: (h) =>
      sinceLastOrder(
        h,
        h.refunds.map((r) => r.at),
      ),
    reason: (v) =>
      v === 0 ? 'no refund since the last order' : `${plural(v, 'refund')} since the last order`,
  },
  {
    name: 'lowRatingsSinceLastOrder',
    family: 'quality',
    driver: 'quality',
    description: 'reviews rated 1–2 stars since the last order was placed (NaN without orders)',
    compute: (h) =>
      sinceLastOrder(
        h,
        h.reviews.filter((r) => r.rating <= 2).map((r) => r.at),
      ),
    reason: (v) =>
      v === 0
        ? 'no low rating since the last order'
        : `${plural(v, 'low review rating')} since the last order`,
  },
  {
    name: 'lowRatings180d',
    family: 'quality',
    driver: 'quality',
    description: 'reviews rated 1–2 stars in the last 180 days',
    compute: (h) =>
      inLast(
        h.reviews.filter((r) => r.rating <= 2).map((r) => r.at),
        h.cutoff,
        180,
      ),
    reason: (v) => `${plural(v, 'low review rating')} (1–2 stars) in the last 6 months`,
  },
  {
    name: 'meanRating',
    family: 'quality',
    driver: 'quality',
    description: 'mean review rating, 1–5 (NaN without reviews)',
    compute: (h) => mean(h.reviews.map((r) => r.rating)),
    reason: (v) => `reviews average ${v.toFixed(1)} stars`,
  },
  {
    name: 'lastNps',
    family: 'service',
    driver: null,
    description: 'latest NPS answer, 0–10 (NaN without one); 0–6 is a detractor',
    compute: (h) => (h.surveys.length === 0 ? NaN : h.surveys[h.surveys.length - 1]!.nps),
    reason: (v) => (v <= 6 ? `NPS detractor (scored ${v})` : `NPS ${v}`),
  },
  // --- service --------------------------------------------------------------------------------
  {
    name: 'unresolvedTickets',
    family: 'service',
    driver: 'service',
    description: 'support tickets opened and not resolved',
    compute: (h) => openTickets(h).length,
    reason: (v) => `${plural(v, 'unresolved ticket')}`,
  },
  {
    name: 'severeTickets90d',
    family: 'service',
    driver: 'service',
    description: 'high or urgent tickets opened in the last 90 days',
    compute: (h) =>
      recentTickets(h, 90).filter((t) => t.severity === 'high' || t.severity === 'urgent').length,
    reason: (v) => `${plural(v, 'high-severity ticket')} in the last 90 days`,
  },
  {
    name: 'severeTicketsSinceLastOrder',
    family: 'service',
    driver: 'service',
    description: 'high or urgent support tickets opened since the last order was placed (NaN without orders)',
    compute: (h) =>
      sinceLastOrder(
        h,
        h.tickets.filter((t) => t.severity === 'high' || t.severity === 'urgent').map((t) => t.openedAt),
      ),
    reason: (v) =>
      v === 0
        ? 'no high-severity ticket since the last order'
        : `${plural(v, 'high-severity ticket')} since the last order`,
  },
  {
    name: 'oldestOpenTicketDays',
    family: 'service',
    driver: 'service',
    description: 'age in days of the oldest unresolved ticket (NaN without one)',
    compute: (h) => {
      const open = openTickets(h);
      return open.length === 0 ? NaN : days(h.cutoff - Math.min(...open.map((t) => t.openedAt)));
    },
    reason: (v) => `a ticket open for ${plural(round(v), 'day')}`,
  },
  {
    name: 'resolutionDays180d',
    family: 'service',
    driver: 'service',
    description: 'mean days to resolve the tickets opened in the last 180 days (NaN without resolved ones)',
    compute: (h) =>
      mean(
        recentTickets(h, 180)
          .filter((t) => t.resolvedAt !== null)
          .map((t) => days((t.resolvedAt as number) - t.openedAt)),
      ),
    reason: (v) => `tickets took ${v.toFixed(1)} days to resolve`,
  },
  {
    name: 'unsatisfiedTickets180d',
    family: 'service',
    driver: 'service',
    description: 'tickets of the last 180 days resolved with the customer not satisfied',
    compute: (h) => recentTickets(h, 180).filter((t) => t.satisfied === false).length,
    reason: (v) => `${plural(v, 'ticket')} closed with the customer unsatisfied`,
  },
  // --- engagement -----------------------------------------------------------------------------
  {
    name: 'visitDays28d',
    family: 'engagement',
    driver: null,
    description: 'distinct days with a visit (page, product or cart event) in the last 28 days',
    needs: 'visit',
    compute: recentVisitDays,
    reason: (v) =>
      v === 0 ? 'no visit in the last 4 weeks' : `visited on ${plural(v, 'day')} in the last 4 weeks`,
  },
  {
    name: 'visitTrend',
    family: 'engagement',
    driver: 'disengagement',
    description:
      "visit events in the last 28 days vs the customer's own 28-day baseline: (recent+1)/(baseline+1)",
    needs: 'visit',
    compute: (h) => activityTrend(h, 'visit'),
    reason: trendReason('visits'),
  },
  {
    name: 'productViewTrend',
    family: 'engagement',
    driver: 'disengagement',
    description: 'product views, recent vs own baseline (as visitTrend)',
    needs: 'productView',
    compute: (h) => activityTrend(h, 'productView'),
    reason: trendReason('product views'),
  },
  {
    name: 'emailOpens28d',
    family: 'engagement',
    driver: null,
    description: 'email opens in the last 28 days',
    needs: 'emailOpen',
    compute: (h) => count(h, 'emailOpen', RECENT_DAYS),
    reason: (v) =>
      v === 0 ? 'no email opened in the last 4 weeks' : `${plural(v, 'email')} opened in the last 4 weeks`,
  },
  {
    name: 'emailOpenTrend',
    family: 'engagement',
    driver: 'disengagement',
    description: 'email opens, recent vs own baseline (as visitTrend)',
    needs: 'emailOpen',
    compute: (h) => activityTrend(h, 'emailOpen'),
    reason: trendReason('email opens'),
  },
  {
    name: 'emailClickTrend',
    family: 'engagement',
    driver: 'disengagement',
    description: 'email link clicks, recent vs own baseline (as visitTrend)',
    needs: 'emailClick',
    compute: (h) => activityTrend(h, 'emailClick'),
    reason: trendReason('email clicks'),
  },
  {
    name: 'emailOpenTrendBeforeLastOrder',
    family: 'engagement',
    driver: 'disengagement',
    description:
      "email opens in the 28 days before the last order vs the customer's own baseline before that",
    needs: 'emailOpen',
    compute: (h) => trendBeforeLastOrder(h, 'emailOpen'),
    reason: trendReason('email opens before the last order'),
  },
  {
    name: 'visitTrendBeforeLastOrder',
    family: 'engagement',
    driver: 'disengagement',
    description: "visits in the 28 days before the last order vs the customer's own baseline before that",
    needs: 'visit',
    compute: (h) => trendBeforeLastOrder(h, 'visit'),
    reason: trendReason('visits before the last order'),
  },
  {
    name: 'unsubscribed',
    family: 'engagement',
    driver: 'disengagement',
    description: '1 when the customer unsubscribed from email before the cut-off',
    compute: (h) => (h.unsubscribes.length > 0 ? 1 : 0),
    reason: (v) => (v > 0 ? 'unsubscribed from emails' : 'still subscribed to emails'),
  },
];

export const CHURN_FEATURE_NAMES: readonly string[] = CHURN_FEATURES.map((f) => f.name);

/** The feature definition by name (throws on an unknown name: a caller bug). */
export function churnFeature(name: string): ChurnFeature {
  const f = CHURN_FEATURES.find((x) => x.name === name);
  if (!f) throw new RangeError(`unknown churn feature ${name}`);
  return f;
}
