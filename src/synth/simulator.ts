/**
 * The synthetic store as a simulator: customers with a latent BG/NBD purchase process, Gamma-Gamma
 * spend and a churn driver, run forward one week at a time. Each week's events are returned in
 * timestamp order; `applyAction` lets Patron act on a customer between weeks, and a customer whose
 * churn driver matches the action responds by the documented rule in params.ts.
 * Pure: all randomness comes from per-customer seeded streams, and no wall clock is read.
 */
import { createRandom, type Random } from '../domain/random.js';
import { drawCatalog, indexCatalog, type Product } from './catalog.js';
import { major, type SynthEvent, type SynthEventName, type SynthTrack } from './events.js';
import {
  AT_RISK_WEEKS,
  defaultLatentParams,
  driverShares,
  fxRatesPerUsd,
  responseRule,
  saveProbability,
  type ActiveChurnDriver,
  type ChurnDriver,
  type LatentParams,
  type RetentionAction,
} from './params.js';
import {
  drawPlan,
  drawPopulation,
  mixSeed,
  Stream,
  timeZones,
  type LatentCustomer,
  type Plan,
} from './population.js';
import {
  campaignSubject,
  followUpTexts,
  resolutionText,
  reviewBody,
  surveyComment,
  ticketText,
  type Theme,
  type TicketKind,
} from './text.js';
import { DAY, HOUR, iso, MINUTE, nextLocalHour, parseInstant, WEEK } from './time.js';

export interface SimulatorOptions {
  readonly customers: number;
  readonly seed: number;
  /** First day of the horizon (UTC), default 2025-01-06. */
  readonly start?: string;
  /** Length of the horizon in weeks, default 104. */
  readonly weeks?: number;
  /** Customers are acquired uniformly over the first this many weeks, default half the horizon. */
  readonly acquisitionWeeks?: number;
  /** Overrides of the latent parameters (r, alpha, a, b, p, q, gamma). */
  readonly params?: Partial<LatentParams>;
  /** Consumable buyers whose rate matches a product's cycle re-order regularly; default true. */
  readonly replenishment?: boolean;
}

/** `ground-truth-params.json`: the true parameters of the store. */
export interface StoreParams extends LatentParams {
  readonly units: { readonly time: 'weeks'; readonly lambda: string; readonly spend: string };
  readonly seed: number;
  readonly customers: number;
  readonly horizonStart: string;
  readonly horizonEnd: string;
  readonly weeks: number;
  readonly acquisitionWeeks: number;
  readonly replenishment: boolean;
  readonly driverShares: Readonly<Record<ActiveChurnDriver, number>>;
  readonly disengagementRampWeeks: number;
  readonly responseRule: typeof responseRule;
  readonly fxRatesPerUsd: Readonly<Record<string, number>>;
}

export interface Treatment {
  readonly at: string;
  readonly action: RetentionAction;
  readonly matched: boolean;
  readonly saved: boolean;
}

/** One line of `ground-truth.jsonl`. */
export interface CustomerTruth {
  readonly userId: string;
  readonly anonymousId: string;
  readonly secondAnonymousId: string | null;
  readonly email: string;
  readonly phone: string | null;
  readonly timezone: string;
  readonly currency: string;
  readonly acquiredAt: string;
  /** λ, purchases per week while alive. */
  readonly lambda: number;
  /** p, dropout probability after each purchase. */
  readonly p: number;
  /** ν, the Gamma-Gamma rate (1/USD). */
  readonly nu: number;
  /** The customer's true mean order value in USD, p_spend/ν. */
  readonly meanSpend: number;
  readonly preferredCategories: readonly string[];
  readonly replenishmentProductId: string | null;
  readonly replenishmentDays: number | null;
  readonly driver: ChurnDriver;
  readonly churnTime: string | null;
  readonly churned: boolean;
  /** Order Completed events written for this customer so far (all of them once the horizon is run). */
  readonly orders: number;
  readonly referredBy: string | null;
  readonly dealSeeker: boolean;
  readonly preferredHour: number;
  readonly emailOpenRate: number;
  /** Posts in the community (`Community Posted`) while active. */
  readonly communityMember: boolean;
  /** Latent satisfaction in [0, 1] (Beta(5, 2)); baseline NPS answers are round(10 × happiness + N(0, 1.2)). */
  readonly happiness: number;
  readonly treatments: readonly Treatment[];
}

export type ActionReason =
  | 'saved'
  | 'not_saved'
  | 'not_matching'
  | 'not_at_risk'
  | 'no_pending_churn'
  | 'not_acquired'
  | 'unknown_customer';

/** What an action truly did (ground truth; a fair policy must not read it). */
export interface ActionOutcome {
  readonly customerId: string;
  readonly action: RetentionAction['type'];
  readonly saved: boolean;
  readonly reason: ActionReason;
}

