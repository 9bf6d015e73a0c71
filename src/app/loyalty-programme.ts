/**
 * Loyalty programme use cases around the ledger: tier evaluation (on events and as a job), personal
 * challenges (generate, track, reward, calibrate), the rewards catalog, referral codes and
 * attributions with fraud checks, refund-cycling flags, and the programme's part of a member's
 * view. The rules are the pure functions of src/domain/loyalty; points move only through the
 * ledger (the `PointsPort`, implemented over src/app/loyalty-ledger.ts), each with a permanent
 * business key, so a retry or a replay never credits twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_CALIBRATION,
  DEFAULT_CALIBRATION_SETTINGS,
  DEFAULT_CHALLENGE_SETTINGS,
  CHALLENGE_KINDS,
  calibrateStretch,
  challengeBaseline,
  challengeProgress,
  challengeStatus,
  generateChallenges,
  type Calibration,
  type ChallengeKind,
  type ChallengeSettings,
  type Purchase,
} from '../domain/loyalty/challenges.js';
import {
  checkReferral,
  detectRefundCycling,
  normaliseReferralCode,
  referralCode,
  referralStatus,
  type CycleOrder,
  type ReferralFlag,
  type ReferralParty,
} from '../domain/loyalty/referrals.js';
import {
  checkRedeemable,
  rewardInput,
  rewardPatch,
  suggestRewards,
  type Reward,
  type RewardInput,
  type RewardSuggestion,
  type RewardType,
  type WantedItem,
} from '../domain/loyalty/rewards.js';
import {
  DEFAULT_TIER_CONFIG,
  describePlan,
  evaluateTier,
  initialTierState,
  qualifyingScore,
  tierProgress,
  validateTierConfig,
  type QualifyingActivity,
  type TierConfig,
  type TierState,
  type TierTransition,
} from '../domain/loyalty/tiers.js';
import { createRandom } from '../domain/random.js';
import type { LedgerStore } from './loyalty-ledger.js';
import { err, ok, type Result } from '../domain/result.js';
import { fieldIssues } from '../domain/field-issues.js';

// ---------------------------------------------------------------- ports

export interface MemberFacts {
  readonly purchases: Purchase[];
  readonly activities: QualifyingActivity[];
}

export interface StoredChallenge {
  readonly id: string;
  readonly customerId: string;
  readonly kind: ChallengeKind;
  readonly periodKey: string;
  readonly category: string | null;
  readonly title: string;
  readonly target: number;
  readonly baseline: number;
  readonly stretch: number;
  readonly progress: number;
  readonly rewardPoints: number;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: 'active' | 'completed' | 'expired';
  readonly completedAt: string | null;
  readonly rewardEntryId: string | null;
}

export interface StoredReferral {
  readonly id: string;
  readonly referrerId: string;
  readonly refereeId: string;
  readonly code: string;
  readonly referredAt: string;
  readonly decision: 'accept' | 'reject' | 'review';
  readonly flags: readonly ReferralFlag[];
  readonly status: string;
  readonly firstOrderId: string | null;
  readonly dueAt: string | null;
  readonly rewardedAt: string | null;
}

export interface TierRecord {
  readonly state: TierState;
  readonly score: number;
  readonly evaluatedAt: string;
}

/** Storage the programme needs (src/store/loyalty-programme-repository.ts). */
export interface ProgrammeStore {
  settings(): Promise<ProgrammeSettings>;
  saveSettings(s: ProgrammeSettings, now: string): Promise<void>;
  /** Facts of one customer, of a group (a few hundred ids at most) or of everyone (null). */
  facts(
    customerId: string | readonly string[] | null,
    since: string | null,
  ): Promise<Map<string, MemberFacts>>;
  wantedItems(customerId: string): Promise<WantedItem[]>;
  popularCategories(now: string): Promise<string[]>;
  tier(customerId: string): Promise<TierRecord | null>;
  tiers(customerIds: readonly string[] | null): Promise<Map<string, TierRecord>>;
  /** Saves tier states and their transitions (idempotent by transition) in one transaction. */
  saveTiers(
    rows: ReadonlyArray<{ customerId: string; record: TierRecord; transitions: readonly TierTransition[] }>,
    now: string,
  ): Promise<void>;
  tierCounts(): Promise<Record<string, number>>;
  challenges(customerId: string | null, status?: StoredChallenge['status']): Promise<StoredChallenge[]>;
  /** Inserts challenges that do not exist yet for (customer, kind, period); returns those inserted. */
  insertChallenges(rows: readonly StoredChallenge[], now: string): Promise<number>;
  updateChallenges(
    rows: ReadonlyArray<
      Pick<StoredChallenge, 'id' | 'progress' | 'status' | 'completedAt' | 'rewardEntryId'>
    >,
    now: string,
  ): Promise<void>;
  calibration(): Promise<{ stretch: Calibration; through: string | null }>;
  saveCalibration(
    kind: keyof Calibration,
    stretch: number,
    offered: number,
    completed: number,
    through: string,
    now: string,
  ): Promise<void>;
  /** Outcomes of challenges of a kind that ended in (after, until]. */
  endedChallenges(
    kind: ChallengeKind,
    after: string | null,
    until: string,
  ): Promise<{ offered: number; completed: number }>;
  rewards(): Promise<Reward[]>;
  reward(id: string): Promise<Reward | null>;
  saveReward(reward: Reward, now: string): Promise<void>;
  /** How often each reward was redeemed by members of a tier (for suggestions). */
  redemptionCounts(tierId: string | null): Promise<Record<string, number>>;
  redeemedTypes(customerId: string): Promise<Partial<Record<RewardType, number>>>;
  referralCode(customerId: string): Promise<string | null>;
  /** Stores the code unless the member has one; returns the member's code. */
  saveReferralCode(customerId: string, code: string, now: string): Promise<string>;
  referralCodeOwner(code: string): Promise<string | null>;
  referrals(filter: { status?: string; referrerId?: string }): Promise<StoredReferral[]>;
  /** Inserts an attribution unless the referee already has one; returns whether it was new. */
  insertReferral(r: StoredReferral, now: string): Promise<boolean>;
  updateReferral(
    r: Pick<StoredReferral, 'id' | 'status' | 'firstOrderId' | 'dueAt' | 'rewardedAt'>,
    now: string,
  ): Promise<void>;
  party(customerId: string): Promise<ReferralParty>;
  /** The referee's earliest order (not cancelled): id, time, gross and net base amounts. */
  firstOrder(
    customerId: string,
  ): Promise<{ orderId: string; at: string; grossMinor: number; netMinor: number } | null>;
  /** Customer id for a `cus_` id or a store userId. */
  customerIdFor(idOrUserId: string): Promise<string | null>;
  cycleOrders(customerId: string | null, since: string): Promise<Map<string, CycleOrder[]>>;
  saveFlag(
    flag: { id: string; customerId: string; kind: string; detail: unknown },
    now: string,
  ): Promise<boolean>;
  flags(customerId: string | null): Promise<
    Array<{
      id: string;
      customerId: string;
      kind: string;
      detail: unknown;
      status: string;
      createdAt: string;
    }>
  >;
}

