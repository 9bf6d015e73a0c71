/**
 * Triggers: pure functions over a customer's state and what just happened (an event, or a
 * rescore). Each trigger carries a `key` naming the triggering fact (an order, a delivery, a
 * rescore day, an inactivity spell), which becomes part of the message's idempotency key, so the
 * same fact never leads to the same action twice however often the evaluation runs.
 * A trigger that needs a signal Patron does not have yet (tiers, points, replenishment,
 * segments, advocacy) does not fire.
 */
import type { CustomerState, DeliverySummary } from './state.js';

export type TriggerType =
  | 'order_placed'
  | 'first_order'
  | 'order_delivered'
  | 'order_delivered_late'
  | 'review_due'
  | 'replenishment_due'
  | 'churn_risk_crossed'
  | 'churn_risk_jumped'
  | 'segment_transition'
  | 'tier_almost_reached'
  | 'challenge_expiring'
  | 'points_expiring'
  | 'inactive'
  | 'churned'
  | 'advocate_identified'
  | 'welcome';

export const TRIGGER_TYPES: readonly TriggerType[] = [
  'order_placed',
  'first_order',
  'order_delivered',
  'order_delivered_late',
  'review_due',
  'replenishment_due',
  'churn_risk_crossed',
  'churn_risk_jumped',
  'segment_transition',
  'tier_almost_reached',
  'challenge_expiring',
  'points_expiring',
  'inactive',
  'churned',
  'advocate_identified',
  'welcome',
];

export interface Trigger {
  readonly type: TriggerType;
  /** The triggering fact, e.g. `order:ord_1`, `churn:2025-03-04`, `inactive:ord_7`. */
  readonly key: string;
  readonly at: number;
  /** Plain facts for the decision record and templates. */
  readonly facts: Readonly<Record<string, string | number | boolean | null>>;
}

/** What just happened to the customer. */
export type DecisionInput =
  | { readonly type: 'OrderPlaced'; readonly at: number; readonly orderId: string }
  | {
      readonly type: 'OrderDelivered';
      readonly at: number;
      readonly orderId: string;
      readonly onTime: boolean | null;
    }
  | { readonly type: 'CustomerEnrolled'; readonly at: number }
  | { readonly type: 'Rescored'; readonly at: number };

export interface TriggerConfig {
  /** Churn probability at or above which a customer is at risk. */
  readonly churnRiskThreshold: number;
  /** A rise of the churn probability by at least this much between rescores is a jump. */
  readonly churnJump: number;
  /** At or above this probability the customer is treated as churned (win-back)… */
  readonly churnedThreshold: number;
  /** …once this many days have passed since the last order (before that it is a churn save). */
  readonly churnedAfterDays: number;
  /** Inactive when the days since the last order exceed this multiple of the customer's mean gap. */
  readonly inactivityFactor: number;
  /**
   * A churn save is for a customer still inside their purchase cycle: once inactive (above) they
   * are the inactivity and win-back journeys'. A one-order customer has no gap of their own; their
   * cycle is taken to be this many days after the first order.
   */
  readonly firstOrderCycleDays: number;
  /**
   * A churn save is for a customer still around: with no order, visit, product view, email open
   * or click for more than this many days they have gone quiet — already left — and are the
   * win-back's. Applies only where the store sends browsing or email events (`lastSeenAt` known).
   */
  readonly churnSaveQuietDays: number;
  /** Days from delivery to the review request per category (time-to-value); `default` otherwise. */
  readonly reviewDelayDays: Readonly<Record<string, number>>;
  /** A review request is due for this many days after its due date, then the moment has passed. */
  readonly reviewWindowDays: number;
  /** Replenishment reminders go this many days before the product runs out. */
  readonly replenishmentLeadDays: number;
  readonly tierAlmostProgress: number;
  readonly pointsExpiryNoticeDays: number;
  readonly challengeExpiryNoticeDays: number;
  readonly advocateThreshold: number;
}

