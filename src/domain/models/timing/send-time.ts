/**
 * When and where a customer listens: their hours of the week (7 × 24, local time) of opens and
 * clicks, shrunk toward the store-wide pattern by empirical Bayes, the channel they respond to,
 * and the best send time that follows.
 *
 * Shrinkage (Dirichlet–multinomial). The store pattern p is the share of all responses in each
 * hour of the week (plus one pseudo-response per hour). A customer with counts nₕ (N in total)
 * gets the posterior mean  θₕ = (nₕ + α·pₕ) / (N + α):  with no history it is the store pattern,
 * with much history their own. The prior strength α (in pseudo-responses) is fitted to the store
 * by maximising the Dirichlet–multinomial marginal likelihood of the customers' counts,
 *   Σᵢ [ln Γ(α) − ln Γ(Nᵢ + α) + Σₕ (ln Γ(nᵢₕ + α pₕ) − ln Γ(α pₕ))],
 * over α ∈ [1, 2000] (golden-section search on ln α); a store whose customers all behave like the
 * store gets a large α, one whose customers each keep their own hours a small one.
 *
 * Best send time: the local hour h maximising the posterior's hour-of-day profile, smoothed with
 * the circular kernel (¼, ½, ¼) over neighbouring hours (a 19:58 and a 20:03 open are one habit),
 * and the weekday with the largest posterior at that hour.
 */
import { logGamma } from '../clv/special-functions.js';
import { HOURS_OF_WEEK } from './local-time.js';

export const CHANNELS = ['email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

export type ResponseKind = 'open' | 'click';

/** Engagement events Patron reads, by event name: channel and kind of response. */
export const ENGAGEMENT_EVENTS: Readonly<Record<string, { channel: Channel; kind: ResponseKind }>> = {
  'Email Opened': { channel: 'email', kind: 'open' },
  'Email Link Clicked': { channel: 'email', kind: 'click' },
  'SMS Link Clicked': { channel: 'sms', kind: 'click' },
  'SMS Replied': { channel: 'sms', kind: 'click' },
  'Push Notification Opened': { channel: 'push', kind: 'open' },
  'Push Notification Tapped': { channel: 'push', kind: 'click' },
};

/** A store-wide hour-of-week distribution (sums to 1) from summed counts, one pseudo-count per hour. */
export function storePattern(counts: ArrayLike<number>): Float64Array {
  if (counts.length !== HOURS_OF_WEEK) throw new RangeError('storePattern: need 168 counts');
  let total = 0;
  for (let h = 0; h < HOURS_OF_WEEK; h++) total += counts[h] as number;
  const p = new Float64Array(HOURS_OF_WEEK);
  for (let h = 0; h < HOURS_OF_WEEK; h++) p[h] = ((counts[h] as number) + 1) / (total + HOURS_OF_WEEK);
  return p;
}

/** One customer's sparse counts: hours of the week and how many responses fell in each. */
export interface SparseCounts {
  readonly hours: ArrayLike<number>;
  readonly counts: ArrayLike<number>;
  readonly total: number;
}

/** Dirichlet–multinomial log marginal likelihood of the customers' counts at prior strength α (up to a constant). */
export function dirichletMultinomialLogLikelihood(
  customers: readonly SparseCounts[],
  p: ArrayLike<number>,
  alpha: number,
): number {
  let ll = 0;
  const lgA = logGamma(alpha);
  for (const c of customers) {
    if (c.total === 0) continue;
    ll += lgA - logGamma(c.total + alpha);
    for (let j = 0; j < c.hours.length; j++) {
      const ap = alpha * (p[c.hours[j] as number] as number);
      ll += logGamma((c.counts[j] as number) + ap) - logGamma(ap);
    }
  }
  return ll;
}

export const PRIOR_STRENGTH_RANGE = [1, 2000] as const;

/** The α maximising the marginal likelihood (golden-section on ln α over {@link PRIOR_STRENGTH_RANGE}). */
export function fitPriorStrength(customers: readonly SparseCounts[], p: ArrayLike<number>): number {
  const informative = customers.filter((c) => c.total >= 2);
  if (informative.length === 0) return 10;
  const f = (logA: number): number => -dirichletMultinomialLogLikelihood(informative, p, Math.exp(logA));
  let a = Math.log(PRIOR_STRENGTH_RANGE[0]);
  let b = Math.log(PRIOR_STRENGTH_RANGE[1]);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 40 && b - a > 1e-3; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/** The posterior mean pattern θₕ = (nₕ + α pₕ) / (N + α) of one customer (168 values summing to 1). */
export function posteriorPattern(c: SparseCounts, p: ArrayLike<number>, alpha: number): Float64Array {
  const out = new Float64Array(HOURS_OF_WEEK);
  const denom = c.total + alpha;
  for (let h = 0; h < HOURS_OF_WEEK; h++) out[h] = (alpha * (p[h] as number)) / denom;
  for (let j = 0; j < c.hours.length; j++) {
    const h = c.hours[j] as number;
    out[h] = (out[h] as number) + (c.counts[j] as number) / denom;
  }
  return out;
}

export interface BestHour {
  /** Local hour 0–23 to send at (on the hour). */
  readonly hour: number;
  /** Weekday 0 (Monday) – 6 (Sunday) with the largest posterior at that hour. */
  readonly weekday: number;
  /** Posterior share of responses in the smoothed best hour of day. */
  readonly share: number;
}

/** The best local hour (smoothed hour-of-day profile) and weekday of a posterior pattern. */
export function bestHour(pattern: ArrayLike<number>): BestHour {
  const byHour = new Float64Array(24);
  for (let h = 0; h < HOURS_OF_WEEK; h++)
    byHour[h % 24] = (byHour[h % 24] as number) + (pattern[h] as number);
  let hour = 0;
  let best = -Infinity;
  for (let h = 0; h < 24; h++) {
    const s =
      0.25 * (byHour[(h + 23) % 24] as number) +
      0.5 * (byHour[h] as number) +
      0.25 * (byHour[(h + 1) % 24] as number);
    if (s > best) {
      best = s;
      hour = h;
    }
  }
  let weekday = 0;
  for (let d = 1; d < 7; d++)
    if ((pattern[d * 24 + hour] as number) > (pattern[weekday * 24 + hour] as number)) weekday = d;
  return { hour, weekday, share: best };
}

/**
 * Channel preference: each channel's share of the customer's responses, shrunk toward the store's
 * shares with `strength` pseudo-responses: (r_c + strength·π_c) / (R + strength). The channel with
 * the largest share wins; with no responses the store's most responsive channel.
 */
export function channelPreference(
  responses: Readonly<Record<Channel, number>>,
  storeShares: Readonly<Record<Channel, number>>,
  strength = 5,
): { channel: Channel; shares: Record<Channel, number> } {
  let total = 0;
  for (const c of CHANNELS) total += responses[c];
  const shares = {} as Record<Channel, number>;
  let channel: Channel = 'email';
  for (const c of CHANNELS) {
    shares[c] = (responses[c] + strength * storeShares[c]) / (total + strength);
    if (shares[c] > shares[channel]) channel = c;
  }
  return { channel, shares };
}

/** Store-wide channel shares of responses (uniform when the store has none). */
export function storeChannelShares(totals: Readonly<Record<Channel, number>>): Record<Channel, number> {
  let sum = 0;
  for (const c of CHANNELS) sum += totals[c];
  const out = {} as Record<Channel, number>;
  for (const c of CHANNELS) out[c] = sum > 0 ? totals[c] / sum : 1 / CHANNELS.length;
  return out;
}