/** Points move only through the ledger. */
export interface PointsPort {
  credit(input: {
    customerId: string;
    businessKey: string;
    rule: string;
    points: number;
    effectiveAt: string;
    now: string;
    explanation: string;
  }): Promise<Result<{ entryId: string; duplicate: boolean }, { type: string }>>;
  available(customerId: string, now: string): Promise<number>;
}

// ---------------------------------------------------------------- settings

export interface ReferralSettings {
  readonly referrerPoints: number;
  readonly refereePoints: number;
  readonly returnWindowDays: number;
  readonly attributionDays: number;
  readonly perDay: number;
  readonly per30Days: number;
  /** Orders this long before the referral still count as the referee's first (sign-up races). */
  readonly orderGraceHours: number;
}

export interface ProgrammeSettings {
  readonly tiers: TierConfig;
  readonly challenges: ChallengeSettings;
  readonly referrals: ReferralSettings;
  /** Value of points for the liability: `minor` minor units per `per` points. */
  readonly pointValue: { readonly minor: number; readonly per: number };
  readonly assumedBreakage: number;
  readonly timezone: string;
  readonly currency: string;
  readonly referralLinkBase: string | null;
}

export const DEFAULT_PROGRAMME_SETTINGS: ProgrammeSettings = {
  tiers: DEFAULT_TIER_CONFIG,
  challenges: DEFAULT_CHALLENGE_SETTINGS,
  referrals: {
    referrerPoints: 250,
    refereePoints: 100,
    returnWindowDays: 30,
    attributionDays: 60,
    perDay: 3,
    per30Days: 10,
    orderGraceHours: 24,
  },
  pointValue: { minor: 1, per: 1 },
  assumedBreakage: 0.2,
  timezone: 'UTC',
  currency: 'USD',
  referralLinkBase: null,
};