export const defaultTriggerConfig: TriggerConfig = {
  churnRiskThreshold: 0.5,
  churnJump: 0.2,
  churnedThreshold: 0.9,
  churnedAfterDays: 120,
  inactivityFactor: 1.5,
  firstOrderCycleDays: 60,
  churnSaveQuietDays: 14,
  reviewDelayDays: {
    default: 7,
    coffee: 5,
    tea: 5,
    'pet food': 7,
    apparel: 7,
    accessories: 10,
    home: 14,
    skincare: 21,
    supplements: 28,
  },
  reviewWindowDays: 14,
  replenishmentLeadDays: 5,
  tierAlmostProgress: 0.8,
  pointsExpiryNoticeDays: 14,
  challengeExpiryNoticeDays: 3,
  advocateThreshold: 0.8,
};

const DAY = 86_400_000;

const isoDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** Mean days between the customer's orders (their own usual gap); null with fewer than 2 orders. */
export function usualGapDays(state: CustomerState): number | null {
  const o = state.orders;
  if (o.length < 2) return null;
  return (o[o.length - 1]!.at - o[0]!.at) / DAY / (o.length - 1);
}

/** The review delay of a delivery: the longest time-to-value among its categories. */
export function reviewDelayFor(delivery: DeliverySummary, config: TriggerConfig): number {
  const fallback = config.reviewDelayDays.default ?? 7;
  let days = delivery.categories.length === 0 ? fallback : 0;
  for (const c of delivery.categories) days = Math.max(days, config.reviewDelayDays[c] ?? fallback);
  return days;
}

/**
 * The key of the trigger an event always fires (`order:<id>` for an order, `delivered:<id>` for a
 * delivery, `welcome:<customer>` for an enrolment): once a decision with this key is stored, the
 * event has been acted on. Null for a rescore.
 */
export function eventTriggerKey(customerId: string, input: DecisionInput): string | null {
  switch (input.type) {
    case 'OrderPlaced':
      return `order:${input.orderId}`;
    case 'OrderDelivered':
      return `delivered:${input.orderId}`;
    case 'CustomerEnrolled':
      return `welcome:${customerId}`;
    case 'Rescored':
      return null;
  }
}

function eventTriggers(state: CustomerState, input: DecisionInput): Trigger[] {
  switch (input.type) {
    case 'OrderPlaced': {
      const out: Trigger[] = [
        {
          type: 'order_placed',
          key: eventTriggerKey(state.customerId, input)!,
          at: input.at,
          facts: { orderId: input.orderId },
        },
      ];
      const first = state.orders[0];
      if (state.orders.length === 1 && first?.orderId === input.orderId) {
        out.push({
          type: 'first_order',
          key: `first:${input.orderId}`,
          at: input.at,
          facts: { orderId: input.orderId },
        });
      }
      return out;
    }
    case 'OrderDelivered': {
      const facts = { orderId: input.orderId, onTime: input.onTime };
      const out: Trigger[] = [
        { type: 'order_delivered', key: eventTriggerKey(state.customerId, input)!, at: input.at, facts },
      ];
      if (input.onTime === false) {
        out.push({ type: 'order_delivered_late', key: `late:${input.orderId}`, at: input.at, facts });
      }
      return out;
    }
    case 'CustomerEnrolled':
      return [{ type: 'welcome', key: eventTriggerKey(state.customerId, input)!, at: input.at, facts: {} }];
    case 'Rescored':
      return [];
    default: {
      const _exhaustive: never = input;
      return _exhaustive;
    }
  }
}

