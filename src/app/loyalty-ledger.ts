/**
 * Loyalty ledger use cases: credit (earn, bonus, challenge and referral rewards), redeem, return a
 * redemption, reverse a refunded order line, manual adjustments, the release/expiry jobs, a
 * member's balance, and reconciliation. Each operation is one transaction serialised per member
 * (`LedgerStore.withMember`); the rules are the pure functions of src/domain/loyalty.
 *
 * Exactly once, in two layers: every entry has a permanent business key, unique in the database
 * (posting it again is a no-op that answers with the entry already there); and client requests
 * carry an Idempotency-Key whose payload hash and answer are stored in the same transaction (the
 * same key and payload answer the same; the same key with another payload is refused).
 *
 * The interface the programme's modules (tiers, challenges, rewards, referrals) build on is
 * documented in src/domain/loyalty/README.md.
 */
import type { BonusRule, ProgrammeConfig } from '../domain/loyalty/config.js';
import { birthdayOf, birthdaysCelebratedOn, celebratesOn } from '../domain/loyalty/birthday.js';
import { endOfWindow, localDate, periodBounds } from '../domain/loyalty/calendar.js';
import { bonusesFor } from '../domain/loyalty/earn.js';
import { explainEntry } from '../domain/loyalty/explain.js';
import {
  availableAt,
  dueExpiries,
  expiringSoon,
  planCredit,
  planExpire,
  planManualCredit,
  planManualDebit,
  planRedeem,
  planRedeemReturn,
  planRelease,
  planReverse,
  reversalTarget,
  type EntryKind,
  type EntryPlan,
  type LedgerError,
  type Lot,
  type LotDraw,
  type LotSource,
  type MemberState,
} from '../domain/loyalty/ledger.js';
import type { Result } from '../domain/result.js';
import { err, ok } from '../domain/result.js';

// ---------------------------------------------------------------- ports (src/store implements them)

export interface ConfigVersion {
  /** 0 = the built-in defaults (no version stored yet). */
  readonly version: number;
  readonly config: ProgrammeConfig;
  readonly activatedAt: string | null;
  readonly note: string | null;
}

export interface LotRecord extends Lot {
  readonly entryId: string;
  readonly rule: string | null;
  readonly orderId: string | null;
  readonly lineNo: number | null;
  /** Tier-qualifying credit the lot's entry carried. */
  readonly qualifying: number;
}

export interface EntryRecord {
  readonly id: string;
  readonly customerId: string;
  readonly kind: EntryKind;
  readonly businessKey: string;
  readonly points: number;
  readonly qualifyingDelta: number;
  readonly configVersion: number;
  readonly rule: string | null;
  readonly orderId: string | null;
  readonly lineNo: number | null;
  readonly lotId: string | null;
  readonly refEntryId: string | null;
  readonly effectiveAt: string;
  readonly createdAt: string;
  readonly explanation: string;
  readonly meta: Record<string, unknown> | null;
}

export interface NewEntry {
  readonly id: string;
  readonly businessKey: string;
  readonly plan: EntryPlan;
  readonly rule: string | null;
  readonly orderId: string | null;
  readonly lineNo: number | null;
  readonly lotId: string | null;
  readonly refEntryId: string | null;
  readonly effectiveAt: string;
  readonly createdAt: string;
  readonly explanation: string;
  readonly meta: Record<string, unknown> | null;
}

export interface StoredResponse {
  readonly requestHash: string;
  readonly status: number;
  readonly body: unknown;
}

/** One member's transaction: the member is locked until it ends; everything in it commits together. */
export interface MemberSession {
  readonly customerId: string;
  /** The programme version in force (recorded on every entry posted in this session). */
  readonly config: ConfigVersion;
  /**
   * The store's transaction (a Kysely transaction in src/store), for adapters that must write in
   * the same transaction — e.g. the rewards catalog decrementing stock and issuing a code.
   */
  readonly handle: unknown;
  /** Balances and the lots loaded so far. */
  state(): MemberState;
  loadOpenLots(): Promise<void>;
  loadLot(lotId: string): Promise<LotRecord | null>;
  lotsOfOrder(orderId: string): Promise<LotRecord[]>;
  findEntry(businessKey: string): Promise<EntryRecord | null>;
  entriesFor(q: {
    lotId?: string;
    refEntryId?: string;
    kind?: EntryKind;
    orderId?: string;
  }): Promise<EntryRecord[]>;
  /** Bonus entries of a rule with effective time in [start, end). */
  countRule(rule: string, start: string, end: string): Promise<number>;
  /** Posts the entry; false (and nothing written) when its business key was already posted. */
  post(entry: NewEntry): Promise<boolean>;
  /** Events already turned into points: checked and recorded in the same transaction as the points. */
  isProcessed(messageId: string): Promise<boolean>;
  markProcessed(messageId: string): Promise<void>;
  storedResponse(key: string): Promise<StoredResponse | null>;
  storeResponse(key: string, response: StoredResponse, createdAt: string): Promise<void>;
  /**
   * Reads at once what the operation is about to ask for (one round trip on PostgreSQL): the
   * stored answer of an Idempotency-Key, the entry of a business key, the open lots. The calls
   * for them that follow answer from what was read, until the session writes.
   */
  prefetch(q: Prefetch): Promise<void>;
}