export interface Simulator {
  readonly catalog: readonly Product[];
  readonly params: StoreParams;
  /** Weeks simulated so far. */
  readonly week: number;
  readonly done: boolean;
  /** The start of the next week to simulate (ISO); actions take effect at this instant. */
  readonly now: string;
  /** Simulates the next week and returns its events in timestamp order ([] once done). */
  step(): SynthEvent[];
  applyAction(customerId: string, action: RetentionAction): ActionOutcome;
  groundTruth(): CustomerTruth[];
  truthOf(customerId: string): CustomerTruth | undefined;
}

/** Engagement of a disengagement churner fades over this many weeks before the churn. */
export const DISENGAGEMENT_RAMP_WEEKS = 10;
const RAMP = DISENGAGEMENT_RAMP_WEEKS * WEEK;
const PRICE_DRIFT = 8 * WEEK;

interface CustomerState {
  readonly c: LatentCustomer;
  readonly num: number;
  readonly life: Random;
  plan: Plan;
  /** Index of the next purchase of the plan to write. */
  next: number;
  generation: number;
  actions: number;
  seq: number;
  orders: number;
  counters: { ticket: number; review: number; checkout: number; post: number; survey: number };
  emailMarketing: boolean;
  secondLinked: boolean;
  subscriptionActive: boolean;
  phone: string | null;
  identifiedAt: number;
  treatments: Treatment[];
}

interface Pending {
  readonly t: number;
  readonly c: number;
  readonly s: number;
  readonly ev: SynthEvent;
}

interface Line {
  readonly product: Product;
  quantity: number;
}

type Who = 'user' | 'anon' | 'anon2';

const coupons = [
  { code: 'SAVE10', percent: 10 },
  { code: 'SAVE15', percent: 15 },
  { code: 'SPRING20', percent: 20 },
  { code: 'FLASH20', percent: 20 },
];
const deepCoupons = [
  { code: 'SAVE15', percent: 15 },
  { code: 'FLASH20', percent: 20 },
  { code: 'VIP25', percent: 25 },
  { code: 'COMEBACK30', percent: 30 },
];
const carriers = ['UPS', 'FedEx', 'USPS', 'DHL', 'Royal Mail'];
const US_TAX = 0.0725;

/** After sign-up and before the churn: when the customer's own visits and posts can happen. */
function isActive(st: CustomerState, t: number): boolean {
  return t > st.c.acquiredAt + HOUR && (st.plan.churnAt === null || t < st.plan.churnAt);
}

function byTime(x: Pending, y: Pending): number {
  return x.t - y.t || x.c - y.c || x.s - y.s;
}

function uniform(rng: Random, lo: number, hi: number): number {
  return lo + rng.next() * (hi - lo);
}

