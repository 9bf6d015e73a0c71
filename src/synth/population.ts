/**
 * The latent customers of the synthetic store and each customer's plan: when they buy and, if they
 * drop out, when and why. Pure: everything comes from the seeded random source.
 */
import { createRandom, type Random } from '../domain/random.js';
import type { CatalogIndex, Product } from './catalog.js';
import { driverShares, churnDrivers, type ActiveChurnDriver, type LatentParams } from './params.js';
import { firstNames, lastNames } from './text.js';
import { DAY, HOUR, nextLocalHour, WEEK } from './time.js';

interface ZoneSpec {
  readonly zone: string;
  readonly weight: number;
  readonly country: 'US' | 'GB' | 'DE' | 'FR' | 'AU' | 'JP';
  readonly localCurrency: 'USD' | 'EUR' | 'GBP';
}

export const timeZones: readonly ZoneSpec[] = [
  { zone: 'America/New_York', weight: 0.24, country: 'US', localCurrency: 'USD' },
  { zone: 'America/Chicago', weight: 0.14, country: 'US', localCurrency: 'USD' },
  { zone: 'America/Denver', weight: 0.06, country: 'US', localCurrency: 'USD' },
  { zone: 'America/Los_Angeles', weight: 0.16, country: 'US', localCurrency: 'USD' },
  { zone: 'Europe/London', weight: 0.12, country: 'GB', localCurrency: 'GBP' },
  { zone: 'Europe/Berlin', weight: 0.12, country: 'DE', localCurrency: 'EUR' },
  { zone: 'Europe/Paris', weight: 0.08, country: 'FR', localCurrency: 'EUR' },
  { zone: 'Australia/Sydney', weight: 0.05, country: 'AU', localCurrency: 'USD' },
  { zone: 'Asia/Tokyo', weight: 0.03, country: 'JP', localCurrency: 'USD' },
];

/** How often each category is among a customer's preferred ones. */
const categoryWeights: Readonly<Record<string, number>> = {
  coffee: 0.2,
  tea: 0.1,
  skincare: 0.15,
  supplements: 0.12,
  'pet food': 0.1,
  apparel: 0.15,
  accessories: 0.08,
  home: 0.1,
};

/** Share of European customers who pay in their own currency (the rest pay in USD). */
const LOCAL_CURRENCY_SHARE = 0.35;
const DEAL_SEEKER_SHARE = 0.12;

export interface LatentCustomer {
  /** 0-based; customers are numbered in order of acquisition. */
  readonly index: number;
  readonly userId: string;
  readonly anonymousId: string;
  /** A second device's anonymous id, linked by a later identify; null for one-device customers. */
  readonly secondAnonymousId: string | null;
  readonly email: string;
  readonly phone: string | null;
  readonly firstName: string;
  readonly lastName: string;
  readonly timezone: string;
  readonly currency: 'USD' | 'EUR' | 'GBP';
  /** The first order; acquisition. */
  readonly acquiredAt: number;
  /** λ: purchases per week while alive. */
  readonly lambda: number;
  /** p: probability of dropping out after each purchase. */
  readonly dropoutProbability: number;
  /** ν: the Gamma-Gamma rate of order values (1/USD); mean spend = p/ν. */
  readonly nu: number;
  readonly preferredCategories: readonly string[];
  readonly replenishment: { readonly productId: string; readonly cycleDays: number } | null;
  /** Why this customer would leave, if they leave. */
  readonly driverType: ActiveChurnDriver;
  readonly dealSeeker: boolean;
  readonly emailOpenRate: number;
  /** Browsing sessions without an order, per week. */
  readonly browseRate: number;
  /** Local hour of day the customer is most active (send-time truth). */
  readonly preferredHour: number;
  readonly reviewPropensity: number;
  /** 0–1; drives NPS and review ratings when nothing goes wrong. */
  readonly happiness: number;
  readonly communityMember: boolean;
  readonly marketingConsent: boolean;
  readonly smsConsent: boolean;
  /** A stretch of low engagement that does not lead to churn (noise); null if none. */
  readonly slump: { readonly from: number; readonly to: number } | null;
  referredBy: number | null;
}