export function checkSettings(s: ProgrammeSettings): Array<{ path: string; message: string }> {
  return validateTierConfig(s.tiers).map((p) => ({ path: `tiers.${p.path}`, message: p.message }));
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 20);

export function formatMoney(currency: string): (minor: number) => string {
  const f = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 2 });
  return (minor) => f.format(minor / 100).replace(/\.00$/, '');
}

// ---------------------------------------------------------------- tiers

export interface TierReport {
  readonly evaluated: number;
  readonly transitions: Record<TierTransition['type'], number>;
  readonly byTier: Record<string, number>;
}

/** Members evaluated per read of their facts and write of their tiers. */
export const TIER_GROUP_SIZE = 500;

/**
 * Re-evaluates the tier of one member, of the members some events touched (`customerIds`: after
 * an event run, in groups of TIER_GROUP_SIZE, each group one read of its facts and one write), or
 * of every member with history (the daily job: the window rolls and grace periods end without
 * events). Idempotent.
 */
export async function evaluateTiers(
  store: ProgrammeStore,
  input: { customerId?: string; customerIds?: readonly string[]; now: string },
): Promise<TierReport> {
  const settings = await store.settings();
  const c = settings.tiers;
  const since = new Date(Date.parse(input.now) - c.windowDays * 86_400_000).toISOString();
  const counts = {
    TierUpgraded: 0,
    DemotionScheduled: 0,
    DemotionReminder: 0,
    DemotionCancelled: 0,
    TierDowngraded: 0,
  };
  const only =
    input.customerIds !== undefined
      ? [...new Set(input.customerIds)]
      : input.customerId !== undefined
        ? [input.customerId]
        : null;
  let evaluated = 0;
  const evaluate = async (group: readonly string[] | null): Promise<void> => {
    const facts = await store.facts(group, since);
    if (group !== null)
      for (const id of group) if (!facts.has(id)) facts.set(id, { purchases: [], activities: [] });
    const existing = await store.tiers(group !== null ? group : null);
    // Members with a stored tier but no activity in the window still need evaluating (demotion).
    if (group === null)
      for (const id of existing.keys()) if (!facts.has(id)) facts.set(id, { purchases: [], activities: [] });
    const rows: Array<{ customerId: string; record: TierRecord; transitions: readonly TierTransition[] }> =
      [];
    for (const [customerId, f] of facts) {
      const prev = existing.get(customerId);
      const score = qualifyingScore(f.activities, c, input.now);
      const r = evaluateTier(prev?.state ?? initialTierState(c, input.now), score.score, c, input.now);
      for (const t of r.transitions) counts[t.type]++;
      if (!prev || r.transitions.length > 0 || prev.score !== score.score)
        rows.push({
          customerId,
          record: { state: r.state, score: score.score, evaluatedAt: input.now },
          transitions: r.transitions,
        });
    }
    for (let i = 0; i < rows.length; i += TIER_GROUP_SIZE)
      await store.saveTiers(rows.slice(i, i + TIER_GROUP_SIZE), input.now);
    evaluated += facts.size;
  };
  if (only === null) await evaluate(null);
  else
    for (let i = 0; i < only.length; i += TIER_GROUP_SIZE) await evaluate(only.slice(i, i + TIER_GROUP_SIZE));
  return { evaluated, transitions: counts, byTier: await store.tierCounts() };
}

export interface MemberTierView {
  readonly id: string;
  readonly name: string;
  readonly since: string;
  readonly score: number;
  readonly earnMultiplier: number;
  readonly demotion: { readonly toTierId: string; readonly effectiveAt: string } | null;
}

export interface TierProgressView {
  readonly nextTierId: string | null;
  readonly nextTierName: string | null;
  readonly remaining: number;
  readonly fraction: number;
  readonly options: ReadonlyArray<{
    readonly description: string;
    readonly orderMinor: number;
    readonly actions: Readonly<Record<string, number>>;
  }>;
}

/** A member's tier and their progress to the next one, from the facts as of `now`. */
export async function memberTier(
  store: ProgrammeStore,
  customerId: string,
  now: string,
  preloaded?: { settings: ProgrammeSettings; facts: MemberFacts },
): Promise<{ tier: MemberTierView; tierProgress: TierProgressView }> {
  const s = preloaded?.settings ?? (await store.settings());
  const since = new Date(Date.parse(now) - s.tiers.windowDays * 86_400_000).toISOString();
  const [facts, record] = await Promise.all([
    preloaded?.facts ??
      store.facts(customerId, since).then((m) => m.get(customerId) ?? { purchases: [], activities: [] }),
    store.tier(customerId),
  ]);
  return tierView(s, facts, record, now);
}