/** What a member operation is about to read: an Idempotency-Key's stored answer, a business key's entry, the open lots. */
export interface Prefetch {
  readonly storedResponse?: string;
  readonly entry?: string;
  readonly openLots?: boolean;
}

export interface ReconcileReport {
  readonly ok: boolean;
  readonly members: number;
  readonly entries: number;
  readonly postings: number;
  readonly lots: number;
  /** Sums of the members' cached balances. */
  readonly totals: { pending: number; available: number; debt: number };
  /** Balance of every account over all postings (system accounts are negative sources or positive sinks). */
  readonly accounts: Record<string, number>;
  /** Always 0: each posting leaves one account and enters another. */
  readonly sumOfAllAccounts: number;
  readonly mismatches: ReadonlyArray<{
    customerId: string;
    what: string;
    cached: number;
    fromPostings: number;
  }>;
  readonly mismatchCount: number;
}

export interface LedgerStore {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in the member's transaction. `prefetch` says what `fn` will read first (as
   * `MemberSession.prefetch`): read as the transaction opens (on PostgreSQL in the same round trip).
   */
  withMember<T>(
    customerId: string,
    now: string,
    fn: (s: MemberSession) => Promise<T>,
    prefetch?: Prefetch,
  ): Promise<T>;
  activeConfig(now: string): Promise<ConfigVersion>;
  activateConfig(input: {
    config: ProgrammeConfig;
    now: string;
    by: string;
    note?: string;
    activateAt?: string;
  }): Promise<ConfigVersion>;
  configVersions(): Promise<ConfigVersion[]>;
  dueLots(
    kind: 'release' | 'expire',
    now: string,
    limit: number,
  ): Promise<Array<{ lotId: string; customerId: string }>>;
  recordExpiryNotices(now: string, until: string): Promise<number>;
  /**
   * Current customers whose traits may hold a birthday on one of `monthDays` (`MM-DD`), with their
   * traits (a superset: the caller reads the birthday exactly).
   */
  birthdayCandidates(
    monthDays: readonly string[],
  ): Promise<Array<{ customerId: string; traits: Record<string, unknown> }>>;
  account(customerId: string): Promise<{ state: MemberState; lifetimeEarned: number } | null>;
  history(customerId: string, limit: number): Promise<EntryRecord[]>;
  /** Σ qualifying credit of entries effective since `since` (tier windows). */
  qualifyingCredit(customerId: string, since: string): Promise<number>;
  reconcile(): Promise<ReconcileReport>;
  /** A Patron customer id for a `cus_` id or the store's userId (following merges), or null. */
  customerIdFor(idOrUserId: string): Promise<string | null>;
}

/**
 * Ids of new entries and lots, supplied by the store (time-ordered there, so that a commit appends
 * to the end of the id indexes instead of dirtying a random page of each). A replay cannot mint a
 * second entry whatever the id: the business key is unique in the database, and a key already
 * posted answers with the entry stored under it.
 */
export interface LedgerIds {
  /** A new, unique id for the entry about to be posted under `businessKey`. */
  entryId(businessKey: string): string;
  /** The id of the lot the entry `entryId` opens. */
  lotId(entryId: string): string;
}

// ---------------------------------------------------------------- results

export interface Posted {
  readonly entryId: string;
  readonly lotId: string | null;
  readonly points: number;
  /** True when the business key had been posted before: nothing new was posted. */
  readonly duplicate: boolean;
  readonly explanation: string;
}

export type CreditError = LedgerError;

const DAY_MS = 86_400_000;