export type Story =
  | { readonly driver: 'price' }
  | { readonly driver: 'disengagement' }
  | {
      readonly driver: 'service';
      readonly severity: 'high' | 'urgent';
      readonly ticketAt: number;
      readonly followUpAt: number | null;
      readonly resolvedAt: number | null;
    }
  | {
      readonly driver: 'quality';
      readonly deliveredAt: number;
      readonly refundAt: number;
      readonly reviewAt: number;
      readonly surveyAt: number | null;
    };

/** The latent future of one customer. */
export interface Plan {
  /** Every purchase, ascending, all before the horizon end. */
  readonly purchaseTimes: readonly number[];
  /** The dropout time (after the last purchase and its exit story); null if the customer is alive at the horizon end. */
  readonly churnAt: number | null;
  readonly story: Story | null;
}

/** A 32-bit seed for an independent stream, mixed from integers (seed, entity, purpose, …). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}

/** Purposes of the per-customer random streams. */
export const Stream = { latent: 1, life: 2, plan: 3, action: 4 } as const;

function weighted<T>(rng: Random, items: readonly T[], weight: (t: T) => number): T {
  let total = 0;
  for (const it of items) total += weight(it);
  let u = rng.next() * total;
  for (const it of items) {
    u -= weight(it);
    if (u < 0) return it;
  }
  return items[items.length - 1] as T;
}

function hex(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(16)];
  return s;
}

function digits(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(10));
  return s;
}

function phoneFor(rng: Random, country: ZoneSpec['country']): string {
  switch (country) {
    case 'US':
      return `+1${200 + rng.int(780)}${200 + rng.int(800)}${digits(rng, 4)}`;
    case 'GB':
      return `+447${digits(rng, 9)}`;
    case 'DE':
      return `+4915${digits(rng, 9)}`;
    case 'FR':
      return `+336${digits(rng, 8)}`;
    case 'AU':
      return `+614${digits(rng, 8)}`;
    case 'JP':
      return `+8190${digits(rng, 8)}`;
    default: {
      const _exhaustive: never = country;
      return _exhaustive;
    }
  }
}

export interface PopulationOptions {
  readonly customers: number;
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly acquisitionWeeks: number;
  readonly params: LatentParams;
  readonly replenishment: boolean;
}

/** Draws the latent customers, numbered in order of acquisition, and their first plans. */
export function drawPopulation(
  opts: PopulationOptions,
  catalog: CatalogIndex,
): { customers: LatentCustomer[]; plans: Plan[] } {
  const pop = createRandom(mixSeed(opts.seed, 0x706f70));
  const raw: number[] = [];
  for (let i = 0; i < opts.customers; i++) raw.push(opts.start + pop.next() * opts.acquisitionWeeks * WEEK);
  raw.sort((x, y) => x - y);

  const customers: LatentCustomer[] = [];
  const plans: Plan[] = [];
  for (let i = 0; i < opts.customers; i++) {
    const rng = createRandom(mixSeed(opts.seed, i, Stream.latent));
    const c = drawCustomer(rng, i, raw[i] as number, opts, catalog);
    customers.push(c);
    plans.push(drawPlan(c, createRandom(mixSeed(opts.seed, i, Stream.plan, 0)), [], null, opts.end));
  }

  // Referrals: some customers were brought in by an earlier customer who was still active then.
  for (let i = 1; i < customers.length; i++) {
    const c = customers[i] as LatentCustomer;
    if (!pop.chance(0.06)) continue;
    for (let attempt = 0; attempt < 3; attempt++) {
      const j = pop.int(i);
      const referrer = customers[j] as LatentCustomer;
      const churnAt = (plans[j] as Plan).churnAt;
      if (referrer.acquiredAt + WEEK < c.acquiredAt && (churnAt === null || churnAt > c.acquiredAt)) {
        c.referredBy = j;
        break;
      }
    }
  }
  return { customers, plans };
}