/** The member's tier and progress from what was read (the stored tier state may lag; not saved). */
function tierView(
  s: ProgrammeSettings,
  facts: MemberFacts,
  record: TierRecord | null,
  now: string,
): { tier: MemberTierView; tierProgress: TierProgressView } {
  const c = s.tiers;
  const score = qualifyingScore(facts.activities, c, now);
  // The stored state may lag an event not yet evaluated; the view evaluates without saving.
  const state = evaluateTier(record?.state ?? initialTierState(c, now), score.score, c, now).state;
  const def = c.tiers.find((t) => t.id === state.tierId) ?? c.tiers[0]!;
  const p = tierProgress(state.tierId, score, c);
  const money = formatMoney(s.currency);
  return {
    tier: {
      id: def.id,
      name: def.name,
      since: state.since,
      score: score.score,
      earnMultiplier: def.earnMultiplierPermille / 1000,
      demotion: state.demotion
        ? { toTierId: state.demotion.toTierId, effectiveAt: state.demotion.effectiveAt }
        : null,
    },
    tierProgress: {
      nextTierId: p.nextTierId,
      nextTierName: c.tiers.find((t) => t.id === p.nextTierId)?.name ?? null,
      remaining: p.remaining,
      fraction: Math.round(p.fraction * 1000) / 1000,
      options: p.plans.map((plan) => ({
        description: describePlan(plan, money),
        orderMinor: plan.orderMinor,
        actions: { ...plan.actions },
      })),
    },
  };
}

/** Earn multipliers by tier id for the ledger's earn rules (`tierMultipliers`). */
export function tierMultipliers(c: TierConfig): Record<string, number> {
  return Object.fromEntries(c.tiers.map((t) => [t.id, t.earnMultiplierPermille / 1000]));
}

/**
 * Feeds the tiers' earn multipliers to the ledger: when the ledger's programme version in force has
 * other `tierMultipliers`, a new version is activated with these (the ledger records on every posting
 * the version that made it). Returns the new version, or null when nothing changed.
 */
export async function syncTierMultipliers(
  ledger: LedgerStore,
  tiers: TierConfig,
  now: string,
): Promise<number | null> {
  const current = await ledger.activeConfig(now);
  const wanted = tierMultipliers(tiers);
  const same =
    Object.keys(wanted).length === Object.keys(current.config.tierMultipliers).length &&
    Object.entries(wanted).every(([k, v]) => current.config.tierMultipliers[k] === v);
  if (same) return null;
  const v = await ledger.activateConfig({
    config: { ...current.config, tierMultipliers: wanted },
    now,
    by: 'tiers',
    note: 'tier earn multipliers from the tier configuration',
  });
  return v.version;
}

// ---------------------------------------------------------------- challenges

export interface ChallengeReport {
  readonly generated: number;
  readonly completed: number;
  readonly expired: number;
  readonly rewarded: number;
  readonly rewardedPoints: number;
  readonly active: number;
}

const periodKey = (now: string) => now.slice(0, 10);

/**
 * For one member or all: brings the progress of active challenges up to date from their purchases,
 * marks them completed or expired, posts the reward of each completed one through the ledger
 * (business key `challenge:<id>:reward`, so a retry never pays twice), and offers new personal
 * challenges for kinds the member has none active of.
 */
