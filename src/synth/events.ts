/** The Segment-shaped events the simulator writes (Patron's ingestion contract). */

export interface SynthContext {
  readonly timezone: string;
  readonly traits?: { readonly email: string };
}

export interface SynthTrack {
  readonly type: 'track';
  readonly event: string;
  readonly messageId: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly timestamp: string;
  readonly properties: Record<string, unknown>;
  readonly context: SynthContext;
}

export interface SynthIdentify {
  readonly type: 'identify';
  readonly messageId: string;
  readonly userId: string;
  readonly anonymousId?: string;
  readonly timestamp: string;
  readonly traits: Record<string, unknown>;
  readonly context: SynthContext;
}

export type SynthEvent = SynthTrack | SynthIdentify;

/** Every track event name the simulator writes. */
export const synthEventNames = [
  'Product Viewed',
  'Product Added',
  'Cart Viewed',
  'Checkout Started',
  'Order Completed',
  'Order Delivered',
  'Order Refunded',
  'Order Cancelled',
  'Payment Failed',
  'Subscription Paused',
  'Product Reviewed',
  'Email Opened',
  'Email Link Clicked',
  'Unsubscribed',
  'Ticket Opened',
  'Ticket Resolved',
  'Survey Answered',
  'Referral Completed',
  'Community Posted',
  'Consent Updated',
] as const;

export type SynthEventName = (typeof synthEventNames)[number];

/** A decimal in the currency's major unit, as Segment sends it: 2933 → 29.33. */
export function major(minor: number): number {
  return Math.round(minor) / 100;
}