async function post(
  s: MemberSession,
  ids: LedgerIds,
  e: Omit<NewEntry, 'id' | 'createdAt'> & { now: string; id?: string },
): Promise<Posted> {
  const { now, id = ids.entryId(e.businessKey), ...rest } = e;
  if (!(await s.post({ ...rest, id, createdAt: now }))) {
    const existing = await s.findEntry(e.businessKey);
    if (!existing) throw new Error(`entry ${e.businessKey} conflicted but cannot be found`);
    return duplicateOf(existing);
  }
  return { entryId: id, lotId: e.lotId, points: e.plan.points, duplicate: false, explanation: e.explanation };
}

function duplicateOf(e: EntryRecord): Posted {
  return {
    entryId: e.id,
    lotId: e.lotId,
    points: e.points,
    duplicate: true,
    explanation: e.explanation,
  };
}

/** Posts the expiry of every lot of the member whose expiry has passed (inside the member's session). */
async function expireDue(s: MemberSession, ids: LedgerIds, now: string): Promise<number> {
  await s.loadOpenLots();
  let n = 0;
  for (const lot of dueExpiries(s.state(), now)) {
    const key = `expire:${lot.id}`;
    const plan = planExpire(s.state(), { lotId: lot.id, now });
    if (!plan.ok) continue;
    const posted = await post(s, ids, {
      businessKey: key,
      plan: plan.value,
      rule: null,
      orderId: null,
      lineNo: null,
      lotId: lot.id,
      refEntryId: null,
      effectiveAt: lot.expiresAt,
      now,
      explanation: explainEntry({
        type: 'expire',
        points: plan.value.points,
        lotId: lot.id,
        expiresAt: lot.expiresAt,
      }),
      meta: null,
    });
    if (!posted.duplicate) n++;
  }
  return n;
}

// ---------------------------------------------------------------- credits

export interface CreditInput {
  readonly customerId: string;
  /** Permanent, unique: e.g. `order:o_1:line:2:rule:spend:earn`, `challenge:ch_9:reward`. */
  readonly businessKey: string;
  readonly source: Exclude<LotSource, 'adjustment'>;
  /** `spend`, a BonusRule, or the programme module's own rule id (`challenge`, `referral_reward`, …). */
  readonly rule: string;
  readonly points: number;
  /** Tier-qualifying credit carried with the points (default: 0). */
  readonly qualifying?: number;
  /** When the points become available: null = at once; `'return-window'` = the window from `effectiveAt`. */
  readonly release: string | null | 'return-window';
  /** When the fact behind the credit happened (the order's time); the lot's lifetime counts from it. */
  readonly effectiveAt: string;
  readonly now: string;
  readonly orderId?: string | null;
  readonly lineNo?: number | null;
  /** Plain-words explanation; a default is written from the rule when absent. */
  readonly explanation?: string;
  readonly meta?: Record<string, unknown>;
}

/** Credits points in a new lot, once per business key. */
export async function creditPoints(
  store: LedgerStore,
  ids: LedgerIds,
  input: CreditInput,
): Promise<Result<Posted, CreditError>> {
  return store.withMember(input.customerId, input.now, (s) => creditInSession(s, ids, input));
}

export async function creditInSession(
  s: MemberSession,
  ids: LedgerIds,
  input: CreditInput,
): Promise<Result<Posted, CreditError>> {
  // No look-up first: a business key already posted makes `post` answer with the entry there.
  const { config, version } = s.config;
  const entryId = ids.entryId(input.businessKey);
  const lotId = ids.lotId(entryId);
  const releaseAt =
    input.release === 'return-window'
      ? config.returnWindowDays === 0
        ? null
        : endOfWindow(input.effectiveAt, config.returnWindowDays, config.timezone)
      : input.release;
  const expiresAt = endOfWindow(input.effectiveAt, config.lotLifetimeDays, config.timezone);
  const plan = planCredit(s.state(), {
    lotId,
    source: input.source,
    points: input.points,
    qualifying: input.qualifying ?? 0,
    releaseAt,
    expiresAt,
    now: input.now,
    policy: config.debtPolicy,
  });
  if (!plan.ok) return plan;
  const explanation =
    input.explanation ??
    (input.source === 'bonus'
      ? `Bonus of ${input.points} points (${input.rule}, programme version ${version}); available until ${expiresAt.slice(0, 10)}.`
      : `Earned ${input.points} points (${input.rule}, programme version ${version}).`);
  return ok(
    await post(s, ids, {
      id: entryId,
      businessKey: input.businessKey,
      plan: plan.value,
      rule: input.rule,
      orderId: input.orderId ?? null,
      lineNo: input.lineNo ?? null,
      lotId,
      refEntryId: null,
      effectiveAt: input.effectiveAt,
      now: input.now,
      explanation,
      meta: input.meta ?? null,
    }),
  );
}

