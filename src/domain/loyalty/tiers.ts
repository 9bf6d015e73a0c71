/**
 * Tiers: qualification on a weighted score of spend, engagement and advocacy over a rolling window,
 * a soft landing on downgrade, and `tierProgress` — how far the next tier is and the cheapest
 * concrete actions that get the member there. Pure: activities, configuration and `now` in, data out.
 *
 * Score (integers; see docs/LOYALTY.md):
 *   score = floor(netSpendMinor × spendPointsPerUnit / 10^digits)
 *         + Σ_kind weight(kind) × min(count(kind), cap(kind))            kind ∈ review, photo review,
 *                                                                      referral, community help
 * over the activities of the last `windowDays` (the window ends at `now`, inclusive).
 */
import { z } from 'zod';

/** Something a member did that counts towards their tier. Refunds are netted into the order. */
export type QualifyingActivity =
  | { readonly type: 'order'; readonly at: string; readonly netSpendMinor: number; readonly key: string }
  | { readonly type: 'review'; readonly at: string; readonly key: string }
  | { readonly type: 'photo_review'; readonly at: string; readonly key: string }
  | { readonly type: 'referral'; readonly at: string; readonly key: string }
  | { readonly type: 'community'; readonly at: string; readonly key: string };

export type ActionKind = Exclude<QualifyingActivity['type'], 'order'>;
export const ACTION_KINDS: readonly ActionKind[] = ['review', 'photo_review', 'referral', 'community'];

export interface TierDefinition {
  readonly id: string;
  readonly name: string;
  /** The score needed to qualify (the first tier's is 0). */
  readonly threshold: number;
  /** Earn multiplier for the ledger's earn rules, in per mille (1000 = ×1). */
  readonly earnMultiplierPermille: number;
}

export interface TierConfig {
  /** Ordered from the entry tier (threshold 0) upwards; thresholds strictly increasing. */
  readonly tiers: readonly TierDefinition[];
  readonly windowDays: number;
  /** Score per whole currency unit of net spend. */
  readonly spendPointsPerUnit: number;
  /** Minor-unit digits of the store's currency (2 for EUR/USD). */
  readonly currencyDigits: number;
  /** Score per action. */
  readonly actionPoints: Readonly<Record<ActionKind, number>>;
  /** At most this many actions of a kind count in one window (no review farming). */
  readonly actionCaps: Readonly<Record<ActionKind, number>>;
  /** Relative effort of one action for the member (an order counts as `orderEffort`). */
  readonly actionEffort: Readonly<Record<ActionKind, number>>;
  readonly orderEffort: number;
  /** Days a member keeps a tier after falling below it (soft landing). */
  readonly graceDays: number;
  /** A reminder is due this many days before a scheduled demotion. */
  readonly noticeDays: number;
}

export const DEFAULT_TIER_CONFIG: TierConfig = {
  tiers: [
    { id: 'member', name: 'Member', threshold: 0, earnMultiplierPermille: 1000 },
    { id: 'silver', name: 'Silver', threshold: 250, earnMultiplierPermille: 1250 },
    { id: 'gold', name: 'Gold', threshold: 600, earnMultiplierPermille: 1500 },
    { id: 'platinum', name: 'Platinum', threshold: 1500, earnMultiplierPermille: 2000 },
  ],
  windowDays: 365,
  spendPointsPerUnit: 1,
  currencyDigits: 2,
  actionPoints: { review: 20, photo_review: 35, referral: 75, community: 10 },
  actionCaps: { review: 12, photo_review: 6, referral: 10, community: 24 },
  actionEffort: { review: 1, photo_review: 2, referral: 4, community: 1 },
  orderEffort: 1,
  graceDays: 60,
  noticeDays: 14,
};

const wholeNumber = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be ≥ 0' });
const perKind = <T extends z.ZodType>(t: T) =>
  z.object({ review: t, photo_review: t, referral: t, community: t });

