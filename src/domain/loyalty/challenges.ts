/**
 * Personal challenges: generated from the customer's own history (their typical monthly spend
 * with a stretch target, their favourite category, a category they have not tried), progress
 * computed from their purchases, and difficulty calibrated to a target completion rate.
 *
 * Baseline spend = mean net spend per 30-day period over the last `lookbackDays` (or since the
 * first order, when that is later), the way grocery programmes set "spend £X more than usual"
 * thresholds. Target = ceil(stretch × baseline) to a whole currency unit, stretch ≈ 1.2 at first.
 * Calibration: stretch ← clamp(stretch · exp(gain · w · (observed − target)), min, max), with
 * w = n / (n + priorWeight) so that a handful of outcomes moves it only a little (docs/LOYALTY.md).
 */
import type { Random } from '../random.js';

export interface PurchaseLine {
  readonly category: string | null;
  /** Net amount of the line (price × quantity, after refunds), minor units. */
  readonly amountMinor: number;
  readonly quantity: number;
}

export interface Purchase {
  readonly orderId: string;
  readonly at: string;
  /** Net merchandise amount of the order after refunds, minor units of the store's currency. */
  readonly netMinor: number;
  readonly lines: readonly PurchaseLine[];
}

export type ChallengeKind = 'spend_stretch' | 'category_quantity' | 'discovery';
export const CHALLENGE_KINDS: readonly ChallengeKind[] = ['spend_stretch', 'category_quantity', 'discovery'];

export interface ChallengeBaseline {
  readonly orders: number;
  /** Mean net spend per 30-day period over the baseline window, minor units. */
  readonly monthlySpendMinor: number;
  readonly periods: number;
  readonly favouriteCategory: string | null;
  /** Mean units per 30-day period in the favourite category. */
  readonly favouriteMonthlyQuantity: number;
  /** Categories the customer bought in the window. */
  readonly activeCategories: readonly string[];
}

const DAY_MS = 86_400_000;
const PERIOD_DAYS = 30;

/** The customer's baseline as of `now`, from their purchases in the last `lookbackDays`. */
export function challengeBaseline(
  purchases: readonly Purchase[],
  now: string,
  lookbackDays = 180,
): ChallengeBaseline {
  const nowMs = Date.parse(now);
  const from = nowMs - lookbackDays * DAY_MS;
  const inWindow = purchases.filter((p) => {
    const t = Date.parse(p.at);
    return t > from && t <= nowMs;
  });
  if (inWindow.length === 0) {
    return {
      orders: 0,
      monthlySpendMinor: 0,
      periods: 0,
      favouriteCategory: null,
      favouriteMonthlyQuantity: 0,
      activeCategories: [],
    };
  }
  const first = Math.min(...inWindow.map((p) => Date.parse(p.at)));
  // Whole 30-day periods covered, at least one: a customer of two weeks has one period.
  const periods = Math.max(1, Math.min(lookbackDays, Math.ceil((nowMs - first) / DAY_MS)) / PERIOD_DAYS);
  let spend = 0;
  const byCategory = new Map<string, { amount: number; quantity: number }>();
  for (const p of inWindow) {
    spend += Math.max(0, p.netMinor);
    for (const l of p.lines) {
      if (!l.category || l.quantity <= 0) continue;
      const c = byCategory.get(l.category) ?? { amount: 0, quantity: 0 };
      c.amount += l.amountMinor;
      c.quantity += l.quantity;
      byCategory.set(l.category, c);
    }
  }
  const ranked = [...byCategory.entries()].sort(
    (a, b) => b[1].amount - a[1].amount || b[1].quantity - a[1].quantity || (a[0] < b[0] ? -1 : 1),
  );
  const fav = ranked[0];
  return {
    orders: inWindow.length,
    monthlySpendMinor: Math.round(spend / periods),
    periods,
    favouriteCategory: fav ? fav[0] : null,
    favouriteMonthlyQuantity: fav ? fav[1].quantity / periods : 0,
    activeCategories: ranked.map(([c]) => c).sort(),
  };
}