/** Triggers that read the state as of `now` (evaluated on every rescore). */
function stateTriggers(state: CustomerState, now: number, config: TriggerConfig): Trigger[] {
  const out: Trigger[] = [];
  const last = state.orders[state.orders.length - 1];

  for (const d of state.deliveries) {
    const due = d.at + reviewDelayFor(d, config) * DAY;
    if (now < due || now >= due + config.reviewWindowDays * DAY) continue;
    if (state.reviewedAt.some((r) => r >= d.at)) continue;
    out.push({
      type: 'review_due',
      key: `review:${d.orderId}`,
      at: now,
      facts: { orderId: d.orderId, dueOn: isoDay(due) },
    });
  }

  if (state.replenishment && state.replenishment.dueAt - config.replenishmentLeadDays * DAY <= now) {
    const r = state.replenishment;
    out.push({
      type: 'replenishment_due',
      key: `replenish:${r.productId}:${isoDay(r.dueAt)}`,
      at: now,
      facts: { productId: r.productId, dueOn: isoDay(r.dueAt) },
    });
  }

  const churn = state.churn;
  const churned =
    churn !== null &&
    last !== undefined &&
    churn.probability >= config.churnedThreshold &&
    now - last.at >= config.churnedAfterDays * DAY;
  const gap = usualGapDays(state);
  const inactive =
    last !== undefined &&
    (now - last.at) / DAY > (gap === null ? config.firstOrderCycleDays : config.inactivityFactor * gap);
  if (churn && !churned && last) {
    const prev = churn.previousProbability;
    const facts = { probability: churn.probability, previous: prev, driver: churn.driver };
    // At risk in this purchase spell: keyed by the last order and the driver, so it fires once
    // per spell and reason — when the risk crosses the threshold, when a new order starts a spell
    // that is already at risk, or when the reason changes within the spell (a ticket filed after
    // the order turns "disengagement" into "service": the matching save is a different one).
    // Past the customer's own cycle, or silent for weeks, the risk is no longer "about to leave"
    // but "left": the save's moment has passed (the inactivity nudge and the win-back take over).
    const quiet = churn.lastSeenAt !== null && now - churn.lastSeenAt > config.churnSaveQuietDays * DAY;
    if (churn.probability >= config.churnRiskThreshold && !inactive && !quiet) {
      out.push({
        type: 'churn_risk_crossed',
        key: `risk:${last.orderId}:${churn.driver ?? 'unknown'}`,
        at: now,
        facts,
      });
    } else if (prev !== null && churn.probability - prev >= config.churnJump) {
      out.push({ type: 'churn_risk_jumped', key: `jump:${isoDay(churn.scoredAt)}`, at: now, facts });
    }
  }
  if (churn && churned && last) {
    out.push({
      type: 'churned',
      key: `churned:${last.orderId}`,
      at: now,
      facts: { probability: churn.probability, driver: churn.driver, lastOrderOn: isoDay(last.at) },
    });
  }

  if (gap !== null && last && !churned) {
    const since = (now - last.at) / DAY;
    if (inactive) {
      out.push({
        type: 'inactive',
        key: `inactive:${last.orderId}`,
        at: now,
        facts: { daysSinceLastOrder: Math.round(since), usualGapDays: Math.round(gap) },
      });
    }
  }

  const seg = state.segment;
  if (seg && seg.previous !== null && seg.previous !== seg.current) {
    out.push({
      type: 'segment_transition',
      key: `segment:${seg.previous}>${seg.current}:${isoDay(now)}`,
      at: now,
      facts: { from: seg.previous, to: seg.current },
    });
  }
  const tier = state.tier;
  if (tier && tier.progress >= config.tierAlmostProgress && tier.progress < 1) {
    out.push({
      type: 'tier_almost_reached',
      key: `tier:${tier.next}`,
      at: now,
      facts: { tier: tier.next, progress: tier.progress },
    });
  }
  const pts = state.pointsExpiring;
  if (pts && pts.expiresAt > now && pts.expiresAt - now <= config.pointsExpiryNoticeDays * DAY) {
    out.push({
      type: 'points_expiring',
      key: `points:${pts.id}`,
      at: now,
      facts: { points: pts.amount, expiresOn: isoDay(pts.expiresAt) },
    });
  }
  const ch = state.challengeExpiring;
  if (ch && ch.expiresAt > now && ch.expiresAt - now <= config.challengeExpiryNoticeDays * DAY) {
    out.push({
      type: 'challenge_expiring',
      key: `challenge:${ch.id}`,
      at: now,
      facts: { challengeId: ch.id, expiresOn: isoDay(ch.expiresAt) },
    });
  }
  if (state.advocacy !== null && state.advocacy >= config.advocateThreshold) {
    out.push({ type: 'advocate_identified', key: 'advocate', at: now, facts: { advocacy: state.advocacy } });
  }
  return out;
}

/**
 * Every trigger that fires for `input` on `state` at `now`: the event's own triggers, and on a
 * rescore the state triggers (review due, churn risk, inactivity, win-back, …).
 */
export function evaluateTriggers(
  state: CustomerState,
  input: DecisionInput,
  now: number,
  config: TriggerConfig = defaultTriggerConfig,
): Trigger[] {
  const out = eventTriggers(state, input);
  if (input.type === 'Rescored') out.push(...stateTriggers(state, now, config));
  return out;
}