/** The edge schema of a tier configuration (the API's body); `validateTierConfig` checks the rest. */
export const tierConfigSchema = z.object({
  tiers: z
    .array(
      z.object({
        id: z.string().min(1).max(50),
        name: z.string().min(1).max(100),
        threshold: wholeNumber,
        earnMultiplierPermille: wholeNumber.max(20_000),
      }),
    )
    .min(1)
    .max(20),
  windowDays: wholeNumber.min(1).max(3650),
  spendPointsPerUnit: z.number().positive().max(1000),
  currencyDigits: wholeNumber.max(4),
  actionPoints: perKind(wholeNumber),
  actionCaps: perKind(wholeNumber.max(1000)),
  actionEffort: perKind(z.number().positive().max(100)),
  orderEffort: z.number().positive().max(100),
  graceDays: wholeNumber.max(3650),
  noticeDays: wholeNumber.max(3650),
});

export interface TierConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** Checks a tier configuration; an empty list means it is usable. */
export function validateTierConfig(c: TierConfig): TierConfigProblem[] {
  const out: TierConfigProblem[] = [];
  if (c.tiers.length === 0) out.push({ path: 'tiers', message: 'needs at least one tier' });
  if (c.tiers[0] && c.tiers[0].threshold !== 0)
    out.push({ path: 'tiers.0.threshold', message: 'the entry tier must have threshold 0' });
  const ids = new Set<string>();
  c.tiers.forEach((t, i) => {
    if (ids.has(t.id)) out.push({ path: `tiers.${i}.id`, message: `duplicate tier id "${t.id}"` });
    ids.add(t.id);
    if (!Number.isInteger(t.threshold) || t.threshold < 0)
      out.push({ path: `tiers.${i}.threshold`, message: 'must be a whole number ≥ 0' });
    const prev = c.tiers[i - 1];
    if (prev && t.threshold <= prev.threshold)
      out.push({ path: `tiers.${i}.threshold`, message: 'thresholds must increase from tier to tier' });
    if (!Number.isInteger(t.earnMultiplierPermille) || t.earnMultiplierPermille < 0)
      out.push({ path: `tiers.${i}.earnMultiplierPermille`, message: 'must be a whole number ≥ 0' });
  });
  for (const k of ACTION_KINDS) {
    if (!Number.isInteger(c.actionPoints[k]) || c.actionPoints[k] < 0)
      out.push({ path: `actionPoints.${k}`, message: 'must be a whole number ≥ 0' });
    if (!Number.isInteger(c.actionCaps[k]) || c.actionCaps[k] < 0)
      out.push({ path: `actionCaps.${k}`, message: 'must be a whole number ≥ 0' });
    if (!(c.actionEffort[k] > 0)) out.push({ path: `actionEffort.${k}`, message: 'must be > 0' });
  }
  if (!(c.spendPointsPerUnit > 0)) out.push({ path: 'spendPointsPerUnit', message: 'must be > 0' });
  if (!Number.isInteger(c.windowDays) || c.windowDays < 1)
    out.push({ path: 'windowDays', message: 'must be a whole number of days ≥ 1' });
  if (!Number.isInteger(c.graceDays) || c.graceDays < 0)
    out.push({ path: 'graceDays', message: 'must be a whole number of days ≥ 0' });
  if (!Number.isInteger(c.noticeDays) || c.noticeDays < 0 || c.noticeDays > c.graceDays)
    out.push({ path: 'noticeDays', message: 'must be a whole number of days between 0 and graceDays' });
  return out;
}

const DAY_MS = 86_400_000;

export const addDays = (iso: string, days: number): string =>
  new Date(Date.parse(iso) + days * DAY_MS).toISOString();

export interface TierScore {
  readonly score: number;
  readonly spendMinor: number;
  readonly spendScore: number;
  /** Counted actions per kind (after the caps) and the actions the window holds beyond the caps. */
  readonly counts: Readonly<Record<ActionKind, number>>;
  readonly actionScore: number;
  readonly windowStart: string;
}

