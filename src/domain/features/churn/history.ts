/**
 * A customer's history as the churn features read it: plain values, times in epoch milliseconds
 * (UTC), money in the base currency's minor units. The store fills it; features read only the part
 * strictly before a cut-off, so one history serves every cut-off of a rolling-origin split.
 */

export interface OrderRecord {
  readonly orderId: string;
  readonly at: number;
  readonly totalMinor: number;
  /** Discount on the order (base minor units); > 0 or a coupon means "bought on discount". */
  readonly discountMinor: number;
  readonly coupon: boolean;
}

export interface TicketRecord {
  readonly ticketId: string;
  readonly openedAt: number;
  readonly severity: 'low' | 'medium' | 'high' | 'urgent';
  /** When resolved, and whether the customer was satisfied (null when not said). */
  readonly resolvedAt: number | null;
  readonly satisfied: boolean | null;
}

/** Kinds of light-weight activity counted for engagement. */
export type ActivityKind = 'visit' | 'productView' | 'emailOpen' | 'emailClick';

export interface CustomerHistory {
  readonly customerId: string;
  /** Non-cancelled orders, ascending by time. */
  readonly orders: readonly OrderRecord[];
  /** Refunds: time and the order refunded (null when not said). */
  readonly refunds: ReadonlyArray<{ readonly at: number; readonly orderId: string | null }>;
  /** Browsing and email activity, ascending by time (a visit is a page, cart or product event). */
  readonly activity: ReadonlyArray<{ readonly at: number; readonly kind: ActivityKind }>;
  /** Checkout starts with the order they were for (null when not said). */
  readonly checkouts: ReadonlyArray<{ readonly at: number; readonly orderId: string | null }>;
  readonly tickets: readonly TicketRecord[];
  readonly reviews: ReadonlyArray<{ readonly at: number; readonly rating: number }>;
  readonly surveys: ReadonlyArray<{ readonly at: number; readonly nps: number }>;
  readonly paymentFailures: readonly number[];
  readonly subscriptionPauses: ReadonlyArray<{ readonly at: number; readonly reason: string | null }>;
  readonly unsubscribes: readonly number[];
}

/** An empty history (for tests and customers without data). */
export function emptyHistory(customerId: string): CustomerHistory {
  return {
    customerId,
    orders: [],
    refunds: [],
    activity: [],
    checkouts: [],
    tickets: [],
    reviews: [],
    surveys: [],
    paymentFailures: [],
    subscriptionPauses: [],
    unsubscribes: [],
  };
}