/** A bonus for a relationship-building action, within its cap per period (programme time zone). */
export async function creditBonusInSession(
  s: MemberSession,
  ids: LedgerIds,
  input: { rule: BonusRule; key: string; points: number; detail: string; effectiveAt: string; now: string },
  periodBounds: (instant: string) => { start: string; end: string },
): Promise<Result<Posted, CreditError> | { ok: false; error: { type: 'CapReached'; rule: BonusRule } }> {
  const businessKey = `bonus:${s.customerId}:${input.rule}:${input.key}`;
  const existing = await s.findEntry(businessKey);
  if (existing) return ok(duplicateOf(existing));
  const { config, version } = s.config;
  const { start, end } = periodBounds(input.effectiveAt);
  if ((await s.countRule(input.rule, start, end)) >= config.bonuses[input.rule].cap.max) {
    return { ok: false, error: { type: 'CapReached', rule: input.rule } };
  }
  const expiresAt = endOfWindow(input.effectiveAt, config.lotLifetimeDays, config.timezone);
  return creditInSession(s, ids, {
    customerId: s.customerId,
    businessKey,
    source: 'bonus',
    rule: input.rule,
    points: input.points,
    qualifying: input.points,
    release: null,
    effectiveAt: input.effectiveAt,
    now: input.now,
    explanation: explainEntry({
      type: 'bonus',
      points: input.points,
      rule: input.rule,
      detail: input.detail,
      version,
      expiresAt,
    }),
  });
}

// ---------------------------------------------------------------- redemptions

/** A reward problem the rewards catalog reports (the programme module owns the catalog). */
export interface RewardProblem {
  readonly type: 'RewardOutOfStock' | 'NotEligible' | 'UnknownReward';
  readonly detail: string;
}

/**
 * How a redemption buys a reward. Both calls run inside the redemption's transaction, with the
 * member locked: `reserve` checks eligibility and stock and returns the cost; `issue` runs after
 * the points are posted (decrement stock, create a unique code) and its value is returned in the
 * receipt. Anything thrown rolls the whole redemption back.
 */
export interface RedemptionReward {
  reserve(
    s: MemberSession,
  ): Promise<Result<{ rewardId: string; points: number; label: string }, RewardProblem>>;
  issue?(s: MemberSession, redemption: { entryId: string; points: number }): Promise<Record<string, unknown>>;
}

export type RedeemError = LedgerError | RewardProblem | { type: 'IdempotencyKeyReused'; key: string };

export interface RedeemInput {
  readonly customerId: string;
  /** Points to redeem (ignored when a reward sets its cost). */
  readonly points?: number;
  readonly reward?: RedemptionReward;
  readonly now: string;
  /**
   * The client's Idempotency-Key and a hash of its payload. The business key of the redemption is
   * derived from it; without one, `businessKey` must be given.
   */
  readonly idempotency?: { key: string; requestHash: string };
  readonly businessKey?: string;
  readonly meta?: Record<string, unknown>;
}

export interface RedemptionReceipt {
  readonly redemptionId: string;
  readonly points: number;
  readonly rewardId: string | null;
  readonly draws: readonly LotDraw[];
  readonly balance: { available: number; pending: number };
  readonly explanation: string;
  readonly issued: Record<string, unknown> | null;
  /** True when this answer is the stored answer of an earlier identical request. */
  readonly replayed: boolean;
}

/**
 * Redeems points, never below zero, serialised per member: lots past expiry are expired first (so
 * they can never be spent), then points are drawn first-expiring-first.
 */
export async function redeemPoints(
  store: LedgerStore,
  ids: LedgerIds,
  input: RedeemInput,
): Promise<Result<RedemptionReceipt, RedeemError>> {
  const idem = input.idempotency;
  const businessKey = idem ? `redeem:${input.customerId}:${idem.key}` : input.businessKey;
  if (!businessKey) throw new Error('redeemPoints needs an idempotency key or a business key');
  const reads: Prefetch = {
    ...(idem ? { storedResponse: idem.key } : {}),
    entry: businessKey,
    openLots: true,
  };
  return store.withMember(
    input.customerId,
    input.now,
    (s) => redeemInSession(s, ids, input, businessKey, reads),
    reads,
  );
}