function drawCustomer(
  rng: Random,
  index: number,
  rawAcquisition: number,
  opts: PopulationOptions,
  catalog: CatalogIndex,
): LatentCustomer {
  const { params } = opts;
  const zone = weighted(rng, timeZones, (z) => z.weight);
  const preferredHour = Math.min(22.5, Math.max(7, rng.normal(19, 2.5)));
  const lambda = rng.gamma(params.r, params.alpha);
  const dropoutProbability = rng.beta(params.a, params.b);
  const nu = rng.gamma(params.q, params.gamma);
  const firstName = rng.pick(firstNames);
  const lastName = rng.pick(lastNames);
  const n = index + 1;
  const emailLocal = `${firstName}.${lastName}`
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z.]/g, '');
  const email = `${emailLocal}.${n}@${rng.pick(['example.com', 'example.org', 'example.net'])}`;
  const phone = rng.chance(0.4) ? phoneFor(rng, zone.country) : null;
  const currency =
    zone.localCurrency !== 'USD' && rng.chance(LOCAL_CURRENCY_SHARE) ? zone.localCurrency : 'USD';

  const preferred: string[] = [];
  const howMany = 1 + rng.int(3);
  const cats = Object.keys(categoryWeights);
  for (let k = 0; k < 10 && preferred.length < howMany; k++) {
    const cat = weighted(rng, cats, (x) => categoryWeights[x] ?? 0);
    if (!preferred.includes(cat)) preferred.push(cat);
  }

  let replenishment: LatentCustomer['replenishment'] = null;
  const consumableCat = preferred.find((cat) =>
    catalog.products.some((p) => p.category === cat && p.consumable),
  );
  if (opts.replenishment && consumableCat !== undefined) {
    const product: Product = catalog.pick(rng, consumableCat);
    const cycle = product.replenishmentDays ?? 30;
    const meanGapDays = 7 / lambda;
    // Only customers whose own rate matches the product's cycle become replenishers, so λ stays their true rate.
    if (meanGapDays >= 0.75 * cycle && meanGapDays <= 1.33 * cycle && rng.chance(0.75)) {
      replenishment = { productId: product.productId, cycleDays: cycle };
    }
  }

  const dealSeeker = rng.chance(DEAL_SEEKER_SHARE);
  const driverType: ActiveChurnDriver =
    dealSeeker && rng.chance(0.55) ? 'price' : weighted(rng, churnDrivers, (d) => driverShares[d]);

  const acquiredAt = nextLocalHour(
    zone.zone,
    rawAcquisition,
    Math.min(23.5, Math.max(6.5, rng.normal(preferredHour, 2))),
  );
  const slump = rng.chance(0.12)
    ? (() => {
        const from = acquiredAt + rng.next() * Math.max(0, opts.end - acquiredAt);
        return { from, to: from + (6 + rng.int(7)) * WEEK };
      })()
    : null;

  return {
    index,
    userId: `u_${n}`,
    anonymousId: `a_${hex(rng, 16)}`,
    secondAnonymousId: rng.chance(0.25) ? `a_${hex(rng, 16)}` : null,
    email,
    phone,
    firstName,
    lastName,
    timezone: zone.zone,
    currency,
    acquiredAt,
    lambda,
    dropoutProbability,
    nu,
    preferredCategories: preferred,
    replenishment,
    driverType,
    dealSeeker,
    emailOpenRate: rng.beta(2, 12),
    browseRate: 0.01 + 0.25 * lambda * rng.gamma(2, 2),
    preferredHour: Math.round(preferredHour * 10) / 10,
    reviewPropensity: rng.beta(1.5, 12),
    happiness: rng.beta(5, 2),
    communityMember: rng.chance(0.08),
    marketingConsent: rng.chance(0.72),
    smsConsent: phone !== null && rng.chance(0.5),
    slump,
    referredBy: null,
  };
}

/** Number of purchases up to and including the one after which the customer drops out: Geometric(p) on 1, 2, … */
function purchasesUntilDropout(rng: Random, p: number): number {
  if (p >= 1) return 1;
  if (p <= 0) return Number.MAX_SAFE_INTEGER;
  let u = 0;
  while (u === 0) u = rng.next();
  return 1 + Math.min(1e6, Math.floor(Math.log(u) / Math.log(1 - p)));
}

/** Weeks to the next purchase: exponential (BG/NBD), or Erlang-8 with the same mean for replenishers. */
function gapWeeks(c: LatentCustomer, rng: Random): number {
  return c.replenishment ? rng.gamma(8, 8 * c.lambda) : rng.exponential(c.lambda);
}