/** Score from spend, in whole points: floor(minor × pointsPerUnit / 10^digits), never below 0. */
export function spendScore(netSpendMinor: number, c: TierConfig): number {
  if (netSpendMinor <= 0) return 0;
  return Math.floor((netSpendMinor * c.spendPointsPerUnit) / 10 ** c.currencyDigits);
}

/** The qualifying score over the rolling window (windowStart, now]. Each key counts once. */
export function qualifyingScore(
  activities: readonly QualifyingActivity[],
  c: TierConfig,
  now: string,
): TierScore {
  const nowMs = Date.parse(now);
  const startMs = nowMs - c.windowDays * DAY_MS;
  const seen = new Set<string>();
  const raw: Record<ActionKind, number> = { review: 0, photo_review: 0, referral: 0, community: 0 };
  let spend = 0;
  for (const a of activities) {
    const t = Date.parse(a.at);
    if (!(t > startMs && t <= nowMs)) continue;
    const key = `${a.type}:${a.key}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (a.type === 'order') spend += a.netSpendMinor;
    else raw[a.type]++;
  }
  const counts: Record<ActionKind, number> = { review: 0, photo_review: 0, referral: 0, community: 0 };
  let actionScore = 0;
  for (const k of ACTION_KINDS) {
    counts[k] = Math.min(raw[k], c.actionCaps[k]);
    actionScore += counts[k] * c.actionPoints[k];
  }
  const s = spendScore(spend, c);
  return {
    score: s + actionScore,
    spendMinor: Math.max(0, spend),
    spendScore: s,
    counts,
    actionScore,
    windowStart: new Date(startMs).toISOString(),
  };
}

/** The highest tier whose threshold the score reaches (index into config.tiers). */
export function qualifiedTierIndex(score: number, c: TierConfig): number {
  let idx = 0;
  c.tiers.forEach((t, i) => {
    if (score >= t.threshold) idx = i;
  });
  return idx;
}

export function tierIndex(tierId: string, c: TierConfig): number {
  const i = c.tiers.findIndex((t) => t.id === tierId);
  // A tier removed from the configuration: the member is treated as the highest tier below it.
  return i < 0 ? 0 : i;
}

/** A member's tier state as stored. */
export interface TierState {
  readonly tierId: string;
  readonly since: string;
  /** Set while the member is below their tier's threshold: the tier they would drop to, and when. */
  readonly demotion: {
    readonly toTierId: string;
    readonly effectiveAt: string;
    readonly noticeAt: string;
  } | null;
  /** The reminder before the demotion has been issued. */
  readonly reminded: boolean;
}

export type TierTransition =
  | { readonly type: 'TierUpgraded'; readonly from: string; readonly to: string; readonly at: string }
  | {
      readonly type: 'DemotionScheduled';
      readonly from: string;
      readonly to: string;
      readonly at: string;
      readonly effectiveAt: string;
    }
  | {
      readonly type: 'DemotionReminder';
      readonly tierId: string;
      readonly at: string;
      readonly effectiveAt: string;
    }
  | { readonly type: 'DemotionCancelled'; readonly tierId: string; readonly at: string }
  | { readonly type: 'TierDowngraded'; readonly from: string; readonly to: string; readonly at: string };

export interface TierEvaluation {
  readonly state: TierState;
  readonly transitions: readonly TierTransition[];
}

/** The state of a new member: the entry tier. */
export function initialTierState(c: TierConfig, now: string): TierState {
  return { tierId: (c.tiers[0] as TierDefinition).id, since: now, demotion: null, reminded: false };
}

/**
 * Re-evaluates a member's tier against their current score. Upgrades take effect at once (to the
 * highest tier reached). Falling below the current tier starts a grace period of `graceDays` with a
 * notice now and a reminder `noticeDays` before the end; at its end the member steps down ONE tier
 * (a soft landing) and, if still below that tier, a new grace period starts. Climbing back above
 * the threshold during grace cancels the demotion. Idempotent: evaluating twice at the same time
 * with the same score changes nothing the second time.
 */
export function evaluateTier(state: TierState, score: number, c: TierConfig, now: string): TierEvaluation {
  const transitions: TierTransition[] = [];
  let s: TierState = state;
  const current = tierIndex(s.tierId, c);
  const qualified = qualifiedTierIndex(score, c);
  const tierAt = (i: number) => c.tiers[i] as TierDefinition;

  if (qualified > current) {
    transitions.push({ type: 'TierUpgraded', from: s.tierId, to: tierAt(qualified).id, at: now });
    return {
      state: { tierId: tierAt(qualified).id, since: now, demotion: null, reminded: false },
      transitions,
    };
  }
  // At or below the current tier: soft landing. The loop covers a long gap between evaluations,
  // in which several grace periods may have ended (each next one starts when the last ended).
  const nowMs = Date.parse(now);
  let graceStart = now;
  for (;;) {
    const cur = tierIndex(s.tierId, c);
    if (qualified >= cur) {
      if (s.demotion) {
        transitions.push({ type: 'DemotionCancelled', tierId: s.tierId, at: now });
        s = { ...s, demotion: null, reminded: false };
      }
      break;
    }
    if (!s.demotion) {
      const effectiveAt = addDays(graceStart, c.graceDays);
      const to = tierAt(cur - 1).id;
      transitions.push({ type: 'DemotionScheduled', from: s.tierId, to, at: graceStart, effectiveAt });
      s = {
        ...s,
        demotion: { toTierId: to, effectiveAt, noticeAt: addDays(effectiveAt, -c.noticeDays) },
        reminded: false,
      };
    }
    const d = s.demotion as NonNullable<TierState['demotion']>;
    if (nowMs >= Date.parse(d.effectiveAt)) {
      transitions.push({ type: 'TierDowngraded', from: s.tierId, to: d.toTierId, at: d.effectiveAt });
      s = { tierId: d.toTierId, since: d.effectiveAt, demotion: null, reminded: false };
      graceStart = d.effectiveAt;
      continue;
    }
    if (!s.reminded && nowMs >= Date.parse(d.noticeAt)) {
      transitions.push({ type: 'DemotionReminder', tierId: s.tierId, at: now, effectiveAt: d.effectiveAt });
      s = { ...s, reminded: true };
    }
    break;
  }
  return { state: s, transitions };
}

/** One concrete way to reach the next tier. */
export interface ProgressPlan {
  /** Actions of each kind (only kinds with a count > 0). */
  readonly actions: Readonly<Partial<Record<ActionKind, number>>>;
  /** One more order of at least this net amount (minor units of the store's currency), or 0. */
  readonly orderMinor: number;
  /** Σ effort of the actions (+ orderEffort if there is an order). */
  readonly effort: number;
  /** Score the plan adds. */
  readonly adds: number;
}

export interface TierProgress {
  readonly tierId: string;
  readonly score: number;
  readonly nextTierId: string | null;
  readonly nextThreshold: number | null;
  /** Score still missing for the next tier (0 at the top). */
  readonly remaining: number;
  /** Share of the way from the current tier's threshold to the next one, 0‥1. */
  readonly fraction: number;
  /**
   * The cheapest plans: the exact Pareto frontier of (effort, order amount) over the action kinds,
   * least effort first — the no-spend plan with least effort, the mixes, and always the single
   * order that closes the gap alone. At most `maxPlans` (+1 for the single order).
   */
  readonly plans: readonly ProgressPlan[];
}

/**
 * The tier after the member's (the higher of the held and the qualified one) and how far along
 * the way to it the score is, in [0, 1]: (score − this tier's threshold) / (next − this). No next
 * tier: null and 1.
 */
export function tierFraction(
  tierId: string,
  score: number,
  c: TierConfig,
): { readonly next: TierDefinition | null; readonly fraction: number } {
  const cur = Math.max(tierIndex(tierId, c), qualifiedTierIndex(score, c));
  const next = c.tiers[cur + 1];
  if (!next) return { next: null, fraction: 1 };
  const base = (c.tiers[cur] as TierDefinition).threshold;
  return { next, fraction: Math.min(1, Math.max(0, (score - base) / (next.threshold - base))) };
}

/**
 * How far the member is from the next tier and the cheapest concrete actions that get them there.
 * The search is exact: every combination of action counts within the member's remaining caps (and
 * never more of a kind than the target needs alone) is enumerated; for each, the rest is covered by
 * one order of the smallest whole-currency amount that closes the gap. Plans that another plan
 * beats on both effort and order amount are dropped (Pareto frontier).
 */
export function tierProgress(tierId: string, score: TierScore, c: TierConfig, maxPlans = 4): TierProgress {
  const { next, fraction } = tierFraction(tierId, score.score, c);
  if (!next) {
    return {
      tierId,
      score: score.score,
      nextTierId: null,
      nextThreshold: null,
      remaining: 0,
      fraction: 1,
      plans: [],
    };
  }
  const remaining = Math.max(0, next.threshold - score.score);
  return {
    tierId,
    score: score.score,
    nextTierId: next.id,
    nextThreshold: next.threshold,
    remaining,
    fraction,
    plans: cheapestPlans(remaining, score, c, maxPlans),
  };
}

/** Smallest net order (minor units, whole currency units) whose spend score, added to the window's spend, adds `need`. */
export function orderNeeded(need: number, spendMinor: number, c: TierConfig): number {
  if (need <= 0) return 0;
  const unit = 10 ** c.currencyDigits;
  const before = spendScore(spendMinor, c);
  // Smallest whole-unit amount x with floor((spend + x)·p/unit) ≥ before + need.
  let units = Math.max(1, Math.ceil(need / c.spendPointsPerUnit));
  while (units > 1 && spendScore(spendMinor + (units - 1) * unit, c) - before >= need) units--;
  while (spendScore(spendMinor + units * unit, c) - before < need) units++;
  return units * unit;
}

/**
 * The exact frontier without building a plan per combination (a member far from Platinum has
 * ~25,000 of them): the combinations are walked with running sums only, and for each effort level
 * the best one is kept — least order amount, then least overshoot, then the first in enumeration
 * order (review count outermost) — exactly the plan a stable sort of every combination on (effort,
 * amount, overshoot) would put first at that level. A count that already closes the gap ends its
 * loop: more of that kind (or any later kind) adds effort to a plan that needs no order, which the
 * smaller combination dominates.
 */
function cheapestPlans(need: number, score: TierScore, c: TierConfig, maxPlans: number): ProgressPlan[] {
  if (need <= 0) return [];
  const kinds = ACTION_KINDS.filter((k) => c.actionPoints[k] > 0);
  const points = kinds.map((k) => c.actionPoints[k]);
  const efforts = kinds.map((k) => c.actionEffort[k]);
  const limits = kinds.map((k, j) =>
    Math.min(Math.max(0, c.actionCaps[k] - score.counts[k]), Math.ceil(need / (points[j] as number))),
  );
  // The order that covers a residual gap r, and the score it adds, once per r.
  const orderFor = new Map<number, { orderMinor: number; gain: number }>();
  const order = (r: number): { orderMinor: number; gain: number } => {
    let o = orderFor.get(r);
    if (!o) {
      const orderMinor = orderNeeded(r, score.spendMinor, c);
      o = { orderMinor, gain: spendScore(score.spendMinor + orderMinor, c) - score.spendScore };
      orderFor.set(r, o);
    }
    return o;
  };
  type Best = { orderMinor: number; adds: number; counts: number[] };
  const best = new Map<number, Best>();
  const counts = kinds.map(() => 0);
  const visit = (i: number, adds: number, effort: number): void => {
    if (i === kinds.length) {
      let total = adds;
      let eff = effort;
      let orderMinor = 0;
      if (adds < need) {
        const o = order(need - adds);
        orderMinor = o.orderMinor;
        if (orderMinor > 0) {
          eff += c.orderEffort;
          total += o.gain;
        }
      }
      const b = best.get(eff);
      if (!b) best.set(eff, { orderMinor, adds: total, counts: counts.slice() });
      else if (orderMinor < b.orderMinor || (orderMinor === b.orderMinor && total < b.adds)) {
        b.orderMinor = orderMinor;
        b.adds = total;
        b.counts = counts.slice();
      }
      return;
    }
    const p = points[i] as number;
    const w = efforts[i] as number;
    const limit = limits[i] as number;
    for (let n = 0; n <= limit; n++) {
      counts[i] = n;
      const a = adds + n * p;
      // Same arithmetic, in the same order, as summing the plan's actions kind by kind.
      visit(i + 1, a, n > 0 ? effort + n * w : effort);
      if (a >= need) break;
    }
    counts[i] = 0;
  };
  visit(0, 0, 0);
  const planOf = (b: Best, effort: number): ProgressPlan => {
    const actions: Partial<Record<ActionKind, number>> = {};
    kinds.forEach((k, j) => {
      const n = b.counts[j] as number;
      if (n > 0) actions[k] = n;
    });
    return { actions, orderMinor: b.orderMinor, effort, adds: b.adds };
  };
  // Pareto frontier on (effort, orderMinor): by effort, kept when it needs less money than every
  // plan of less effort.
  const frontier: ProgressPlan[] = [];
  let bestOrder = Infinity;
  for (const effort of [...best.keys()].sort((a, b) => a - b)) {
    const b = best.get(effort) as Best;
    if (b.orderMinor < bestOrder) {
      frontier.push(planOf(b, effort));
      bestOrder = b.orderMinor;
    }
  }
  // "One more order of €35" is always offered: it is what most members will do, even when a
  // review would be less effort (it is then off the frontier: same effort, more money).
  const alone = order(need);
  const orderOnly: ProgressPlan = {
    actions: {},
    orderMinor: alone.orderMinor,
    effort: c.orderEffort,
    adds: alone.gain,
  };
  const isOrderOnly = (p: ProgressPlan) => Object.keys(p.actions).length === 0;
  if (!frontier.some(isOrderOnly)) {
    frontier.push(orderOnly);
    frontier.sort((a, b) => a.effort - b.effort || a.orderMinor - b.orderMinor);
  }
  // Keep the extremes (least effort, no spend) and fill with the cheapest mixes in between.
  if (frontier.length <= maxPlans) return frontier;
  const first = frontier[0] as ProgressPlan;
  const last = frontier[frontier.length - 1] as ProgressPlan;
  const middle = frontier.slice(1, -1).slice(0, Math.max(0, maxPlans - 2));
  const kept = [first, ...middle, last];
  if (!kept.some(isOrderOnly)) kept.splice(kept.length - 1, 0, frontier.find(isOrderOnly) as ProgressPlan);
  return kept;
}

/** A plan in words, e.g. "one more order of €35" or "2 reviews and one referral". */
export function describePlan(p: ProgressPlan, formatMoney: (minor: number) => string): string {
  const words: Record<ActionKind, [string, string]> = {
    review: ['review', 'reviews'],
    photo_review: ['photo review', 'photo reviews'],
    referral: ['referral of a friend who orders', 'referrals of friends who order'],
    community: ['helpful community post', 'helpful community posts'],
  };
  const parts: string[] = [];
  if (p.orderMinor > 0) parts.push(`one more order of ${formatMoney(p.orderMinor)}`);
  for (const k of ACTION_KINDS) {
    const n = p.actions[k];
    if (n) parts.push(`${n === 1 ? 'one' : String(n)} ${n === 1 ? words[k][0] : words[k][1]}`);
  }
  return parts.length <= 1
    ? (parts[0] ?? 'nothing more')
    : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
