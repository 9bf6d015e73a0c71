/**
 * Earn rules: how many points an order line and an action are worth under a programme version.
 *
 * The base is the **net merchandise amount** in the store's base currency: each line's price ×
 * quantity, less its share of the order-level discount (allocated in proportion to the lines'
 * gross, largest remainder so the shares add up exactly), excluding shipping, tax and reward lines
 * (lines with a price ≤ 0, or whose SKU/product id the configuration lists in `rewardSkus`).
 * Refunds are handled by reversing what a line earned (see ledger.ts), never by recomputing it.
 * Points = floor(net / minor-units-per-unit × pointsPerCurrencyUnit × multiplier).
 */
import type { BonusRule, ProgrammeConfig } from './config.js';

export interface EarnLine {
  readonly lineNo: number;
  readonly sku: string | null;
  readonly productId: string | null;
  /** Unit price in base-currency minor units (null: unknown). */
  readonly basePriceMinor: number | null;
  readonly quantity: number;
}

export interface EarnOrder {
  readonly orderId: string;
  readonly placedAt: string;
  readonly baseTotalMinor: number;
  readonly baseDiscountMinor: number;
  /** Shipping and tax in base-currency minor units (excluded from the base). */
  readonly baseShippingMinor: number;
  readonly baseTaxMinor: number;
  readonly lines: readonly EarnLine[];
}

export interface LineEarning {
  readonly lineNo: number;
  /** Net merchandise amount of the line, base-currency minor units. */
  readonly netMinor: number;
  /** Points before multipliers: this is also the line's tier-qualifying credit. */
  readonly basePoints: number;
  readonly multiplier: number;
  readonly points: number;
}

export interface Multiplier {
  readonly source: 'tier' | 'campaign';
  readonly id: string;
  readonly value: number;
}

/** Multipliers for an order placed at `at`: the member's tier (if the config lists it) and running campaigns. */
export function multipliersFor(config: ProgrammeConfig, at: string, tierId: string | null): Multiplier[] {
  const out: Multiplier[] = [];
  if (tierId !== null) {
    const m = config.tierMultipliers[tierId];
    if (m !== undefined) out.push({ source: 'tier', id: tierId, value: m });
  }
  const t = Date.parse(at);
  for (const c of config.campaigns) {
    if (Date.parse(c.startsAt) <= t && t < Date.parse(c.endsAt)) {
      out.push({ source: 'campaign', id: c.id, value: c.multiplier });
    }
  }
  return out;
}

/** The combined multiplier under the configured stacking rule (1 when there is none). */
export function stackMultipliers(stacking: ProgrammeConfig['stacking'], ms: readonly Multiplier[]): number {
  if (ms.length === 0) return 1;
  switch (stacking) {
    case 'add':
      return Math.max(0, 1 + ms.reduce((s, m) => s + (m.value - 1), 0));
    case 'multiply':
      return ms.reduce((p, m) => p * m.value, 1);
    case 'highest':
      return Math.max(...ms.map((m) => m.value));
    default: {
      const _exhaustive: never = stacking;
      return _exhaustive;
    }
  }
}