async function redeemInSession(
  s: MemberSession,
  ids: LedgerIds,
  input: RedeemInput,
  businessKey: string,
  reads: Prefetch,
): Promise<Result<RedemptionReceipt, RedeemError>> {
  const idem = input.idempotency;
  await s.prefetch(reads);
  if (idem) {
    const stored = await s.storedResponse(idem.key);
    if (stored) {
      if (stored.requestHash !== idem.requestHash)
        return err({ type: 'IdempotencyKeyReused', key: idem.key });
      return ok({ ...(stored.body as RedemptionReceipt), replayed: true });
    }
  }
  const existing = await s.findEntry(businessKey);
  if (existing) {
    const m = existing.meta ?? {};
    return ok({
      redemptionId: existing.id,
      points: existing.points,
      rewardId: (m.rewardId as string | undefined) ?? null,
      draws: (m.draws as LotDraw[] | undefined) ?? [],
      balance: { available: s.state().available, pending: s.state().pending },
      explanation: existing.explanation,
      issued: (m.issued as Record<string, unknown> | undefined) ?? null,
      replayed: true,
    });
  }
  await expireDue(s, ids, input.now);
  let points = input.points ?? 0;
  let rewardId: string | null = null;
  let label: string | null = null;
  if (input.reward) {
    const r = await input.reward.reserve(s);
    if (!r.ok) return r;
    points = r.value.points;
    rewardId = r.value.rewardId;
    label = r.value.label;
  }
  const plan = planRedeem(s.state(), { points, now: input.now, policy: s.config.config.debtPolicy });
  if (!plan.ok) return plan;
  const explanation = explainEntry({ type: 'redeem', points, draws: plan.value.draws, reward: label });
  const entryId = ids.entryId(businessKey);
  let issued: Record<string, unknown> | null = null;
  // The entry goes in first so that `issue` can reference it; its meta records the draws.
  await post(s, ids, {
    id: entryId,
    businessKey,
    plan: plan.value,
    rule: rewardId === null ? 'points' : 'reward',
    orderId: null,
    lineNo: null,
    lotId: null,
    refEntryId: null,
    effectiveAt: input.now,
    now: input.now,
    explanation,
    meta: { draws: plan.value.draws, rewardId, ...(input.meta ?? {}) },
  });
  if (input.reward?.issue) issued = await input.reward.issue(s, { entryId, points });
  const receipt: RedemptionReceipt = {
    redemptionId: entryId,
    points,
    rewardId,
    draws: plan.value.draws,
    balance: { available: s.state().available, pending: s.state().pending },
    explanation,
    issued,
    replayed: false,
  };
  if (idem)
    await s.storeResponse(idem.key, { requestHash: idem.requestHash, status: 201, body: receipt }, input.now);
  return ok(receipt);
}

/** Returns a refunded redemption's points to their original lots, with their original expiry. Once per redemption. */
export async function returnRedemption(
  store: LedgerStore,
  ids: LedgerIds,
  input: { customerId: string; redemptionId: string; now: string; reason: string },
): Promise<Result<Posted, LedgerError | { type: 'UnknownRedemption'; redemptionId: string }>> {
  return store.withMember(input.customerId, input.now, async (s) => {
    const businessKey = `redeem_return:${input.redemptionId}`;
    const existing = await s.findEntry(businessKey);
    if (existing) return ok(duplicateOf(existing));
    const [redemption] = (await s.entriesFor({ kind: 'redeem' })).filter((e) => e.id === input.redemptionId);
    if (!redemption) return err({ type: 'UnknownRedemption', redemptionId: input.redemptionId });
    const draws = (redemption.meta?.draws as LotDraw[] | undefined) ?? [];
    for (const d of draws) await s.loadLot(d.lotId);
    const plan = planRedeemReturn(s.state(), { draws });
    if (!plan.ok) return plan;
    const posted = await post(s, ids, {
      businessKey,
      plan: plan.value,
      rule: null,
      orderId: null,
      lineNo: null,
      lotId: null,
      refEntryId: redemption.id,
      effectiveAt: input.now,
      now: input.now,
      explanation: explainEntry({
        type: 'redeem_return',
        points: plan.value.points,
        draws,
        redemptionId: redemption.id,
      }),
      meta: { draws, reason: input.reason },
    });
    // A lot whose expiry passed while its points were out expires again at once.
    await expireDue(s, ids, input.now);
    return ok(posted);
  });
}

