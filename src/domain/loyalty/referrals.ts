/**
 * Referrals and abuse: a personal code per member, attribution of the referred customer's first
 * order, rewards for both sides once that order's return window has closed, fraud checks
 * (self-referral by a shared email, address or payment fingerprint; velocity limits), and refund
 * cycling (buy, earn, refund, repeat) flagged for review.
 */

const DAY_MS = 86_400_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A member's personal referral code from random bytes: a readable stem from their first name (if
 * any, letters only, at most 6) and 6 Crockford base32 characters, e.g. `ANNA-7K2MQX`.
 */
export function referralCode(bytes: Uint8Array, firstName?: string | null): string {
  if (bytes.length < 4) throw new RangeError('a referral code needs at least 4 random bytes');
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let tail = '';
  for (let i = 0; i < 6; i++) {
    tail += CROCKFORD[Number(n & 31n)];
    n >>= 5n;
  }
  const stem = (firstName ?? '')
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toUpperCase()
    .slice(0, 6);
  return `${stem || 'FRIEND'}-${tail}`;
}

/** Normalises a code as typed by a customer (case, spaces, look-alike letters). */
export function normaliseReferralCode(code: string): string {
  const [stem, tail] = code.trim().toUpperCase().replace(/\s+/g, '').split('-', 2);
  if (tail === undefined) return stem ?? '';
  return `${stem}-${tail.replace(/O/g, '0').replace(/[IL]/g, '1')}`;
}

/** The identity facts a fraud check compares. */
export interface ReferralParty {
  readonly customerId: string;
  readonly emails: readonly string[];
  /** Shipping/billing addresses as free text. */
  readonly addresses: readonly string[];
  /** Payment-method fingerprints (from the store's payment processor). */
  readonly paymentFingerprints: readonly string[];
}

/**
 * An email reduced to the mailbox it reaches: lower case, `+tag` removed, and for Gmail the dots
 * removed and googlemail.com folded into gmail.com (the usual ways to make a "new" address).
 */
export function normaliseEmail(email: string): string {
  const e = email.trim().toLowerCase();
  const at = e.lastIndexOf('@');
  if (at < 0) return e;
  let local = e.slice(0, at);
  let domain = e.slice(at + 1);
  local = local.split('+')[0] as string;
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}

/** An address reduced for comparison: case, punctuation and common abbreviations folded. */
export function normaliseAddress(address: string): string {
  const abbreviations: Record<string, string> = {
    street: 'st',
    str: 'st',
    avenue: 'ave',
    av: 'ave',
    road: 'rd',
    apartment: 'apt',
    flat: 'apt',
    suite: 'ste',
    strasse: 'str',
  };
  return address
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .map((w) => abbreviations[w] ?? w)
    .join(' ');
}

export interface VelocityLimits {
  /** At most this many attributed referrals per referrer per day … */
  readonly perDay: number;
  /** … and per 30 days. */
  readonly per30Days: number;
}

export const DEFAULT_VELOCITY: VelocityLimits = { perDay: 3, per30Days: 10 };

export type ReferralFlag =
  | { readonly type: 'SelfReferral'; readonly by: 'email' | 'address' | 'payment'; readonly value: string }
  | {
      readonly type: 'VelocityExceeded';
      readonly window: 'day' | '30 days';
      readonly count: number;
      readonly limit: number;
    }
  | { readonly type: 'ReferredCustomerNotNew'; readonly firstOrderAt: string }
  | { readonly type: 'ReferrerIsReferee' };

export type ReferralDecision = 'accept' | 'reject' | 'review';

export interface ReferralCheck {
  readonly decision: ReferralDecision;
  readonly flags: readonly ReferralFlag[];
}

/**
 * Fraud checks on one attribution. A self-referral (the same person on both sides: same customer,
 * a shared normalised email, address or payment fingerprint) or a referee who had ordered before
 * the referral is rejected; a referrer over the velocity limits goes to review (a genuine
 * influencer and a fraud ring look alike; a person decides).
 */
export function checkReferral(input: {
  readonly referrer: ReferralParty;
  readonly referee: ReferralParty;
  /** When the referee's earlier orders started, if they ordered before the referral. */
  readonly refereeOrderedBefore: string | null;
  /** Times of the referrer's other attributed referrals (not this one). */
  readonly referrerAttributions: readonly string[];
  readonly at: string;
  readonly limits?: VelocityLimits;
}): ReferralCheck {
  const flags: ReferralFlag[] = [];
  const { referrer: a, referee: b } = input;
  if (a.customerId === b.customerId) flags.push({ type: 'ReferrerIsReferee' });
  const shared = (xs: readonly string[], ys: readonly string[], norm: (s: string) => string) => {
    const set = new Set(xs.map(norm).filter((s) => s !== ''));
    return ys.map(norm).find((y) => set.has(y)) ?? null;
  };
  const email = shared(a.emails, b.emails, normaliseEmail);
  if (email) flags.push({ type: 'SelfReferral', by: 'email', value: email });
  const address = shared(a.addresses, b.addresses, normaliseAddress);
  if (address) flags.push({ type: 'SelfReferral', by: 'address', value: address });
  const payment = shared(a.paymentFingerprints, b.paymentFingerprints, (s) => s.trim());
  if (payment) flags.push({ type: 'SelfReferral', by: 'payment', value: payment });
  if (input.refereeOrderedBefore !== null)
    flags.push({ type: 'ReferredCustomerNotNew', firstOrderAt: input.refereeOrderedBefore });

  const limits = input.limits ?? DEFAULT_VELOCITY;
  const t = Date.parse(input.at);
  const within = (days: number) =>
    input.referrerAttributions.filter((x) => {
      const u = Date.parse(x);
      return u <= t && u > t - days * DAY_MS;
    }).length + 1;
  const day = within(1);
  if (day > limits.perDay)
    flags.push({ type: 'VelocityExceeded', window: 'day', count: day, limit: limits.perDay });
  const month = within(30);
  if (month > limits.per30Days)
    flags.push({ type: 'VelocityExceeded', window: '30 days', count: month, limit: limits.per30Days });

  const reject = flags.some((f) => f.type !== 'VelocityExceeded');
  return { decision: reject ? 'reject' : flags.length > 0 ? 'review' : 'accept', flags };
}

