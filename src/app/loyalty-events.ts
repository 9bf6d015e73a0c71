/**
 * Turns the store's ingested events into points, exactly once: orders earn on their net
 * merchandise amount (per line), refunds and cancellations reverse what the lines earned, reviews,
 * referrals, community help and a completed profile earn bonuses within their caps.
 *
 * Exactly once: each event is marked processed in the same transaction as its points, and every
 * entry has a business key unique in the database; a durable cursor (the latest `received_at`
 * seen, less a safety margin for writers that commit late) keeps each run short. Order does not
 * matter for correctness: a refund processed before its order earns the order first.
 */
import { endOfWindow, periodBounds } from '../domain/loyalty/calendar.js';
import {
  earnOrder,
  bonusesFor,
  multipliersFor,
  stackMultipliers,
  type Action,
  type EarnOrder,
} from '../domain/loyalty/earn.js';
import { explainEntry } from '../domain/loyalty/explain.js';
import {
  creditBonusInSession,
  creditInSession,
  forEachConcurrently,
  memberConcurrency,
  reverseOrderInSession,
  type LedgerIds,
  type LedgerStore,
  type MemberSession,
} from './loyalty-ledger.js';

export type LoyaltyFact =
  | { type: 'order'; messageId: string; customerId: string; order: EarnOrder; firstOrder: boolean }
  | {
      type: 'order_update';
      messageId: string;
      customerId: string;
      update: 'refunded' | 'cancelled';
      at: string;
      order: EarnOrder | null;
      firstOrder: boolean;
      /** Σ of the order's refunds up to and including this one (base minor units; null: amount unknown = all). */
      refundedSoFarMinor: number | null;
    }
  | { type: 'action'; messageId: string; customerId: string; at: string; action: Action; detail: string }
  /** Earns nothing; `countsForTier` when the tier's facts still read it (a community tip). */
  | { type: 'none'; messageId: string; customerId: string; countsForTier?: boolean };

export interface LoyaltyEventSource {
  /** Events not yet processed, received at or after `since`, after `afterId` in id order. */
  next(
    since: string,
    afterId: string,
    limit: number,
  ): Promise<{ facts: LoyaltyFact[]; lastId: string | null; maxReceivedAt: string | null }>;
  cursor(): Promise<string | null>;
  saveCursor(receivedAt: string, now: string): Promise<void>;
  /** Minor-unit digits of the base currency (points are counted per major unit). */
  baseCurrency(): Promise<{ code: string; digits: number }>;
}

/**
 * What the programme modules plug in: the member's tier when an order earns (for the tier
 * multiplier), and what to do with the members whose tier-qualifying facts a batch of events
 * changed (re-evaluate their tiers), called after each batch has committed.
 */
export interface LoyaltyHooks {
  tierOf?(customerId: string, at: string): Promise<string | null>;
  membersTouched?(customerIds: readonly string[], now: string): Promise<void>;
}

/**
 * Whether a fact changes what counts towards the member's tier (src/domain/loyalty/tiers.ts,
 * `qualifyingScore` over the facts of src/store/loyalty-facts-repository.ts): orders, refunds and
 * cancellations, reviews, referrals and community help. A completed profile and a birthday do not.
 */
export function countsForTier(fact: LoyaltyFact): boolean {
  switch (fact.type) {
    case 'order':
    case 'order_update':
      return true;
    case 'action':
      return (
        fact.action.type === 'review' ||
        fact.action.type === 'referral_converted' ||
        fact.action.type === 'community_help'
      );
    case 'none':
      return fact.countsForTier === true;
    default: {
      const _exhaustive: never = fact;
      return _exhaustive;
    }
  }
}

/** Writers that commit an event later than its `received_at` by more than this are not expected. */
export const CURSOR_MARGIN_MS = 5 * 60_000;

export interface RunReport {
  readonly events: number;
  readonly entries: number;
  readonly points: number;
  readonly cursor: string | null;
  /** Members handed to `hooks.membersTouched` (tier-relevant events), counted once per batch. */
  readonly membersTouched: number;
}

async function earnInSession(
  s: MemberSession,
  ids: LedgerIds,
  order: EarnOrder,
  firstOrder: boolean,
  currency: { code: string; digits: number },
  hooks: LoyaltyHooks,
  now: string,
): Promise<{ entries: number; points: number }> {
  const { config, version } = s.config;
  const tier = hooks.tierOf ? await hooks.tierOf(s.customerId, order.placedAt) : null;
  const multiplier = stackMultipliers(config.stacking, multipliersFor(config, order.placedAt, tier));
  let entries = 0;
  let points = 0;
  for (const line of earnOrder(config, order, currency.digits, multiplier)) {
    if (line.points <= 0) continue;
    const releaseAt =
      config.returnWindowDays === 0
        ? null
        : endOfWindow(order.placedAt, config.returnWindowDays, config.timezone);
    const expiresAt = endOfWindow(order.placedAt, config.lotLifetimeDays, config.timezone);
    const r = await creditInSession(s, ids, {
      customerId: s.customerId,
      businessKey: `order:${order.orderId}:line:${line.lineNo}:rule:spend:earn`,
      source: 'earn',
      rule: 'spend',
      points: line.points,
      qualifying: line.basePoints,
      release: releaseAt,
      effectiveAt: order.placedAt,
      now,
      orderId: order.orderId,
      lineNo: line.lineNo,
      explanation: explainEntry({
        type: 'earn',
        points: line.points,
        orderId: order.orderId,
        lineNo: line.lineNo,
        netMinor: line.netMinor,
        currency: currency.code,
        perUnit: config.pointsPerCurrencyUnit,
        multiplier,
        version,
        releaseAt: releaseAt !== null && releaseAt > now ? releaseAt : null,
        expiresAt,
      }),
      meta: { netMinor: line.netMinor, multiplier, basePoints: line.basePoints, tier },
    });
    if (r.ok && !r.value.duplicate) {
      entries++;
      points += r.value.points;
    }
  }
  if (firstOrder) {
    const b = await actionInSession(
      s,
      ids,
      { type: 'first_order', orderId: order.orderId },
      order.orderId,
      order.placedAt,
      now,
    );
    entries += b.entries;
    points += b.points;
  }
  return { entries, points };
}