// ---------------------------------------------------------------- refunds and cancellations

export interface OrderReversalInput {
  readonly customerId: string;
  readonly orderId: string;
  /** The refund/cancellation event (its messageId): the business key of this reversal. */
  readonly updateId: string;
  readonly update: 'refunded' | 'cancelled';
  /** Σ of this order's refunds so far including this one, base-currency minor units (null: all of it). */
  readonly refundedSoFarMinor: number | null;
  /** The order's total, base-currency minor units (the refund's denominator). */
  readonly orderTotalMinor: number;
  readonly effectiveAt: string;
  readonly now: string;
}

/**
 * Reverses what each line of the order actually earned (the lot's points, never recomputed from
 * today's rules), in proportion to the share of the order refunded so far: the cumulative target
 * less what earlier refunds already reversed. Pending points first; spent points under the policy.
 */
export async function reverseOrder(
  store: LedgerStore,
  ids: LedgerIds,
  input: OrderReversalInput,
): Promise<Result<Posted[], LedgerError>> {
  return store.withMember(input.customerId, input.now, (s) => reverseOrderInSession(s, ids, input));
}

export async function reverseOrderInSession(
  s: MemberSession,
  ids: LedgerIds,
  input: OrderReversalInput,
): Promise<Result<Posted[], LedgerError>> {
  const lots = await s.lotsOfOrder(input.orderId);
  if (lots.length === 0) return ok([]);
  await s.loadOpenLots();
  const out: Posted[] = [];
  const refunded =
    input.update === 'cancelled' || input.refundedSoFarMinor === null
      ? input.orderTotalMinor
      : input.refundedSoFarMinor;
  const share =
    input.orderTotalMinor <= 0
      ? '100%'
      : `${Math.min(100, Math.round((100 * refunded) / input.orderTotalMinor))}%`;
  for (const lot of lots) {
    const businessKey = `reverse:${input.updateId}:${lot.id}`;
    const existing = await s.findEntry(businessKey);
    if (existing) {
      out.push(duplicateOf(existing));
      continue;
    }
    const earlier = await s.entriesFor({ refEntryId: lot.entryId, kind: 'reverse' });
    const reversedPoints = earlier.reduce((sum, e) => sum + e.points, 0);
    const reversedQualifying = earlier.reduce((sum, e) => sum - e.qualifyingDelta, 0);
    const target = reversalTarget(lot.points, refunded, input.orderTotalMinor);
    const qualifyingTarget = reversalTarget(lot.qualifying, refunded, input.orderTotalMinor);
    const points = Math.max(0, target - reversedPoints);
    const qualifying = Math.max(0, qualifyingTarget - reversedQualifying);
    if (points === 0 && qualifying === 0) continue;
    const plan = planReverse(s.state(), {
      lotId: lot.id,
      points,
      qualifying,
      now: input.now,
      policy: s.config.config.debtPolicy,
    });
    if (!plan.ok) {
      if (plan.error.type === 'NothingToDo') continue;
      return plan;
    }
    const shortfall = plan.value.postings
      .filter((p) => p.from === 'debt' || p.from === 'written_off')
      .reduce((sum, p) => sum + p.points, 0);
    out.push(
      await post(s, ids, {
        businessKey,
        plan: plan.value,
        rule: lot.rule,
        orderId: input.orderId,
        lineNo: lot.lineNo,
        lotId: lot.id,
        refEntryId: lot.entryId,
        effectiveAt: input.effectiveAt,
        now: input.now,
        explanation: explainEntry({
          type: 'reverse',
          points,
          orderId: input.orderId,
          lineNo: lot.lineNo ?? 0,
          earned: lot.points,
          update: input.update,
          share,
          shortfall,
          policy: s.config.config.debtPolicy,
        }),
        meta: { draws: plan.value.draws, shortfall, policy: s.config.config.debtPolicy },
      }),
    );
  }
  return ok(out);
}

// ---------------------------------------------------------------- manual adjustments

export type AdjustError = LedgerError | { type: 'IdempotencyKeyReused'; key: string };