export async function refreshChallenges(
  store: ProgrammeStore,
  points: PointsPort | null,
  input: { customerId?: string; now: string; seed: number; generate?: boolean },
): Promise<ChallengeReport> {
  const settings = await store.settings();
  const s = settings.challenges;
  const now = input.now;
  const since = new Date(Date.parse(now) - 400 * 86_400_000).toISOString();
  const facts = await store.facts(input.customerId ?? null, since);
  const open = await store.challenges(input.customerId ?? null, 'active');
  const completedUnpaid = (await store.challenges(input.customerId ?? null, 'completed')).filter(
    (c) => c.rewardEntryId === null,
  );
  let completed = 0;
  let expired = 0;
  let rewarded = 0;
  let rewardedPoints = 0;
  const updates: Array<
    Pick<StoredChallenge, 'id' | 'progress' | 'status' | 'completedAt' | 'rewardEntryId'>
  > = [];
  const toPay: StoredChallenge[] = [...completedUnpaid];
  const activeKinds = new Map<string, Set<ChallengeKind>>();
  // One challenge of a kind per member at a time: a kind is taken until its challenge's deadline,
  // even when completed early (a new one comes with the next period, not the next refresh).
  const taken = (ch: StoredChallenge) => {
    let kinds = activeKinds.get(ch.customerId);
    if (!kinds) activeKinds.set(ch.customerId, (kinds = new Set()));
    kinds.add(ch.kind);
  };
  for (const ch of await store.challenges(input.customerId ?? null, 'completed'))
    if (Date.parse(ch.endsAt) > Date.parse(now)) taken(ch);
  for (const ch of open) {
    const f = facts.get(ch.customerId);
    const p = challengeProgress(ch, f?.purchases ?? []);
    const status = challengeStatus(ch, p, now);
    if (status !== 'expired') taken(ch);
    if (status === 'completed') completed++;
    if (status === 'expired') expired++;
    if (p.progress !== ch.progress || status !== ch.status)
      updates.push({
        id: ch.id,
        progress: p.progress,
        status,
        completedAt: p.completedAt,
        rewardEntryId: null,
      });
    if (status === 'completed')
      toPay.push({ ...ch, progress: p.progress, status, completedAt: p.completedAt });
  }
  await store.updateChallenges(updates, now);

  if (points) {
    const paid: Array<Pick<StoredChallenge, 'id' | 'progress' | 'status' | 'completedAt' | 'rewardEntryId'>> =
      [];
    for (const ch of toPay) {
      const r = await points.credit({
        customerId: ch.customerId,
        businessKey: `challenge:${ch.id}:reward`,
        rule: 'challenge',
        points: ch.rewardPoints,
        effectiveAt: ch.completedAt ?? now,
        now,
        explanation: `Challenge completed: ${ch.title} — ${ch.rewardPoints} points.`,
      });
      if (!r.ok) continue;
      paid.push({
        id: ch.id,
        progress: ch.progress,
        status: 'completed',
        completedAt: ch.completedAt,
        rewardEntryId: r.value.entryId,
      });
      if (!r.value.duplicate) {
        rewarded++;
        rewardedPoints += ch.rewardPoints;
      }
    }
    await store.updateChallenges(paid, now);
  }

  let generated = 0;
  if (input.generate !== false) {
    const { stretch } = await store.calibration();
    const popular = await store.popularCategories(now);
    const money = formatMoney(settings.currency);
    const rows: StoredChallenge[] = [];
    for (const [customerId, f] of facts) {
      const baseline = challengeBaseline(f.purchases, now);
      if (baseline.orders === 0) continue;
      const have = activeKinds.get(customerId) ?? new Set<ChallengeKind>();
      const rng = createRandom(
        parseInt(hash(`${input.seed}:${customerId}:${periodKey(now)}`).slice(0, 8), 16),
      );
      for (const spec of generateChallenges({
        baseline,
        calibration: stretch,
        popularCategories: popular,
        now,
        random: rng,
        settings: s,
        formatMoney: money,
      })) {
        if (have.has(spec.kind)) continue;
        rows.push({
          id: `chl_${hash(`${customerId}:${spec.kind}:${periodKey(now)}`)}`,
          customerId,
          kind: spec.kind,
          periodKey: periodKey(now),
          category: spec.category,
          title: spec.title,
          target: spec.target,
          baseline: spec.baseline,
          stretch: spec.stretch,
          progress: 0,
          rewardPoints: spec.rewardPoints,
          startsAt: spec.startsAt,
          endsAt: spec.endsAt,
          status: 'active',
          completedAt: null,
          rewardEntryId: null,
        });
      }
    }
    for (let i = 0; i < rows.length; i += 500)
      generated += await store.insertChallenges(rows.slice(i, i + 500), now);
  }
  const active = (await store.challenges(input.customerId ?? null, 'active')).length;
  return { generated, completed, expired, rewarded, rewardedPoints, active };
}

/** Moves each kind's stretch toward the target completion rate from the challenges ended since the last run. */
export async function calibrateChallenges(
  store: ProgrammeStore,
  now: string,
): Promise<
  Array<{ kind: keyof Calibration; before: number; after: number; offered: number; completed: number }>
> {
  const { stretch, through } = await store.calibration();
  const out = [];
  for (const kind of ['spend_stretch', 'category_quantity'] as const) {
    const o = await store.endedChallenges(kind, through, now);
    const after = calibrateStretch(stretch[kind], o, DEFAULT_CALIBRATION_SETTINGS);
    await store.saveCalibration(kind, after, o.offered, o.completed, now, now);
    out.push({ kind, before: stretch[kind], after, ...o });
  }
  return out;
}

export { DEFAULT_CALIBRATION, CHALLENGE_KINDS };