/** Splits `total` over `weights` in proportion, in integers that add up to `total` (largest remainder). */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0 || total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((s, v) => s + v, 0);
  const order = exact
    .map((e, i) => ({ i, frac: e - Math.floor(e) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    out[i] = (out[i] ?? 0) + 1;
    rest--;
  }
  return out;
}

const isRewardLine = (config: ProgrammeConfig, l: EarnLine): boolean =>
  (l.basePriceMinor !== null && l.basePriceMinor <= 0) ||
  (l.sku !== null && config.rewardSkus.includes(l.sku)) ||
  (l.productId !== null && config.rewardSkus.includes(l.productId));

/** Points from a number of base-currency minor units, floored; guards binary noise (0.29 × 100). */
export function pointsFor(
  netMinor: number,
  minorDigits: number,
  perUnit: number,
  multiplier: number,
): number {
  if (netMinor <= 0) return 0;
  const v = (netMinor / 10 ** minorDigits) * perUnit * multiplier;
  return Math.floor(v + 1e-9);
}

/**
 * What each line of an order earns. An order without usable lines earns on one synthetic line 0:
 * total − shipping − tax (the discount is already out of a Segment `total`).
 */
export function earnOrder(
  config: ProgrammeConfig,
  order: EarnOrder,
  minorDigits: number,
  multiplier: number,
): LineEarning[] {
  const lines = order.lines.filter((l) => l.basePriceMinor !== null && !isRewardLine(config, l));
  const gross = lines.map((l) => (l.basePriceMinor as number) * l.quantity);
  let nets: Array<{ lineNo: number; netMinor: number }>;
  if (lines.length === 0 || gross.every((g) => g <= 0)) {
    const anyReward = order.lines.some((l) => isRewardLine(config, l));
    nets = anyReward
      ? []
      : [{ lineNo: 0, netMinor: order.baseTotalMinor - order.baseShippingMinor - order.baseTaxMinor }];
  } else {
    const discount = Math.min(
      order.baseDiscountMinor,
      gross.reduce((s, g) => s + g, 0),
    );
    const shares = allocate(discount, gross);
    nets = lines.map((l, i) => ({ lineNo: l.lineNo, netMinor: (gross[i] ?? 0) - (shares[i] ?? 0) }));
  }
  return nets
    .filter((n) => n.netMinor > 0)
    .map((n) => {
      const basePoints = pointsFor(n.netMinor, minorDigits, config.pointsPerCurrencyUnit, 1);
      return {
        lineNo: n.lineNo,
        netMinor: n.netMinor,
        basePoints,
        multiplier,
        points: pointsFor(n.netMinor, minorDigits, config.pointsPerCurrencyUnit, multiplier),
      };
    })
    .filter((e) => e.points > 0 || e.basePoints > 0);
}

/** A relationship-building action seen in the store's events. */
export type Action =
  | { type: 'first_order'; orderId: string }
  | { type: 'review'; reviewId: string; textLength: number; hasPhoto: boolean }
  | { type: 'referral_converted'; referralId: string }
  | { type: 'profile_completed' }
  | { type: 'birthday'; year: number }
  | { type: 'community_help'; postId: string };

export interface BonusAward {
  readonly rule: BonusRule;
  readonly points: number;
  /** What makes the bonus unique for the member (its business key). */
  readonly key: string;
}

/**
 * The bonuses an action earns (before caps: the caller counts the period's bonuses and applies
 * `withinCap`). A photo review earns the photo bonus instead of the text bonus; a review with
 * too little text and no photo earns nothing.
 */
export function bonusesFor(config: ProgrammeConfig, action: Action): BonusAward[] {
  const award = (rule: BonusRule, key: string): BonusAward[] => {
    const p = config.bonuses[rule].points;
    return p > 0 && config.bonuses[rule].cap.max > 0 ? [{ rule, points: p, key }] : [];
  };
  switch (action.type) {
    case 'first_order':
      return award('first_order', 'first_order');
    case 'review':
      if (action.hasPhoto) return award('photo_review', `review:${action.reviewId}`);
      return action.textLength >= config.reviewMinChars
        ? award('review_text', `review:${action.reviewId}`)
        : [];
    case 'referral_converted':
      return award('referral_converted', `referral:${action.referralId}`);
    case 'profile_completed':
      return award('profile_completed', 'profile_completed');
    case 'birthday':
      return award('birthday', `birthday:${action.year}`);
    case 'community_help':
      return award('community_help', `community:${action.postId}`);
    default: {
      const _exhaustive: never = action;
      return _exhaustive;
    }
  }
}

/** True when another bonus of the rule fits in the cap, given how many the period already holds. */
export function withinCap(config: ProgrammeConfig, rule: BonusRule, alreadyInPeriod: number): boolean {
  return alreadyInPeriod < config.bonuses[rule].cap.max;
}