/** A manual adjustment with a reason (admin): a credit in a new lot, or a debit that never goes below zero. */
export async function adjustPoints(
  store: LedgerStore,
  ids: LedgerIds,
  input: {
    customerId: string;
    points: number;
    reason: string;
    by: string;
    now: string;
    idempotency: { key: string; requestHash: string };
  },
): Promise<Result<Posted & { balance: { available: number; pending: number } }, AdjustError>> {
  return store.withMember(input.customerId, input.now, async (s) => {
    const idem = input.idempotency;
    const stored = await s.storedResponse(idem.key);
    if (stored) {
      if (stored.requestHash !== idem.requestHash)
        return err({ type: 'IdempotencyKeyReused', key: idem.key });
      return ok({
        ...(stored.body as Posted & { balance: { available: number; pending: number } }),
        duplicate: true,
      });
    }
    const businessKey = `adjust:${s.customerId}:${idem.key}`;
    await expireDue(s, ids, input.now);
    const entryId = ids.entryId(businessKey);
    const lotId = input.points > 0 ? ids.lotId(entryId) : null;
    const { config } = s.config;
    const plan =
      input.points > 0
        ? planManualCredit(s.state(), {
            lotId: lotId as string,
            points: input.points,
            qualifying: 0,
            expiresAt: endOfWindow(input.now, config.lotLifetimeDays, config.timezone),
            now: input.now,
          })
        : planManualDebit(s.state(), { points: -input.points, now: input.now });
    if (!plan.ok) return plan;
    const posted = await post(s, ids, {
      id: entryId,
      businessKey,
      plan: plan.value,
      rule: 'manual',
      orderId: null,
      lineNo: null,
      lotId,
      refEntryId: null,
      effectiveAt: input.now,
      now: input.now,
      explanation: explainEntry({ type: 'adjust', points: input.points, reason: input.reason, by: input.by }),
      meta: { reason: input.reason, by: input.by, draws: plan.value.draws },
    });
    const body = { ...posted, balance: { available: s.state().available, pending: s.state().pending } };
    await s.storeResponse(idem.key, { requestHash: idem.requestHash, status: 201, body }, input.now);
    return ok(body);
  });
}

// ---------------------------------------------------------------- jobs

export interface JobReport {
  readonly released: number;
  readonly expired: number;
  /** Birthday bonuses posted. */
  readonly birthdays: number;
  readonly notices: number;
}

/**
 * How many members a batch job keeps in flight: SQLite commits the members waiting at once in one
 * group (up to 64), so more in flight means fewer commits; PostgreSQL runs each on its own pooled
 * connection.
 */
export const memberConcurrency = (dialect: LedgerStore['dialect']): number => (dialect === 'sqlite' ? 64 : 8);

/** Runs `fn` over `items` with at most `concurrency` running at once, started in order. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * Releases pending lots whose return window closed and expires lots past their expiry, as of
 * `now` (windows and expiry are computed in the programme's time zone when the lot is credited).
 * Idempotent: each release and expiry has a business key per lot; running twice posts nothing new.
 * Records an expiry notice once per lot expiring within the notice period.
 */
export async function runLedgerJobs(
  store: LedgerStore,
  ids: LedgerIds,
  now: string,
  batch = 500,
): Promise<JobReport> {
  let released = 0;
  let expired = 0;
  for (const kind of ['release', 'expire'] as const) {
    for (;;) {
      const due = await store.dueLots(kind, now, batch);
      if (due.length === 0) break;
      let progressed = 0;
      // Expiry handles all of a member's due lots at once: one job per member. Several members at
      // a time (SQLite commits those waiting in one group; PostgreSQL uses several connections).
      const work = kind === 'expire' ? [...new Map(due.map((d) => [d.customerId, d])).values()] : [...due];
      const one = async ({ lotId, customerId }: { lotId: string; customerId: string }) => {
        const n = await store.withMember(customerId, now, async (s) => {
          if (kind === 'expire') {
            const before = await s.loadLot(lotId);
            if (!before) return 0;
            return expireDue(s, ids, now);
          }
          const key = `release:${lotId}`;
          const lot = await s.loadLot(lotId);
          if (!lot) return 0;
          const plan = planRelease(s.state(), { lotId, now, policy: s.config.config.debtPolicy });
          if (!plan.ok) return 0;
          const repaid = plan.value.postings
            .filter((p) => p.to === 'debt')
            .reduce((sum, p) => sum + p.points, 0);
          const posted = await post(s, ids, {
            businessKey: key,
            plan: plan.value,
            rule: lot.rule,
            orderId: lot.orderId,
            lineNo: lot.lineNo,
            lotId,
            refEntryId: lot.entryId,
            effectiveAt: lot.releaseAt ?? now,
            now,
            explanation: explainEntry({ type: 'release', points: plan.value.points, lotId, repaid }),
            meta: repaid > 0 ? { repaid } : null,
          });
          return posted.duplicate ? 0 : 1;
        });
        if (kind === 'release') released += n;
        else expired += n;
        progressed += n;
      };
      await forEachConcurrently(work, memberConcurrency(store.dialect), one);
      if (progressed === 0 || due.length < batch) break;
    }
  }
  const birthdays = await postBirthdayBonuses(store, ids, now);
  const cfg = await store.activeConfig(now);
  const until = new Date(Date.parse(now) + cfg.config.expiryNoticeDays * DAY_MS).toISOString();
  const notices = await store.recordExpiryNotices(now, until);
  return { released, expired, birthdays, notices };
}