// ---------------------------------------------------------------- rewards catalog

export type CatalogError =
  | { type: 'Invalid'; errors: Array<{ path: string; message: string }> }
  | { type: 'UnknownReward'; id: string };

export async function createReward(
  store: ProgrammeStore,
  body: unknown,
  now: string,
): Promise<Result<Reward, CatalogError>> {
  const parsed = rewardInput.safeParse(body);
  if (!parsed.success) return err({ type: 'Invalid', errors: fieldIssues(parsed.error) });
  const tiers = (await store.settings()).tiers.tiers.map((t) => t.id);
  const unknown = (parsed.data.eligibleTiers ?? []).filter((t) => !tiers.includes(t));
  if (unknown.length > 0)
    return err({
      type: 'Invalid',
      errors: [
        { path: 'eligibleTiers', message: `unknown tier ${unknown.join(', ')} (tiers: ${tiers.join(', ')})` },
      ],
    });
  const reward: Reward = {
    ...parsed.data,
    id: `rwd_${randomBytes(8).toString('hex')}`,
    stockLeft: parsed.data.stock,
  };
  await store.saveReward(reward, now);
  return ok(reward);
}

/** Changes a catalog entry. Changing `stock` sets the stock left to the new stock minus what was issued. */
export async function updateReward(
  store: ProgrammeStore,
  id: string,
  body: unknown,
  now: string,
): Promise<Result<Reward, CatalogError>> {
  const current = await store.reward(id);
  if (!current) return err({ type: 'UnknownReward', id });
  const parsed = rewardPatch.safeParse(body);
  if (!parsed.success) return err({ type: 'Invalid', errors: fieldIssues(parsed.error) });
  const patch = Object.fromEntries(
    Object.entries(parsed.data).filter(([, v]) => v !== undefined),
  ) as Partial<RewardInput>;
  const issued = current.stock === null || current.stockLeft === null ? 0 : current.stock - current.stockLeft;
  const next: Reward = {
    ...current,
    ...patch,
    stockLeft:
      patch.stock === undefined
        ? current.stockLeft
        : patch.stock === null
          ? null
          : Math.max(0, patch.stock - issued),
  };
  await store.saveReward(next, now);
  return ok(next);
}

// ---------------------------------------------------------------- suggestions and the member's view

export async function rewardSuggestions(
  store: ProgrammeStore,
  input: { customerId: string; tierId: string; available: number; now: string; limit?: number },
  preloaded?: { settings: ProgrammeSettings; facts: MemberFacts },
): Promise<RewardSuggestion[]> {
  const s = preloaded?.settings ?? (await store.settings());
  const [catalog, items, history, peers, facts] = await Promise.all([
    store.rewards(),
    store.wantedItems(input.customerId),
    store.redeemedTypes(input.customerId),
    store.redemptionCounts(input.tierId),
    preloaded
      ? Promise.resolve(new Map([[input.customerId, preloaded.facts]]))
      : store.facts(input.customerId, new Date(Date.parse(input.now) - 180 * 86_400_000).toISOString()),
  ]);
  return suggestionsFrom(
    s,
    catalog,
    items,
    history,
    peers,
    facts.get(input.customerId)?.purchases ?? [],
    input,
  );
}

function suggestionsFrom(
  s: ProgrammeSettings,
  catalog: Reward[],
  items: WantedItem[],
  history: Partial<Record<RewardType, number>>,
  peers: Record<string, number>,
  purchases: MemberFacts['purchases'],
  input: { tierId: string; available: number; now: string; limit?: number },
): RewardSuggestion[] {
  const baseline = challengeBaseline(purchases, input.now);
  const cartTotal = items.filter((i) => i.source === 'cart').reduce((n, i) => n + i.priceMinor, 0);
  return suggestRewards(
    catalog,
    {
      tierId: input.tierId,
      available: input.available,
      items,
      // The storefront's usual rule: free shipping from 50 in the base currency, else 5.99.
      cartShippingMinor: cartTotal > 0 && cartTotal < 5_000 ? 599 : 0,
      history,
      peerRedemptions: peers,
      favouriteCategory: baseline.favouriteCategory,
      pointValueMinor: s.pointValue.minor / s.pointValue.per,
    },
    formatMoney(s.currency),
    input.limit ?? 3,
  );
}

// ---------------------------------------------------------------- referrals

export async function ensureReferralCode(
  store: ProgrammeStore,
  customerId: string,
  firstName: string | null,
  now: string,
): Promise<string> {
  const existing = await store.referralCode(customerId);
  if (existing) return existing;
  return store.saveReferralCode(customerId, referralCode(randomBytes(6), firstName), now);
}