/** Creates a simulator at the start of its horizon. */
export function createSimulator(options: SimulatorOptions): Simulator {
  if (!Number.isInteger(options.customers) || options.customers < 1) {
    throw new RangeError('customers must be a positive integer');
  }
  const seed = options.seed >>> 0;
  const weeks = options.weeks ?? 104;
  const start = parseInstant(options.start ?? '2025-01-06');
  const end = start + weeks * WEEK;
  const acquisitionWeeks = options.acquisitionWeeks ?? Math.floor(weeks / 2);
  const latent: LatentParams = { ...defaultLatentParams, ...options.params };
  const replenishment = options.replenishment ?? true;
  const products = drawCatalog(createRandom(mixSeed(seed, 0xca7a)));
  const catalog = indexCatalog(products);
  const { customers, plans } = drawPopulation(
    { customers: options.customers, seed, start, end, acquisitionWeeks, params: latent, replenishment },
    catalog,
  );

  const params: StoreParams = {
    ...latent,
    units: { time: 'weeks', lambda: 'purchases per week', spend: 'USD (major units)' },
    seed,
    customers: options.customers,
    horizonStart: iso(start),
    horizonEnd: iso(end),
    weeks,
    acquisitionWeeks,
    replenishment,
    driverShares,
    disengagementRampWeeks: DISENGAGEMENT_RAMP_WEEKS,
    responseRule,
    fxRatesPerUsd,
  };

  const seedTag = seed.toString(36);
  const states: CustomerState[] = customers.map((c, i) => ({
    c,
    num: c.index + 1,
    life: createRandom(mixSeed(seed, c.index, Stream.life)),
    plan: plans[i] as Plan,
    next: 0,
    generation: 0,
    actions: 0,
    seq: 0,
    orders: 0,
    counters: { ticket: 0, review: 0, checkout: 0, post: 0, survey: 0 },
    emailMarketing: c.marketingConsent,
    secondLinked: false,
    subscriptionActive: c.replenishment !== null,
    phone: c.phone,
    identifiedAt: c.acquiredAt,
    treatments: [],
  }));
  const byUserId = new Map(states.map((s) => [s.c.userId, s]));

  let week = 0;
  let weekStart = start;
  let current: Pending[] = [];
  const buckets = new Map<number, Pending[]>();
  let campaign = { id: '', subject: '', category: '', sendAt: 0, sale: false };

  // --- emitting -------------------------------------------------------------------------------

  function put(st: CustomerState, t: number, ev: SynthEvent): void {
    if (t < weekStart)
      throw new Error(`synth bug: ${ev.messageId} at ${ev.timestamp} is before the current week`);
    const w = Math.floor((t - start) / WEEK);
    if (w >= weeks) return;
    const pending: Pending = { t, c: st.c.index, s: st.seq, ev };
    if (w === week) current.push(pending);
    else {
      let bucket = buckets.get(w);
      if (!bucket) buckets.set(w, (bucket = []));
      bucket.push(pending);
    }
  }

  function nextId(st: CustomerState): string {
    st.seq++;
    return `m_${seedTag}_${st.num}_${st.seq}`;
  }

  function track(
    st: CustomerState,
    at: number,
    event: SynthEventName,
    properties: Record<string, unknown>,
    who: Who = 'user',
    as: CustomerState = st,
  ): void {
    const t = Math.round(at);
    const c = as.c;
    const ev: SynthTrack =
      who === 'user'
        ? {
            type: 'track',
            event,
            messageId: nextId(st),
            userId: c.userId,
            timestamp: iso(t),
            properties,
            context: { timezone: c.timezone, traits: { email: c.email } },
          }
        : {
            type: 'track',
            event,
            messageId: nextId(st),
            anonymousId: (who === 'anon2' ? c.secondAnonymousId : null) ?? c.anonymousId,
            timestamp: iso(t),
            properties,
            context: { timezone: c.timezone },
          };
    put(st, t, ev);
  }

  function identify(st: CustomerState, at: number, anonymousId: string | null): void {
    const t = Math.round(at);
    const c = st.c;
    const traits: Record<string, unknown> = { email: c.email };
    if (st.phone !== null) traits.phone = st.phone;
    traits.first_name = c.firstName;
    traits.last_name = c.lastName;
    traits.timezone = c.timezone;
    put(st, t, {
      type: 'identify',
      messageId: nextId(st),
      userId: c.userId,
      ...(anonymousId !== null ? { anonymousId } : {}),
      timestamp: iso(t),
      traits,
      context: { timezone: c.timezone },
    });
  }

  // --- helpers over one customer ---------------------------------------------------------------

  function daytime(st: CustomerState, t: number, sd = 2.5): number {
    const hour = Math.min(23.5, Math.max(6.5, st.life.normal(st.c.preferredHour, sd)));
    return nextLocalHour(st.c.timezone, t, hour);
  }

  function pickProduct(st: CustomerState): Product {
    const rng = st.life;
    return catalog.pick(rng, rng.chance(0.8) ? rng.pick(st.c.preferredCategories) : undefined);
  }

  function productProps(st: CustomerState, p: Product): Record<string, unknown> {
    return {
      product_id: p.productId,
      sku: p.sku,
      name: p.name,
      category: p.category,
      price: major(local(st, p.priceMinor)),
      currency: st.c.currency,
    };
  }

  function local(st: CustomerState, usdMinor: number): number {
    return Math.round(usdMinor * (fxRatesPerUsd[st.c.currency] ?? 1));
  }

  function lineProps(st: CustomerState, lines: readonly Line[]): Record<string, unknown>[] {
    return lines.map((l) => ({
      product_id: l.product.productId,
      sku: l.product.sku,
      name: l.product.name,
      category: l.product.category,
      price: major(local(st, l.product.priceMinor)),
      quantity: l.quantity,
    }));
  }

  /** Lines whose list prices add up to about the latent order value z (USD). */
  function basket(st: CustomerState, z: number): Line[] {
    const rng = st.life;
    const lines: Line[] = [];
    const target = z * 100;
    let remaining = target;
    const repl = st.c.replenishment;
    if (repl && rng.chance(0.85)) {
      const product = catalog.byId.get(repl.productId) as Product;
      lines.push({ product, quantity: Math.max(1, Math.min(3, Math.round(remaining / product.priceMinor))) });
      remaining -= (lines[0] as Line).quantity * product.priceMinor;
    }
    let misses = 0;
    while (remaining > 0.25 * target && lines.length < 5 && misses < 6) {
      const product = pickProduct(st);
      if (lines.length > 0 && product.priceMinor > remaining * 1.3) {
        misses++;
        continue;
      }
      const existing = lines.find((l) => l.product === product);
      const quantity = product.consumable
        ? Math.max(1, Math.min(3, Math.round(remaining / product.priceMinor)))
        : 1;
      if (existing) existing.quantity += quantity;
      else lines.push({ product, quantity });
      remaining -= quantity * product.priceMinor;
    }
    if (lines.length === 0) lines.push({ product: pickProduct(st), quantity: 1 });
    return lines;
  }

  function engagement(st: CustomerState, t: number): number {
    const { plan, c } = st;
    let m = 1;
    if (plan.churnAt !== null) {
      if (t >= plan.churnAt) return 0;
      if (plan.story?.driver === 'disengagement' && plan.churnAt - t < RAMP) {
        m = 0.1 + 0.9 * ((plan.churnAt - t) / RAMP);
      }
    }
    if (c.slump && t >= c.slump.from && t < c.slump.to) m *= 0.3;
    return m;
  }

  function inFinalWindow(st: CustomerState, t: number, window: number): boolean {
    const churnAt = st.plan.churnAt;
    return churnAt !== null && t < churnAt && churnAt - t <= window;
  }

  function openTicket(
    st: CustomerState,
    at: number,
    kind: TicketKind,
    severity: 'low' | 'medium' | 'high' | 'urgent',
    orderId: string,
    resolution: { at: number; satisfied: boolean } | null,
    followUp: string | null = null,
  ): void {
    const rng = st.life;
    const ticketId = `tkt_${st.num}_${++st.counters.ticket}`;
    const { subject, text } = ticketText(rng, kind, orderId);
    track(st, at, 'Ticket Opened', {
      ticket_id: ticketId,
      severity,
      subject: followUp ? `Re: ${subject}` : subject,
      text: followUp ?? text,
    });
    if (resolution) {
      track(st, resolution.at, 'Ticket Resolved', {
        ticket_id: ticketId,
        severity,
        text: resolutionText(rng, resolution.satisfied),
        satisfied: resolution.satisfied,
      });
    }
  }

  function review(st: CustomerState, at: number, product: Product, rating: number, body: string): void {
    track(st, at, 'Product Reviewed', {
      product_id: product.productId,
      review_id: `rev_${st.num}_${++st.counters.review}`,
      rating,
      review_body: body,
    });
  }

  function survey(st: CustomerState, at: number, nps: number, theme: Theme | null): void {
    const d = new Date(at);
    st.counters.survey++;
    track(st, at, 'Survey Answered', {
      survey_id: `nps_${d.getUTCFullYear()}_q${Math.floor(d.getUTCMonth() / 3) + 1}`,
      nps,
      comment: surveyComment(st.life, nps, theme),
    });
  }

  function baselineNps(st: CustomerState): number {
    return Math.max(0, Math.min(10, Math.round(st.c.happiness * 10 + st.life.normal(0, 1.2))));
  }

  // --- the week of one customer ----------------------------------------------------------------

  function renderAcquisition(st: CustomerState): void {
    const { c, life: rng } = st;
    const t0 = c.acquiredAt;
    const identifyAt = Math.max(weekStart, t0 - uniform(rng, 2, 8) * MINUTE);
    const browseFrom = Math.max(
      weekStart,
      Math.min(identifyAt - MINUTE, t0 - uniform(rng, 10 * MINUTE, 2 * DAY)),
    );
    const views = 1 + rng.int(4);
    for (let k = 0; k < views; k++) {
      const at = browseFrom + ((identifyAt - browseFrom) * k) / (views + 1);
      track(st, Math.max(weekStart, at), 'Product Viewed', productProps(st, pickProduct(st)), 'anon');
    }
    identify(st, identifyAt, c.anonymousId);
    st.identifiedAt = identifyAt;
    const consentAt = identifyAt + 1000;
    track(st, consentAt, 'Consent Updated', { channel: 'email', purpose: 'transactional', granted: true });
    track(st, consentAt, 'Consent Updated', {
      channel: 'email',
      purpose: 'marketing',
      granted: c.marketingConsent,
    });
    if (c.phone !== null) {
      track(st, consentAt, 'Consent Updated', {
        channel: 'sms',
        purpose: 'marketing',
        granted: c.smsConsent,
      });
    }
    if (c.referredBy !== null) {
      const referrer = states[c.referredBy] as CustomerState;
      track(
        st,
        t0 + uniform(rng, 1, 30) * MINUTE,
        'Referral Completed',
        { referral_code: `REF-${referrer.num}`, referred_user_id: c.userId },
        'user',
        referrer,
      );
    }
  }

  function renderOrder(st: CustomerState, i: number): void {
    const { c, life: rng, plan } = st;
    const t = plan.purchaseTimes[i] as number;
    const last = plan.purchaseTimes.length - 1;
    const story = plan.churnAt !== null && i === last ? plan.story : null;
    const drift = plan.churnAt !== null && plan.story?.driver === 'price' && i >= last - 2;
    const orderId = `ord_${st.num}_${++st.orders}`;
    const lines = basket(st, rng.gamma(latent.p, c.nu));
    const products = lineProps(st, lines);

    let subtotal = 0;
    let usdSubtotal = 0;
    for (const l of lines) {
      subtotal += local(st, l.product.priceMinor) * l.quantity;
      usdSubtotal += l.product.priceMinor * l.quantity;
    }
    const couponChance = drift ? 0.9 : i === 0 ? 0.3 : c.dealSeeker ? 0.55 : 0.12;
    const coupon = rng.chance(couponChance)
      ? i === 0 && !drift
        ? { code: 'WELCOME10', percent: 10 }
        : rng.pick(drift ? deepCoupons : coupons)
      : null;
    const discount = coupon ? Math.round((subtotal * coupon.percent) / 100) : 0;
    const revenue = subtotal - discount;
    const shipping = usdSubtotal >= 5000 ? 0 : local(st, 599);
    const tax = c.timezone.startsWith('America/') ? Math.round(revenue * US_TAX) : 0;
    const total = revenue + shipping + tax;

    // The shopping session that ends in the order.
    const session: Array<[SynthEventName, Record<string, unknown>]> = [];
    if (i > 0) {
      for (const l of lines) session.push(['Product Viewed', productProps(st, l.product)]);
      if (rng.chance(0.3)) session.push(['Product Viewed', productProps(st, pickProduct(st))]);
    }
    const cartId = `cart_${st.num}_${st.orders}`;
    for (const l of lines) {
      session.push([
        'Product Added',
        { ...productProps(st, l.product), quantity: l.quantity, cart_id: cartId },
      ]);
    }
    if (rng.chance(0.35)) session.push(['Cart Viewed', { cart_id: cartId, products }]);
    session.push([
      'Checkout Started',
      { order_id: orderId, value: major(revenue), currency: c.currency, products },
    ]);
    if (rng.chance(drift ? 0.08 : 0.02)) {
      session.push([
        'Payment Failed',
        {
          order_id: orderId,
          amount: major(total),
          currency: c.currency,
          reason: rng.pick(['card_declined', 'insufficient_funds', 'expired_card']),
        },
      ]);
    }
    const from = Math.max(weekStart, i === 0 ? st.identifiedAt + 2000 : t - uniform(rng, 4, 30) * MINUTE);
    session.forEach(([name, props], k) => {
      track(st, Math.min(t - 1000, from + ((t - from) * k) / session.length), name, props);
    });
    const orderProps: Record<string, unknown> = {
      order_id: orderId,
      total: major(total),
      revenue: major(revenue),
      shipping: major(shipping),
      tax: major(tax),
      discount: major(discount),
    };
    if (coupon) orderProps.coupon = coupon.code;
    orderProps.currency = c.currency;
    orderProps.products = products;
    track(st, t, 'Order Completed', orderProps);

    // What happens to the order afterwards.
    if (story === null && rng.chance(0.015)) {
      track(st, t + uniform(rng, 0.5, 12) * HOUR, 'Order Cancelled', {
        order_id: orderId,
        total: major(total),
        currency: c.currency,
        reason: rng.pick(['changed_mind', 'found_cheaper', 'ordered_by_mistake', 'shipping_too_slow']),
      });
      return;
    }
    const onTime = story?.driver === 'service' ? false : rng.chance(0.92);
    const deliveredAt =
      story?.driver === 'quality'
        ? story.deliveredAt
        : t + uniform(rng, 2, 5) * DAY + (onTime ? 0 : uniform(rng, 2, 6) * DAY);
    track(st, deliveredAt, 'Order Delivered', {
      order_id: orderId,
      carrier: rng.pick(carriers),
      delivered_on_time: onTime,
    });

    // Defects: the product's latent quality, or the quality driver's story on the final order.
    let worst = lines[0] as Line;
    for (const l of lines) if (l.product.quality < worst.product.quality) worst = l;
    const defective = lines.filter(
      (l) =>
        (story?.driver === 'quality' && l === worst) || rng.chance(0.01 + (1 - l.product.quality) * 0.15),
    );
    const themeOf = (l: Line): Theme =>
      l.product.category === 'apparel' && rng.chance(0.6) ? 'sizing' : 'quality';
    const refunded: Line[] = [];
    for (const l of defective) {
      const inStory = story?.driver === 'quality';
      if (inStory || rng.chance(0.6)) refunded.push(l);
      if (inStory || rng.chance(0.45)) {
        const themes: Theme[] = [themeOf(l)];
        if (rng.chance(0.4)) themes.push('price');
        if (!onTime && rng.chance(0.5)) themes.push('shipping');
        const at =
          story?.driver === 'quality' ? story.reviewAt : daytime(st, deliveredAt + uniform(rng, 1, 9) * DAY);
        review(
          st,
          at,
          l.product,
          rng.chance(0.6) ? 1 : 2,
          reviewBody(rng, 'negative', l.product.category, themes),
        );
      }
      if (!inStory && rng.chance(0.25)) {
        const openedAt = daytime(st, deliveredAt + uniform(rng, 0.2, 3) * DAY);
        openTicket(
          st,
          openedAt,
          l.product.category === 'apparel' ? 'wrong_size' : 'damaged',
          'medium',
          orderId,
          {
            at: openedAt + uniform(rng, 0.2, 2) * DAY,
            satisfied: rng.chance(0.8),
          },
        );
      }
    }
    if (refunded.length > 0) {
      const full = refunded.length === lines.length;
      let amount = 0;
      for (const l of refunded) amount += local(st, l.product.priceMinor) * l.quantity;
      amount = full ? total : Math.round(amount * (1 - (coupon?.percent ?? 0) / 100));
      const at = story?.driver === 'quality' ? story.refundAt : deliveredAt + uniform(rng, 1, 7) * DAY;
      const firstTheme = themeOf(refunded[0] as Line);
      track(st, at, 'Order Refunded', {
        order_id: orderId,
        total: major(amount),
        currency: c.currency,
        products: lineProps(st, refunded),
        reason:
          firstTheme === 'sizing' ? 'wrong_size' : rng.pick(['damaged', 'defective', 'not_as_described']),
      });
    }
    if (defective.length === 0 && rng.chance(c.reviewPropensity)) {
      const l = rng.pick(lines);
      const at = daytime(st, deliveredAt + uniform(rng, 2, 14) * DAY);
      if (!onTime) review(st, at, l.product, 3, reviewBody(rng, 'neutral', l.product.category, ['shipping']));
      else {
        const rating = c.happiness > 0.55 ? (rng.chance(0.7) ? 5 : 4) : rng.pick([3, 4, 4, 5]);
        const body =
          rating >= 4
            ? reviewBody(rng, 'positive', l.product.category)
            : reviewBody(rng, 'neutral', l.product.category, rng.chance(0.5) ? ['price'] : []);
        review(st, at, l.product, rating, body);
      }
    }

    // Support tickets.
    if (story?.driver === 'service') {
      const kind: TicketKind = rng.pick(['where_is_my_order', 'damaged', 'refund']);
      openTicket(
        st,
        story.ticketAt,
        kind,
        story.severity,
        orderId,
        story.resolvedAt !== null ? { at: story.resolvedAt, satisfied: false } : null,
      );
      if (story.followUpAt !== null) {
        openTicket(st, story.followUpAt, kind, 'urgent', orderId, null, rng.pick(followUpTexts));
      }
      if (rng.chance(0.4)) {
        survey(st, daytime(st, story.ticketAt + uniform(rng, 1, 3) * DAY), rng.int(5), 'service');
      }
    } else {
      if (!onTime && rng.chance(0.3)) {
        const openedAt = daytime(st, t + uniform(rng, 4, 7) * DAY);
        openTicket(st, openedAt, 'where_is_my_order', 'medium', orderId, {
          at: openedAt + uniform(rng, 0.5, 3) * DAY,
          satisfied: rng.chance(0.85),
        });
      }
      if (rng.chance(0.02)) {
        const severity = rng.pick(['low', 'low', 'low', 'medium', 'medium', 'high', 'urgent'] as const);
        const slow = rng.chance(0.15);
        const openedAt = daytime(st, t + uniform(rng, 1, 20) * DAY);
        const resolvedAt = openedAt + (slow ? uniform(rng, 8, 20) : uniform(rng, 0.2, 2)) * DAY;
        openTicket(
          st,
          openedAt,
          rng.pick(['account', 'subscription', 'refund', 'where_is_my_order'] as const),
          severity,
          orderId,
          rng.chance(0.92) ? { at: resolvedAt, satisfied: slow ? false : rng.chance(0.9) } : null,
        );
      }
    }

    // Surveys.
    if (story?.driver === 'quality') {
      if (story.surveyAt !== null) survey(st, story.surveyAt, rng.int(5), 'quality');
    } else if (story?.driver === 'price') {
      if (rng.chance(0.35)) survey(st, daytime(st, t + uniform(rng, 2, 6) * DAY), 4 + rng.int(4), 'price');
    } else if (story === null && rng.chance(0.08)) {
      const bad = defective.length > 0 || !onTime;
      const nps = bad ? rng.int(8) : baselineNps(st);
      survey(
        st,
        daytime(st, deliveredAt + uniform(rng, 2, 10) * DAY),
        nps,
        bad ? (onTime ? 'quality' : 'shipping') : null,
      );
    }
  }

  function renderWeek(st: CustomerState, weekEnd: number): void {
    const { c, life: rng } = st;
    if (c.acquiredAt >= weekStart) renderAcquisition(st);
    while (st.next < st.plan.purchaseTimes.length && (st.plan.purchaseTimes[st.next] as number) < weekEnd) {
      renderOrder(st, st.next);
      st.next++;
    }
    const mid = weekStart + WEEK / 2;
    const gone = st.plan.churnAt !== null && mid >= st.plan.churnAt;
    // A customer who has left and unsubscribed has nothing more to say.
    if (gone && !st.emailMarketing) return;
    const m = engagement(st, mid);
    const fading = (st.plan.story?.driver === 'disengagement' && inFinalWindow(st, mid, RAMP)) || gone;

    // The weekly newsletter.
    if (st.emailMarketing && c.acquiredAt < campaign.sendAt) {
      const emailId = `em_${week + 1}_${st.num}`;
      let openedAt: number | null = null;
      if (rng.chance(c.emailOpenRate * (gone ? 0.1 : m))) {
        openedAt = daytime(st, campaign.sendAt + rng.next() * 2 * DAY, 1.5);
        track(st, openedAt, 'Email Opened', {
          email_id: emailId,
          campaign_id: campaign.id,
          subject: campaign.subject,
        });
        const priceDrift = st.plan.story?.driver === 'price' && inFinalWindow(st, mid, PRICE_DRIFT);
        if (rng.chance(campaign.sale && (priceDrift || c.dealSeeker) ? 0.5 : 0.22)) {
          track(st, openedAt + uniform(rng, 10, 300) * 1000, 'Email Link Clicked', {
            email_id: emailId,
            campaign_id: campaign.id,
            link_url: `https://shop.example.com/${campaign.category.replace(' ', '-')}?utm_campaign=${campaign.id}`,
          });
        }
      }
      if (rng.chance(fading ? 0.02 : 0.0015)) {
        const at = (openedAt ?? campaign.sendAt + uniform(rng, 1, 48) * HOUR) + 60_000;
        track(st, at, 'Unsubscribed', { channel: 'email', list_id: 'newsletter' });
        track(st, at + 1000, 'Consent Updated', { channel: 'email', purpose: 'marketing', granted: false });
        st.emailMarketing = false;
      }
    }

    // Browsing without buying.
    if (!gone) {
      const sessions = rng.poisson(c.browseRate * m);
      for (let k = 0; k < sessions; k++) {
        const at = daytime(st, weekStart + rng.next() * WEEK);
        if (!isActive(st, at)) continue;
        const onSecondDevice = c.secondAnonymousId !== null && !st.secondLinked && rng.chance(0.35);
        const who: Who = onSecondDevice ? 'anon2' : 'user';
        const views = 1 + rng.int(3);
        let t = at;
        let viewed: Product = pickProduct(st);
        for (let v = 0; v < views; v++) {
          viewed = v === 0 ? viewed : pickProduct(st);
          track(st, t, 'Product Viewed', productProps(st, viewed), who);
          t += uniform(rng, 20, 180) * 1000;
        }
        if (onSecondDevice) {
          identify(st, t, c.secondAnonymousId);
          st.secondLinked = true;
          t += 5000;
        }
        if (rng.chance(0.25)) {
          const cartId = `cart_${st.num}_b${++st.counters.checkout}`;
          track(st, t, 'Product Added', { ...productProps(st, viewed), quantity: 1, cart_id: cartId });
          if (rng.chance(0.4)) {
            t += uniform(rng, 20, 120) * 1000;
            const products = lineProps(st, [{ product: viewed, quantity: 1 }]);
            track(st, t, 'Cart Viewed', { cart_id: cartId, products });
            if (rng.chance(0.3)) {
              track(st, t + 30_000, 'Checkout Started', {
                order_id: `chk_${st.num}_${st.counters.checkout}`,
                value: major(local(st, viewed.priceMinor)),
                currency: c.currency,
                products,
              });
            }
          }
        }
      }
    }

    // A price-driven leaver keeps looking, and abandons checkouts without a coupon.
    if (st.plan.story?.driver === 'price' && inFinalWindow(st, mid, PRICE_DRIFT) && rng.chance(0.35)) {
      const at = daytime(st, weekStart + rng.next() * WEEK);
      if (isActive(st, at)) {
        const product = pickProduct(st);
        const products = lineProps(st, [{ product, quantity: 1 }]);
        track(st, at, 'Product Viewed', productProps(st, product));
        track(st, at + uniform(rng, 30, 200) * 1000, 'Checkout Started', {
          order_id: `chk_${st.num}_${++st.counters.checkout}`,
          value: major(local(st, product.priceMinor)),
          currency: c.currency,
          products,
        });
      }
    }

    // Subscriptions get paused, mostly by price and disengagement leavers shortly before they go.
    if (st.subscriptionActive && !gone) {
      const driver = st.plan.story?.driver;
      const leaving = (driver === 'price' || driver === 'disengagement') && inFinalWindow(st, mid, 8 * WEEK);
      if (rng.chance(leaving ? 0.12 : 0.003)) {
        const at = daytime(st, weekStart + rng.next() * WEEK);
        if (isActive(st, at)) {
          track(st, at, 'Subscription Paused', {
            subscription_id: `sub_${st.num}`,
            reason: leaving
              ? driver === 'price'
                ? 'too_expensive'
                : 'not_using'
              : rng.pick(['travelling', 'too_much_product', 'too_expensive']),
          });
          st.subscriptionActive = false;
        }
      }
    }

    // Community.
    if (c.communityMember && !gone) {
      for (let k = rng.poisson(0.06 * m); k > 0; k--) {
        const at = daytime(st, weekStart + rng.next() * WEEK);
        if (!isActive(st, at)) continue;
        const kind = rng.pick(['question', 'answer', 'answer', 'tip'] as const);
        track(st, at, 'Community Posted', {
          post_id: `post_${st.num}_${++st.counters.post}`,
          kind,
          helpful_votes: rng.poisson(kind === 'question' ? 0.5 : 2.5),
        });
      }
    }

    // A phone number added to the profile later (identity resolution by phone).
    if (st.phone === null && !gone && rng.chance(0.002)) {
      const at = daytime(st, weekStart + rng.next() * WEEK);
      if (isActive(st, at)) {
        const country = timeZones.find((z) => z.zone === c.timezone)?.country ?? 'US';
        st.phone =
          country === 'US'
            ? `+1${300 + rng.int(600)}555${String(rng.int(10_000)).padStart(4, '0')}`
            : `+44${7000000000 + rng.int(999_999_999)}`;
        identify(st, at, null);
      }
    }
  }

  // --- the simulator ---------------------------------------------------------------------------

  function truth(st: CustomerState): CustomerTruth {
    const c = st.c;
    const churnAt = st.plan.churnAt;
    const churned = churnAt !== null && churnAt < end;
    return {
      userId: c.userId,
      anonymousId: c.anonymousId,
      secondAnonymousId: c.secondAnonymousId,
      email: c.email,
      phone: st.phone,
      timezone: c.timezone,
      currency: c.currency,
      acquiredAt: iso(c.acquiredAt),
      lambda: c.lambda,
      p: c.dropoutProbability,
      nu: c.nu,
      meanSpend: Math.round((latent.p / c.nu) * 100) / 100,
      preferredCategories: c.preferredCategories,
      replenishmentProductId: c.replenishment?.productId ?? null,
      replenishmentDays: c.replenishment?.cycleDays ?? null,
      driver: churned ? c.driverType : 'none',
      churnTime: churned ? iso(churnAt) : null,
      churned,
      orders: st.orders,
      referredBy: c.referredBy !== null ? `u_${c.referredBy + 1}` : null,
      dealSeeker: c.dealSeeker,
      preferredHour: c.preferredHour,
      emailOpenRate: c.emailOpenRate,
      communityMember: c.communityMember,
      happiness: c.happiness,
      treatments: [...st.treatments],
    };
  }

  const sim: Simulator = {
    catalog: products,
    params,
    get week() {
      return week;
    },
    get done() {
      return week >= weeks;
    },
    get now() {
      return iso(start + week * WEEK);
    },
    step() {
      if (week >= weeks) return [];
      weekStart = start + week * WEEK;
      const weekEnd = weekStart + WEEK;
      current = buckets.get(week) ?? [];
      buckets.delete(week);
      const crng = createRandom(mixSeed(seed, 0xc0ffee, week));
      const category = crng.pick(catalog.categories);
      const subject = campaignSubject(crng, category);
      campaign = {
        id: `cmp_${week + 1}`,
        subject,
        category,
        sendAt: weekStart + DAY + 15 * HOUR,
        sale: subject.includes('%'),
      };
      for (const st of states) if (st.c.acquiredAt < weekEnd) renderWeek(st, weekEnd);
      current.sort(byTime);
      const events = current.map((p) => p.ev);
      current = [];
      week++;
      return events;
    },
    applyAction(customerId, action) {
      const st = byUserId.get(customerId);
      const outcome = (saved: boolean, reason: ActionReason): ActionOutcome => ({
        customerId,
        action: action.type,
        saved,
        reason,
      });
      if (!st) return outcome(false, 'unknown_customer');
      const now = start + week * WEEK;
      const { c, plan } = st;
      const s = saveProbability(action, c.driverType);
      const record = (saved: boolean): void => {
        st.treatments.push({ at: iso(now), action, matched: s > 0, saved });
      };
      if (c.acquiredAt >= now) {
        record(false);
        return outcome(false, 'not_acquired');
      }
      if (plan.churnAt === null || plan.churnAt <= now) {
        record(false);
        return outcome(false, 'no_pending_churn');
      }
      if (plan.churnAt - now > AT_RISK_WEEKS * WEEK) {
        record(false);
        return outcome(false, 'not_at_risk');
      }
      if (s === 0) {
        record(false);
        return outcome(false, 'not_matching');
      }
      const u = createRandom(mixSeed(seed, c.index, Stream.action, st.actions++)).next();
      if (u >= s) {
        record(false);
        return outcome(false, 'not_saved');
      }
      st.generation++;
      const kept = plan.purchaseTimes.slice(0, st.next);
      st.plan = drawPlan(c, createRandom(mixSeed(seed, c.index, Stream.plan, st.generation)), kept, now, end);
      record(true);
      return outcome(true, 'saved');
    },
    groundTruth() {
      return states.map(truth);
    },
    truthOf(customerId) {
      const st = byUserId.get(customerId);
      return st ? truth(st) : undefined;
    },
  };
  return sim;
}