/**
 * The birthday bonus: every member whose birthday (from their traits, src/domain/loyalty/birthday.ts)
 * is celebrated on today's local date in the programme's time zone gets the configured `birthday`
 * bonus, once per year (business key `bonus:<customer>:birthday:birthday:<year>`, the local year)
 * and within its cap. Only today counts: the job is meant to run at least daily (with
 * `patron loyalty run`); a day on which it did not run is not caught up. Returns the bonuses posted.
 */
export async function postBirthdayBonuses(store: LedgerStore, ids: LedgerIds, now: string): Promise<number> {
  const { config } = await store.activeConfig(now);
  const today = localDate(now, config.timezone);
  const year = Number(today.slice(0, 4));
  const awards = bonusesFor(config, { type: 'birthday', year });
  if (awards.length === 0) return 0;
  const candidates = (await store.birthdayCandidates(birthdaysCelebratedOn(today))).filter((c) => {
    const b = birthdayOf(c.traits);
    return b !== null && celebratesOn(b, today);
  });
  let posted = 0;
  const one = async ({ customerId }: { customerId: string }) => {
    const n = await store.withMember(customerId, now, async (s) => {
      let count = 0;
      // The member's session holds the version active now (it may differ from the one read above).
      for (const award of bonusesFor(s.config.config, { type: 'birthday', year })) {
        const tz = s.config.config.timezone;
        const r = await creditBonusInSession(
          s,
          ids,
          { rule: award.rule, key: award.key, points: award.points, detail: today, effectiveAt: now, now },
          (instant) => periodBounds(instant, s.config.config.bonuses[award.rule].cap.period, tz),
        );
        if (r.ok && !r.value.duplicate) count++;
      }
      return count;
    });
    posted += n;
  };
  await forEachConcurrently(candidates, memberConcurrency(store.dialect), one);
  return posted;
}

// ---------------------------------------------------------------- reading

export interface MemberBalance {
  readonly customerId: string;
  /** Earned, waiting for the return window to close. */
  readonly pending: number;
  /** Spendable now (lots past expiry excluded even before the expiry job runs). */
  readonly available: number;
  /** Points owed after refunds of spent points. */
  readonly owed: number;
  readonly expiringSoon: { points: number; firstExpiresAt: string | null; withinDays: number };
  /** Tier-qualifying credit (all time): spending never lowers it, refunds do. */
  readonly qualifyingCredit: number;
  readonly lifetimeEarned: number;
  readonly nextRelease: { points: number; at: string } | null;
  readonly programmeVersion: number;
}

export async function memberBalance(
  store: LedgerStore,
  customerId: string,
  now: string,
): Promise<MemberBalance> {
  const [account, cfg] = await Promise.all([store.account(customerId), store.activeConfig(now)]);
  const state = account?.state ?? { pending: 0, available: 0, debt: 0, qualifying: 0, lots: [] };
  const days = cfg.config.expiryNoticeDays;
  const until = new Date(Date.parse(now) + days * DAY_MS).toISOString();
  const pendingLots = state.lots
    .filter((l) => l.pending > 0 && l.releaseAt !== null)
    .sort((a, b) => ((a.releaseAt as string) < (b.releaseAt as string) ? -1 : 1));
  const first = pendingLots[0];
  return {
    customerId,
    // Both from the lots, so that they agree with each other even while postings commit.
    pending: state.lots.reduce((sum, l) => sum + l.pending, 0),
    available: availableAt(state, now),
    owed: state.debt,
    expiringSoon: { ...expiringSoon(state, now, until), withinDays: days },
    qualifyingCredit: state.qualifying,
    lifetimeEarned: account?.lifetimeEarned ?? 0,
    nextRelease: first ? { points: first.pending, at: first.releaseAt as string } : null,
    programmeVersion: cfg.version,
  };
}