export type ReferralError =
  { type: 'UnknownReferralCode'; code: string } | { type: 'UnknownCustomer'; customer: string };

/**
 * Records that `referee` came through `code` at `at` (the storefront calls this at sign-up, or a
 * `Referral Completed` event does). The fraud checks run now; the reward comes when the referee's
 * first order is past its return window (`processReferrals`).
 */
export async function attributeReferral(
  store: ProgrammeStore,
  input: { code: string; referee: string; at: string; now: string; referrerId?: string },
): Promise<Result<StoredReferral & { new: boolean }, ReferralError>> {
  const code = normaliseReferralCode(input.code);
  const referrerId = input.referrerId ?? (await store.referralCodeOwner(code));
  if (!referrerId) return err({ type: 'UnknownReferralCode', code: input.code });
  const refereeId = await store.customerIdFor(input.referee);
  if (!refereeId) return err({ type: 'UnknownCustomer', customer: input.referee });
  const s = (await store.settings()).referrals;
  const [referrer, referee, first, previous] = await Promise.all([
    store.party(referrerId),
    store.party(refereeId),
    store.firstOrder(refereeId),
    store.referrals({ referrerId }),
  ]);
  const graceStart = Date.parse(input.at) - s.orderGraceHours * 3_600_000;
  const check = checkReferral({
    referrer,
    referee,
    refereeOrderedBefore: first && Date.parse(first.at) < graceStart ? first.at : null,
    referrerAttributions: previous
      .filter((r) => r.refereeId !== refereeId && r.decision !== 'reject')
      .map((r) => r.referredAt),
    at: input.at,
    limits: { perDay: s.perDay, per30Days: s.per30Days },
  });
  const r: StoredReferral = {
    id: `ref_${hash(refereeId)}`,
    referrerId,
    refereeId,
    code,
    referredAt: input.at,
    decision: check.decision,
    flags: check.flags,
    status:
      check.decision === 'accept' ? 'awaiting_order' : check.decision === 'reject' ? 'rejected' : 'review',
    firstOrderId: null,
    dueAt: null,
    rewardedAt: null,
  };
  const isNew = await store.insertReferral(r, input.now);
  if (!isNew) {
    const [stored] = (await store.referrals({ referrerId })).filter((x) => x.refereeId === refereeId);
    return ok({ ...(stored ?? r), new: false });
  }
  return ok({ ...r, new: true });
}

export interface ReferralReport {
  readonly checked: number;
  readonly due: number;
  readonly rewarded: number;
  readonly void: number;
}

/**
 * Moves every open attribution along: attributes the referee's first order, and once its return
 * window has closed (and it was not refunded in full) credits both sides through the ledger —
 * business keys `referral:<id>:referrer` and `referral:<id>:referee`.
 */
export async function processReferrals(
  store: ProgrammeStore,
  points: PointsPort | null,
  now: string,
): Promise<ReferralReport> {
  const s = (await store.settings()).referrals;
  const open = [
    ...(await store.referrals({ status: 'awaiting_order' })),
    ...(await store.referrals({ status: 'in_return_window' })),
    ...(await store.referrals({ status: 'due' })),
  ];
  let due = 0;
  let rewarded = 0;
  let voided = 0;
  for (const r of open) {
    const first = await store.firstOrder(r.refereeId);
    const graceStart = Date.parse(r.referredAt) - s.orderGraceHours * 3_600_000;
    const order = first && Date.parse(first.at) >= graceStart ? first : null;
    const st = referralStatus({
      decision: r.decision,
      referredAt: new Date(graceStart).toISOString(),
      firstOrder: order ? { at: order.at, netMinor: order.netMinor, grossMinor: order.grossMinor } : null,
      rewarded: false,
      now,
      returnWindowDays: s.returnWindowDays,
      attributionDays: s.attributionDays,
    });
    let status: string = st.status;
    let rewardedAt: string | null = null;
    if (st.status === 'due') {
      due++;
      if (points) {
        const a = await points.credit({
          customerId: r.referrerId,
          businessKey: `referral:${r.id}:referrer`,
          rule: 'referral_reward',
          points: s.referrerPoints,
          effectiveAt: st.dueAt ?? now,
          now,
          explanation: `Referral reward: a friend you referred placed their first order (${order?.orderId}) and kept it — ${s.referrerPoints} points.`,
        });
        const b = await points.credit({
          customerId: r.refereeId,
          businessKey: `referral:${r.id}:referee`,
          rule: 'referral_reward',
          points: s.refereePoints,
          effectiveAt: st.dueAt ?? now,
          now,
          explanation: `Welcome reward for joining through a friend's referral — ${s.refereePoints} points.`,
        });
        if (a.ok && b.ok) {
          status = 'rewarded';
          rewardedAt = now;
          rewarded++;
        }
      }
    }
    if (st.status === 'void') voided++;
    if (status !== r.status || (order?.orderId ?? null) !== r.firstOrderId)
      await store.updateReferral(
        { id: r.id, status, firstOrderId: order?.orderId ?? null, dueAt: st.dueAt, rewardedAt },
        now,
      );
  }
  return { checked: open.length, due, rewarded, void: voided };
}