export type ReferralStatus =
  'awaiting_order' | 'in_return_window' | 'due' | 'rewarded' | 'void' | 'rejected' | 'review';

/**
 * Where an attribution stands: waiting for the referee's first order; that order inside its return
 * window; due for both rewards once the window has closed and the order is not (fully) refunded or
 * cancelled; void if it was. `attributionDays` bounds how long after the referral the first order
 * may come.
 */
export function referralStatus(input: {
  readonly decision: ReferralDecision;
  readonly referredAt: string;
  readonly firstOrder: { readonly at: string; readonly netMinor: number; readonly grossMinor: number } | null;
  readonly rewarded: boolean;
  readonly now: string;
  readonly returnWindowDays: number;
  readonly attributionDays: number;
}): { status: ReferralStatus; dueAt: string | null } {
  if (input.decision === 'reject') return { status: 'rejected', dueAt: null };
  if (input.decision === 'review') return { status: 'review', dueAt: null };
  if (input.rewarded) return { status: 'rewarded', dueAt: null };
  const now = Date.parse(input.now);
  const o = input.firstOrder;
  if (!o) {
    const expired = now > Date.parse(input.referredAt) + input.attributionDays * DAY_MS;
    return { status: expired ? 'void' : 'awaiting_order', dueAt: null };
  }
  if (Date.parse(o.at) > Date.parse(input.referredAt) + input.attributionDays * DAY_MS)
    return { status: 'void', dueAt: null };
  const dueAt = new Date(Date.parse(o.at) + input.returnWindowDays * DAY_MS).toISOString();
  if (o.grossMinor > 0 && o.netMinor <= 0) return { status: 'void', dueAt: null };
  return { status: now >= Date.parse(dueAt) ? 'due' : 'in_return_window', dueAt };
}

/** An order as the refund-cycling check sees it. */
export interface CycleOrder {
  readonly orderId: string;
  readonly at: string;
  readonly grossMinor: number;
  readonly refundedMinor: number;
  /** When the (last) refund happened, if any. */
  readonly refundedAt: string | null;
  /** Points the order earned before it was refunded. */
  readonly pointsEarned: number;
}

export interface RefundCyclingSettings {
  readonly windowDays: number;
  /** An order counts as refunded when at least this share of it came back. */
  readonly refundShare: number;
  /** This many refunded, point-earning orders in the window raise a flag … */
  readonly minCycles: number;
  /** … when they are at least this share of the window's orders. */
  readonly minRefundRate: number;
}

export const DEFAULT_REFUND_CYCLING: RefundCyclingSettings = {
  windowDays: 90,
  refundShare: 0.8,
  minCycles: 3,
  minRefundRate: 0.5,
};

export interface RefundCyclingFlag {
  readonly cycles: number;
  readonly orders: number;
  readonly refundRate: number;
  readonly pointsEarnedOnRefunded: number;
  readonly orderIds: readonly string[];
  readonly reason: string;
}

/**
 * Refund cycling: in the last `windowDays`, at least `minCycles` orders that earned points and were
 * then (mostly) refunded, making up at least `minRefundRate` of the orders. The ledger already
 * claws the points back; the flag is for a person to review (a returns-heavy fashion shopper is
 * not a fraudster), so it never blocks anything by itself.
 */
export function detectRefundCycling(
  orders: readonly CycleOrder[],
  now: string,
  s: RefundCyclingSettings = DEFAULT_REFUND_CYCLING,
): RefundCyclingFlag | null {
  const t = Date.parse(now);
  const inWindow = orders.filter((o) => {
    const u = Date.parse(o.at);
    return u <= t && u > t - s.windowDays * DAY_MS && o.grossMinor > 0;
  });
  const cycled = inWindow.filter(
    (o) => o.pointsEarned > 0 && o.refundedAt !== null && o.refundedMinor >= s.refundShare * o.grossMinor,
  );
  if (cycled.length < s.minCycles) return null;
  const rate = cycled.length / inWindow.length;
  if (rate < s.minRefundRate) return null;
  const points = cycled.reduce((n, o) => n + o.pointsEarned, 0);
  return {
    cycles: cycled.length,
    orders: inWindow.length,
    refundRate: rate,
    pointsEarnedOnRefunded: points,
    orderIds: cycled.map((o) => o.orderId),
    reason: `${cycled.length} of ${inWindow.length} orders in ${s.windowDays} days earned points (${points}) and were refunded`,
  };
}