function daytime(c: LatentCustomer, rng: Random, t: number): number {
  // A very slow buyer's next gap can lie beyond any representable date; it is past the horizon anyway.
  if (!Number.isFinite(t) || t > MAX_DATE_MS) return Number.POSITIVE_INFINITY;
  return nextLocalHour(c.timezone, t, Math.min(23.5, Math.max(6.5, rng.normal(c.preferredHour, 2.5))));
}

/** The largest time a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

function uniform(rng: Random, lo: number, hi: number): number {
  return lo + rng.next() * (hi - lo);
}

/**
 * Draws a customer's plan. `kept` are purchases already made; with `resumeAt` (a saved customer) the
 * next purchase comes after that instant. Purchases follow BG/NBD: gaps at rate λ while alive and a
 * dropout after the K-th purchase, K ~ Geometric(p). The exit story of the customer's driver follows
 * the last purchase, and the churn time comes after it.
 */
export function drawPlan(
  c: LatentCustomer,
  rng: Random,
  kept: readonly number[],
  resumeAt: number | null,
  end: number,
): Plan {
  const times = [...kept];
  const k = purchasesUntilDropout(rng, c.dropoutProbability);
  let last: number | null = times[times.length - 1] ?? null;
  for (let i = 0; i < k; i++) {
    let t: number;
    if (last === null) t = c.acquiredAt;
    else if (i === 0 && resumeAt !== null) {
      const earliest = resumeAt + rng.next() * DAY;
      t = c.replenishment
        ? Math.max(last + gapWeeks(c, rng) * WEEK, earliest)
        : resumeAt + gapWeeks(c, rng) * WEEK;
      t = daytime(c, rng, t);
    } else {
      t = daytime(c, rng, last + gapWeeks(c, rng) * WEEK);
    }
    if (last !== null && t < last + HOUR) t = last + HOUR;
    if (t >= end || !Number.isFinite(t)) return { purchaseTimes: times, churnAt: null, story: null };
    times.push(Math.round(t));
    last = t;
  }
  const lastPurchase = times[times.length - 1] as number;
  const { story, churnAt } = drawStory(c, rng, lastPurchase);
  return { purchaseTimes: times, churnAt: Math.round(churnAt), story };
}

function drawStory(c: LatentCustomer, rng: Random, tK: number): { story: Story; churnAt: number } {
  switch (c.driverType) {
    case 'price':
      return { story: { driver: 'price' }, churnAt: tK + uniform(rng, 7, 28) * DAY };
    case 'disengagement':
      return { story: { driver: 'disengagement' }, churnAt: tK + uniform(rng, 14, 56) * DAY };
    case 'service': {
      const ticketAt = Math.round(daytime(c, rng, tK + uniform(rng, 1.5, 6) * DAY));
      const followUpAt = rng.chance(0.6)
        ? Math.round(daytime(c, rng, ticketAt + uniform(rng, 2, 6) * DAY))
        : null;
      const resolvedAt = rng.chance(0.55) ? Math.round(ticketAt + uniform(rng, 9, 24) * DAY) : null;
      const churnAt = (followUpAt ?? ticketAt) + uniform(rng, 3, 12) * DAY;
      return {
        story: {
          driver: 'service',
          severity: rng.chance(0.6) ? 'high' : 'urgent',
          ticketAt,
          followUpAt,
          resolvedAt,
        },
        churnAt,
      };
    }
    case 'quality': {
      const deliveredAt = Math.round(tK + uniform(rng, 2, 5) * DAY);
      const refundAt = Math.round(deliveredAt + uniform(rng, 1, 6) * DAY);
      const reviewAt = Math.round(daytime(c, rng, deliveredAt + uniform(rng, 0.5, 7) * DAY));
      const surveyAt = rng.chance(0.4)
        ? Math.round(daytime(c, rng, deliveredAt + uniform(rng, 3, 10) * DAY))
        : null;
      const churnAt = Math.max(refundAt, reviewAt, surveyAt ?? 0) + uniform(rng, 1, 6) * DAY;
      return { story: { driver: 'quality', deliveredAt, refundAt, reviewAt, surveyAt }, churnAt };
    }
    default: {
      const _exhaustive: never = c.driverType;
      return _exhaustive;
    }
  }
}