export interface ChallengeSettings {
  readonly durationDays: number;
  readonly currencyDigits: number;
  /** The smallest spend target offered (a customer with almost no history). */
  readonly minSpendTargetMinor: number;
  /** Points for a completed spend challenge per whole currency unit of the target, per mille. */
  readonly spendRewardPermille: number;
  readonly categoryRewardPoints: number;
  readonly discoveryRewardPoints: number;
}

export const DEFAULT_CHALLENGE_SETTINGS: ChallengeSettings = {
  durationDays: 30,
  currencyDigits: 2,
  minSpendTargetMinor: 2_500,
  spendRewardPermille: 150,
  categoryRewardPoints: 100,
  discoveryRewardPoints: 150,
};

/** Current stretch factor per calibrated kind. */
export interface Calibration {
  readonly spend_stretch: number;
  readonly category_quantity: number;
}

export const DEFAULT_CALIBRATION: Calibration = { spend_stretch: 1.2, category_quantity: 1.2 };

export interface ChallengeSpec {
  readonly kind: ChallengeKind;
  readonly category: string | null;
  /** Spend in minor units, units of a category, or 1 (an order with the category). */
  readonly target: number;
  /** The customer's own baseline the target was set from (same unit as target; ×1000 for units). */
  readonly baseline: number;
  readonly stretch: number;
  readonly rewardPoints: number;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly title: string;
}

/**
 * The challenges to offer a customer now: a spend stretch on their own baseline, a quantity
 * stretch in their favourite category, and a discovery challenge in a popular category they have
 * not bought (a seeded random pick among the three most popular, so customers do not all get the
 * same one). Customers without orders in the window get only a discovery challenge with the
 * smallest spend target.
 */
export function generateChallenges(input: {
  readonly baseline: ChallengeBaseline;
  readonly calibration: Calibration;
  /** Store categories by popularity (most bought first). */
  readonly popularCategories: readonly string[];
  readonly now: string;
  readonly random: Random;
  readonly settings?: ChallengeSettings;
  readonly formatMoney?: (minor: number) => string;
}): ChallengeSpec[] {
  const s = input.settings ?? DEFAULT_CHALLENGE_SETTINGS;
  const b = input.baseline;
  const unit = 10 ** s.currencyDigits;
  const fmt = input.formatMoney ?? ((m: number) => (m / unit).toFixed(s.currencyDigits));
  const endsAt = new Date(Date.parse(input.now) + s.durationDays * DAY_MS).toISOString();
  const out: ChallengeSpec[] = [];
  if (b.orders > 0) {
    const stretch = input.calibration.spend_stretch;
    const target = Math.max(s.minSpendTargetMinor, Math.ceil((stretch * b.monthlySpendMinor) / unit) * unit);
    out.push({
      kind: 'spend_stretch',
      category: null,
      target,
      baseline: b.monthlySpendMinor,
      stretch,
      rewardPoints: Math.round(((target / unit) * s.spendRewardPermille) / 1000),
      startsAt: input.now,
      endsAt,
      title: `Spend ${fmt(target)} in the next ${s.durationDays} days`,
    });
  }
  if (b.favouriteCategory) {
    const stretch = input.calibration.category_quantity;
    const target = Math.max(1, Math.ceil(stretch * b.favouriteMonthlyQuantity - 1e-9));
    out.push({
      kind: 'category_quantity',
      category: b.favouriteCategory,
      target,
      baseline: Math.round(b.favouriteMonthlyQuantity * 1000),
      stretch,
      rewardPoints: s.categoryRewardPoints,
      startsAt: input.now,
      endsAt,
      title: `Buy ${target} ${target === 1 ? 'item' : 'items'} from ${b.favouriteCategory} in the next ${s.durationDays} days`,
    });
  }
  const untried = input.popularCategories.filter((c) => !b.activeCategories.includes(c)).slice(0, 3);
  if (untried.length > 0) {
    const category = input.random.pick(untried);
    out.push({
      kind: 'discovery',
      category,
      target: 1,
      baseline: 0,
      stretch: 1,
      rewardPoints: s.discoveryRewardPoints,
      startsAt: input.now,
      endsAt,
      title: `Discover ${category}: order anything from it in the next ${s.durationDays} days`,
    });
  }
  return out;
}

