/**
 * What the decisioning core knows about one customer: plain values, times in epoch milliseconds
 * (UTC), money in the base currency's minor units. Signals another part of Patron produces are
 * `null` while that part does not exist or has not scored the customer: a trigger or action that
 * needs a missing signal does not fire ("waits for it") — nothing here is ever filled with a guess.
 */

export type ChurnDriver = 'price' | 'service' | 'quality' | 'disengagement';

export interface OrderSummary {
  readonly orderId: string;
  readonly at: number;
  readonly totalMinor: number;
  readonly categories: readonly string[];
}

export interface DeliverySummary {
  readonly orderId: string;
  readonly at: number;
  readonly onTime: boolean | null;
  readonly categories: readonly string[];
}

export interface TicketSummary {
  readonly ticketId: string;
  readonly openedAt: number;
  readonly severity: 'low' | 'medium' | 'high' | 'urgent';
  readonly resolvedAt: number | null;
  readonly satisfied: boolean | null;
}

export interface ChurnSignal {
  readonly probability: number;
  /** The probability at the previous rescore the engine saw (null on the first). */
  readonly previousProbability: number | null;
  readonly driver: ChurnDriver | null;
  /** Plain-words reasons of the churn model, most important first. */
  readonly reasons: readonly string[];
  readonly scoredAt: number;
  /**
   * The customer's latest order, visit, product view, email open or click before the scoring;
   * null when the store sends no browsing or email events (silence then says nothing).
   */
  readonly lastSeenAt: number | null;
}

export interface ClvSignal {
  /** Discounted CLV with margin over the scoring horizon (base minor units). */
  readonly clvMinor: number;
  readonly probabilityAlive: number;
  readonly expectedOrderValueMinor: number;
}

/** Signals of branches that may not be built yet; each null until its producer exists. */
export interface SegmentSignal {
  readonly current: string;
  readonly previous: string | null;
}
export interface TierSignal {
  readonly current: string;
  readonly next: string;
  /** Progress to the next tier in [0, 1]. */
  readonly progress: number;
}
export interface ExpiringSignal {
  readonly id: string;
  readonly expiresAt: number;
  /** Points about to expire, or the challenge's remaining steps. */
  readonly amount: number;
}
export interface ReplenishmentSignal {
  readonly productId: string;
  readonly dueAt: number;
}
/** One product the recommender puts forward for the customer (app/decision-states.ts). */
export interface Recommendation {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number | null;
  /** The recommender's reason as a message prints it after "because": "you bought Kenya Whole Bean". */
  readonly because: string;
}

export interface ConsentState {
  readonly channel: string;
  readonly purpose: string;
  readonly granted: boolean;
}

export interface CustomerState {
  readonly customerId: string;
  /** IANA time zone (customers.timezone); null when unknown (quiet hours then use the store's). */
  readonly timezone: string | null;
  /** When the customer enrolled (first seen / loyalty enrolment). */
  readonly enrolledAt: number | null;
  /** Non-cancelled orders, ascending by time. */
  readonly orders: readonly OrderSummary[];
  readonly deliveries: readonly DeliverySummary[];
  /** Times of the customer's reviews (a review after a delivery means none is due). */
  readonly reviewedAt: readonly number[];
  readonly tickets: readonly TicketSummary[];
  readonly consents: readonly ConsentState[];
  readonly churn: ChurnSignal | null;
  readonly clv: ClvSignal | null;
  readonly segment: SegmentSignal | null;
  readonly tier: TierSignal | null;
  readonly pointsExpiring: ExpiringSignal | null;
  readonly challengeExpiring: ExpiringSignal | null;
  readonly replenishment: ReplenishmentSignal | null;
  /** The top few from the latest trained recommender, best first; null before the first training run. */
  readonly recommendations: readonly Recommendation[] | null;
  /** Advocacy score in [0, 1]; null until the advocacy model exists. */
  readonly advocacy: number | null;
}

/** The names of signals an action or trigger can wait for. */
export type SignalName =
  | 'churn'
  | 'clv'
  | 'segment'
  | 'tier'
  | 'pointsExpiring'
  | 'challengeExpiring'
  | 'replenishment'
  | 'recommendations'
  | 'advocacy';

export function hasSignal(state: CustomerState, signal: SignalName): boolean {
  return state[signal] !== null;
}

/** A customer with no history and no signals (for tests and new customers). */
export function emptyState(customerId: string): CustomerState {
  return {
    customerId,
    timezone: null,
    enrolledAt: null,
    orders: [],
    deliveries: [],
    reviewedAt: [],
    tickets: [],
    consents: [],
    churn: null,
    clv: null,
    segment: null,
    tier: null,
    pointsExpiring: null,
    challengeExpiring: null,
    replenishment: null,
    recommendations: null,
    advocacy: null,
  };
}