async function actionInSession(
  s: MemberSession,
  ids: LedgerIds,
  action: Action,
  detail: string,
  at: string,
  now: string,
): Promise<{ entries: number; points: number }> {
  const { config } = s.config;
  let entries = 0;
  let points = 0;
  for (const award of bonusesFor(config, action)) {
    const r = await creditBonusInSession(
      s,
      ids,
      { rule: award.rule, key: award.key, points: award.points, detail, effectiveAt: at, now },
      (instant) => periodBounds(instant, config.bonuses[award.rule].cap.period, config.timezone),
    );
    if (r.ok && !r.value.duplicate) {
      entries++;
      points += r.value.points;
    }
  }
  return { entries, points };
}

/** Applies one fact to its member, in the member's transaction, once. */
export async function applyFact(
  ledger: LedgerStore,
  ids: LedgerIds,
  fact: LoyaltyFact,
  currency: { code: string; digits: number },
  hooks: LoyaltyHooks,
  now: string,
): Promise<{ entries: number; points: number }> {
  return ledger.withMember(fact.customerId, now, async (s) => {
    // Already processed (another run got there first): the business keys make it post nothing.
    let out = { entries: 0, points: 0 };
    switch (fact.type) {
      case 'order':
        out = await earnInSession(s, ids, fact.order, fact.firstOrder, currency, hooks, now);
        break;
      case 'order_update': {
        if (!fact.order) break;
        // A refund seen before its order: earn the order first (business keys keep it once).
        const earned = await earnInSession(s, ids, fact.order, fact.firstOrder, currency, hooks, now);
        const r = await reverseOrderInSession(s, ids, {
          customerId: s.customerId,
          orderId: fact.order.orderId,
          updateId: fact.messageId,
          update: fact.update,
          refundedSoFarMinor: fact.refundedSoFarMinor,
          orderTotalMinor: fact.order.baseTotalMinor,
          effectiveAt: fact.at,
          now,
        });
        if (!r.ok) throw new Error(`reversal of ${fact.messageId} failed: ${JSON.stringify(r.error)}`);
        const posted = r.value.filter((p) => !p.duplicate);
        out = {
          entries: earned.entries + posted.length,
          points: earned.points - posted.reduce((a, p) => a + p.points, 0),
        };
        break;
      }
      case 'action':
        out = await actionInSession(s, ids, fact.action, fact.detail, fact.at, now);
        break;
      case 'none':
        break;
      default: {
        const _exhaustive: never = fact;
        return _exhaustive;
      }
    }
    await s.markProcessed(fact.messageId);
    return out;
  });
}

/**
 * Processes every event not yet turned into points, from the durable cursor on. Safe to run in
 * several processes at once and to kill at any moment: what committed is marked processed with its
 * points; what did not is picked up by the next run.
 */
export async function processLoyaltyEvents(
  ledger: LedgerStore,
  source: LoyaltyEventSource,
  ids: LedgerIds,
  options: {
    now: () => Date;
    hooks?: LoyaltyHooks;
    batch?: number;
    maxEvents?: number;
    concurrency?: number;
  },
): Promise<RunReport> {
  const hooks = options.hooks ?? {};
  const batch = options.batch ?? 1000;
  const concurrency = options.concurrency ?? memberConcurrency(ledger.dialect);
  const currency = await source.baseCurrency();
  const cursor = await source.cursor();
  const since = cursor === null ? '' : new Date(Date.parse(cursor) - CURSOR_MARGIN_MS).toISOString();
  let afterId = '';
  let maxReceived = cursor;
  let events = 0;
  let entries = 0;
  let points = 0;
  let membersTouched = 0;
  for (;;) {
    const { facts, lastId, maxReceivedAt } = await source.next(since, afterId, batch);
    if (lastId === null) break;
    // Several members at a time (each member's facts serialise on the member's lock; their order
    // does not matter, see above): SQLite commits them in groups, PostgreSQL on several connections.
    await forEachConcurrently(facts, concurrency, async (fact: LoyaltyFact) => {
      const r = await applyFact(ledger, ids, fact, currency, hooks, options.now().toISOString());
      events++;
      entries += r.entries;
      points += r.points;
    });
    // Near real time: the members whose tier facts this batch changed, re-evaluated as one group now
    // that their points have committed (the hook is idempotent; a crash before it leaves the daily
    // tier job to catch up).
    if (hooks.membersTouched) {
      const touched = [...new Set(facts.filter(countsForTier).map((f) => f.customerId))];
      if (touched.length > 0) {
        await hooks.membersTouched(touched, options.now().toISOString());
        membersTouched += touched.length;
      }
    }
    afterId = lastId;
    if (maxReceivedAt !== null && (maxReceived === null || maxReceivedAt > maxReceived))
      maxReceived = maxReceivedAt;
    if (options.maxEvents !== undefined && events >= options.maxEvents) break;
  }
  if (maxReceived !== null && maxReceived !== cursor && options.maxEvents === undefined) {
    await source.saveCursor(maxReceived, options.now().toISOString());
  }
  return { events, entries, points, cursor: maxReceived, membersTouched };
}