/** Flags refund cycling (buy, earn, refund, repeat) for review; one flag per member and window end. */
export async function flagRefundCycling(store: ProgrammeStore, now: string): Promise<number> {
  const since = new Date(Date.parse(now) - 90 * 86_400_000).toISOString();
  const byCustomer = await store.cycleOrders(null, since);
  let n = 0;
  for (const [customerId, orders] of byCustomer) {
    const f = detectRefundCycling(orders, now);
    if (!f) continue;
    const id = `flg_${hash(`refund_cycling:${customerId}:${f.orderIds.join(',')}`)}`;
    if (await store.saveFlag({ id, customerId, kind: 'refund_cycling', detail: f }, now)) n++;
  }
  return n;
}

/** A redeemable check for the catalog (the ledger's redemption re-checks inside its transaction). */
export { checkRedeemable };

// ---------------------------------------------------------------- the member's view

export interface MemberProgramme {
  readonly tier: MemberTierView;
  readonly tierProgress: TierProgressView;
  readonly challenges: ReadonlyArray<{
    readonly id: string;
    readonly kind: ChallengeKind;
    readonly title: string;
    readonly category: string | null;
    readonly target: number;
    readonly progress: number;
    readonly rewardPoints: number;
    readonly startsAt: string;
    readonly endsAt: string;
  }>;
  readonly suggestedRewards: RewardSuggestion[];
  readonly referralCode: string;
  readonly referralLink: string | null;
}

/**
 * The programme's part of `GET /v1/loyalty/me`: tier and progress (evaluated from the facts as of
 * `now`), active challenges with their progress, reward suggestions for the available balance, and
 * the member's referral code (created on first request).
 */
export async function memberProgramme(
  store: ProgrammeStore,
  input: {
    customerId: string;
    /** The member's available points (a promise: the balance may still be being read). */
    available: number | Promise<number>;
    now: string;
    firstName?: string | null;
  },
): Promise<MemberProgramme> {
  const s = await store.settings();
  // Everything the view needs, read at once; one read of the member's facts over the tier window
  // serves tier, challenges and suggestions.
  const since = new Date(Date.parse(input.now) - s.tiers.windowDays * 86_400_000).toISOString();
  const [factsById, record, open, referral, catalog, items, history] = await Promise.all([
    store.facts(input.customerId, since),
    store.tier(input.customerId),
    store.challenges(input.customerId, 'active'),
    ensureReferralCode(store, input.customerId, input.firstName ?? null, input.now),
    store.rewards(),
    store.wantedItems(input.customerId),
    store.redeemedTypes(input.customerId),
  ]);
  const facts = factsById.get(input.customerId) ?? { purchases: [], activities: [] };
  const { tier, tierProgress } = tierView(s, facts, record, input.now);
  const [peers, available] = await Promise.all([store.redemptionCounts(tier.id), input.available]);
  const suggestedRewards = suggestionsFrom(s, catalog, items, history, peers, facts.purchases, {
    tierId: tier.id,
    available,
    now: input.now,
  });
  const purchases = facts.purchases;
  const challenges = open
    .filter((c) => Date.parse(c.endsAt) > Date.parse(input.now))
    .map((c) => ({
      id: c.id,
      kind: c.kind,
      title: c.title,
      category: c.category,
      target: c.target,
      // Progress from the facts, so an order a moment ago shows before the next refresh job.
      progress: Math.min(c.target, challengeProgress(c, purchases).progress),
      rewardPoints: c.rewardPoints,
      startsAt: c.startsAt,
      endsAt: c.endsAt,
    }));
  return {
    tier,
    tierProgress,
    challenges,
    suggestedRewards,
    referralCode: referral,
    referralLink: s.referralLinkBase ? `${s.referralLinkBase}${encodeURIComponent(referral)}` : null,
  };
}