export interface ChallengeProgress {
  readonly progress: number;
  /** When the cumulative progress first reached the target within the challenge's time, or null. */
  readonly completedAt: string | null;
  /** The orders that counted. */
  readonly orderIds: readonly string[];
}

/** What a purchase contributes to a challenge (0 if none). */
export function contribution(ch: Pick<ChallengeSpec, 'kind' | 'category'>, p: Purchase): number {
  switch (ch.kind) {
    case 'spend_stretch':
      return Math.max(0, p.netMinor);
    case 'category_quantity':
      return p.lines.reduce(
        (n, l) => n + (l.category === ch.category && l.amountMinor > 0 ? Math.max(0, l.quantity) : 0),
        0,
      );
    case 'discovery':
      return p.lines.some((l) => l.category === ch.category && l.amountMinor > 0 && l.quantity > 0) ? 1 : 0;
    default: {
      const _exhaustive: never = ch.kind;
      return _exhaustive;
    }
  }
}

/**
 * Progress of a challenge from the purchases in [startsAt, endsAt): recomputed from the facts
 * each time (each order counts once, refunds lower it), so replays and duplicates cannot inflate it.
 */
export function challengeProgress(
  ch: Pick<ChallengeSpec, 'kind' | 'category' | 'target' | 'startsAt' | 'endsAt'>,
  purchases: readonly Purchase[],
): ChallengeProgress {
  const start = Date.parse(ch.startsAt);
  const end = Date.parse(ch.endsAt);
  const seen = new Set<string>();
  const counted = purchases
    .filter((p) => {
      const t = Date.parse(p.at);
      if (t < start || t >= end || seen.has(p.orderId)) return false;
      seen.add(p.orderId);
      return true;
    })
    .sort(
      (a, b) =>
        Date.parse(a.at) - Date.parse(b.at) || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0),
    );
  let progress = 0;
  let completedAt: string | null = null;
  const orderIds: string[] = [];
  for (const p of counted) {
    const c = contribution(ch, p);
    if (c <= 0) continue;
    progress += c;
    orderIds.push(p.orderId);
    if (completedAt === null && progress >= ch.target) completedAt = p.at;
  }
  if (ch.kind === 'discovery') progress = Math.min(progress, 1);
  return { progress, completedAt, orderIds };
}

export type ChallengeStatus = 'active' | 'completed' | 'expired';

export function challengeStatus(
  ch: Pick<ChallengeSpec, 'endsAt'>,
  progress: ChallengeProgress,
  now: string,
): ChallengeStatus {
  if (progress.completedAt !== null) return 'completed';
  return Date.parse(now) >= Date.parse(ch.endsAt) ? 'expired' : 'active';
}

export interface CalibrationSettings {
  /** The completion rate the programme aims for. */
  readonly targetRate: number;
  readonly gain: number;
  /** Outcomes worth as much as the current value (shrinks updates from few outcomes). */
  readonly priorWeight: number;
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_CALIBRATION_SETTINGS: CalibrationSettings = {
  targetRate: 0.35,
  gain: 1.5,
  priorWeight: 50,
  min: 1.0,
  max: 2.0,
};

/**
 * Moves a stretch factor toward the completion rate the programme aims for: more completions than
 * targeted make challenges harder, fewer make them easier. Multiplicative, so it stays positive;
 * shrunk by n/(n + priorWeight); clamped to [min, max].
 */
export function calibrateStretch(
  stretch: number,
  outcomes: { readonly offered: number; readonly completed: number },
  s: CalibrationSettings = DEFAULT_CALIBRATION_SETTINGS,
): number {
  if (outcomes.offered <= 0) return stretch;
  if (outcomes.completed < 0 || outcomes.completed > outcomes.offered)
    throw new RangeError('completed must be between 0 and offered');
  const rate = outcomes.completed / outcomes.offered;
  const w = outcomes.offered / (outcomes.offered + s.priorWeight);
  const next = stretch * Math.exp(s.gain * w * (rate - s.targetRate));
  return Math.min(s.max, Math.max(s.min, Math.round(next * 1e4) / 1e4));
}
