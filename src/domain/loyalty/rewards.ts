/**
 * The rewards catalog: what a member can spend points on, who may, whether it is in stock, the
 * unique code an issued reward carries, and personal redemption suggestions ("you can take €10 off
 * the item in your cart") from the member's balance, cart, wishlist, history and what similar
 * members chose.
 */
import { z } from 'zod';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export const rewardBenefit = z.discriminatedUnion('type', [
  z.object({ type: z.literal('amount_off'), amountMinor: z.number().int().positive() }),
  z.object({ type: z.literal('percent_off'), percent: z.number().int().min(1).max(100) }),
  z.object({ type: z.literal('free_shipping') }),
  z.object({
    type: z.literal('free_product'),
    productId: z.string().min(1),
    valueMinor: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('exclusive_access'), description: z.string().min(1).max(500) }),
  z.object({
    type: z.literal('charity_donation'),
    charity: z.string().min(1).max(200),
    amountMinor: z.number().int().positive(),
  }),
]);
export type RewardBenefit = z.infer<typeof rewardBenefit>;
export type RewardType = RewardBenefit['type'];

/** A catalog entry as an admin writes it (the API's body; `stock` null = unlimited). */
export const rewardInput = z.object({
  name: z.string().min(1).max(200),
  benefit: rewardBenefit,
  costPoints: z.number().int().positive(),
  stock: z.number().int().nonnegative().nullable().default(null),
  /** Tier ids that may redeem it; null = every tier. */
  eligibleTiers: z.array(z.string().min(1)).min(1).nullable().default(null),
  active: z.boolean().default(true),
});
export type RewardInput = z.infer<typeof rewardInput>;

/** A change to a catalog entry: only the fields sent (no defaults, unlike `rewardInput`). */
export const rewardPatch = z
  .object({
    name: z.string().min(1).max(200),
    benefit: rewardBenefit,
    costPoints: z.number().int().positive(),
    stock: z.number().int().nonnegative().nullable(),
    eligibleTiers: z.array(z.string().min(1)).min(1).nullable(),
    active: z.boolean(),
  })
  .partial()
  .strict();

export interface Reward extends RewardInput {
  readonly id: string;
  /** Stock still available (null = unlimited). */
  readonly stockLeft: number | null;
}

export type RedeemError =
  | { type: 'RewardInactive'; rewardId: string }
  | { type: 'NotEligible'; rewardId: string; tierId: string; eligibleTiers: readonly string[] }
  | { type: 'OutOfStock'; rewardId: string }
  | { type: 'InsufficientPoints'; needed: number; available: number };

/** Whether a member may take this reward now. Checked again inside the transaction that issues it. */
export function checkRedeemable(
  reward: Reward,
  member: { readonly tierId: string; readonly available: number },
): Result<{ costPoints: number }, RedeemError> {
  if (!reward.active) return err({ type: 'RewardInactive', rewardId: reward.id });
  if (reward.eligibleTiers !== null && !reward.eligibleTiers.includes(member.tierId))
    return err({
      type: 'NotEligible',
      rewardId: reward.id,
      tierId: member.tierId,
      eligibleTiers: reward.eligibleTiers,
    });
  if (reward.stockLeft !== null && reward.stockLeft <= 0)
    return err({ type: 'OutOfStock', rewardId: reward.id });
  if (member.available < reward.costPoints)
    return err({ type: 'InsufficientPoints', needed: reward.costPoints, available: member.available });
  return ok({ costPoints: reward.costPoints });
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A reward code from random bytes: Crockford base32 (no I, L, O, U — read aloud without mistakes)
 * in groups of four, plus a check character (mod 37 as in Crockford's scheme, over the values), e.g.
 * `RWD-7K2M-QX9D-4`. The database's unique constraint is what makes it unique; 10 bytes give 2^80.
 */
export function rewardCode(bytes: Uint8Array, prefix = 'RWD'): string {
  if (bytes.length < 5) throw new RangeError('a reward code needs at least 5 random bytes');
  let bits = 0;
  let value = 0;
  const chars: number[] = [];
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      chars.push((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  const check = chars.reduce((s, v) => (s * 32 + v) % 37, 0);
  const body = chars.map((v) => CROCKFORD[v]).join('');
  const groups = body.match(/.{1,4}/g) ?? [];
  return `${prefix}-${groups.join('-')}-${'0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U'[check]}`;
}

/** Whether a code's check character matches (catches a mistyped character or a swap). */
export function isValidRewardCode(code: string): boolean {
  const parts = code.toUpperCase().split('-');
  if (parts.length < 3) return false;
  const check = parts.pop() as string;
  parts.shift();
  const values = [...parts.join('')].map((ch) => CROCKFORD.indexOf(ch));
  if (values.some((v) => v < 0)) return false;
  const c = values.reduce((s, v) => (s * 32 + v) % 37, 0);
  return '0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U'[c] === check;
}

/** A product in the member's cart or wishlist. */
export interface WantedItem {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number;
  readonly source: 'cart' | 'wishlist';
}

export interface SuggestionContext {
  readonly tierId: string;
  readonly available: number;
  readonly items: readonly WantedItem[];
  /** Shipping the member would pay on the current cart (0 if free or no cart). */
  readonly cartShippingMinor: number;
  /** Reward types the member redeemed before, with counts. */
  readonly history: Readonly<Partial<Record<RewardType, number>>>;
  /** How often members like this one (same tier, same favourite category) took each reward. */
  readonly peerRedemptions: Readonly<Record<string, number>>;
  readonly favouriteCategory: string | null;
  /** Value of one point in minor units (for rewards with no cash value). */
  readonly pointValueMinor: number;
}

export interface RewardSuggestion {
  readonly rewardId: string;
  readonly name: string;
  readonly costPoints: number;
  readonly affordable: boolean;
  /** Points still missing (0 if affordable). */
  readonly missingPoints: number;
  /** Estimated value to this member now, minor units. */
  readonly valueMinor: number;
  readonly score: number;
  readonly reason: string;
  readonly productId: string | null;
}

/**
 * Ranks the catalog for one member. Value now (minor units):
 *   amount_off        min(amount, most expensive wanted item) — applicable now; amount/2 with no cart
 *   percent_off       percent × the most expensive wanted item (or × a typical item)/2 with none
 *   free_shipping     the shipping on the current cart (0 with none)
 *   free_product      its value ×2 when it is in the cart/wishlist, ×1.2 in the favourite category
 *   exclusive_access,
 *   charity_donation  cost × point value (their worth is what the member gives up)
 * score = value/cost × (1 + 0.25·[type redeemed before] + 0.5·peer share) — a reward members like
 * this one took, or the member took before, ranks higher. Unaffordable rewards are suggested only
 * when within 25 % of the balance ("250 more points for free shipping"); ineligible, inactive and
 * out-of-stock rewards never.
 */
export function suggestRewards(
  catalog: readonly Reward[],
  ctx: SuggestionContext,
  formatMoney: (minor: number) => string,
  limit = 3,
): RewardSuggestion[] {
  const wanted = [...ctx.items].sort((a, b) => b.priceMinor - a.priceMinor);
  const top = wanted[0] ?? null;
  const where = (i: WantedItem) => (i.source === 'cart' ? 'in your cart' : 'on your wishlist');
  const label = (i: WantedItem) => (i.name ? `${i.name} ${where(i)}` : `the item ${where(i)}`);
  const peerTotal = Object.values(ctx.peerRedemptions).reduce((s, n) => s + n, 0);
  const out: RewardSuggestion[] = [];
  for (const r of catalog) {
    if (!r.active) continue;
    if (r.eligibleTiers !== null && !r.eligibleTiers.includes(ctx.tierId)) continue;
    if (r.stockLeft !== null && r.stockLeft <= 0) continue;
    const affordable = ctx.available >= r.costPoints;
    if (!affordable && ctx.available < 0.75 * r.costPoints) continue;
    let value: number;
    let reason: string;
    let productId: string | null = null;
    const b = r.benefit;
    switch (b.type) {
      case 'amount_off':
        if (top) {
          value = Math.min(b.amountMinor, top.priceMinor);
          reason = `you can take ${formatMoney(value)} off ${label(top)}`;
          productId = top.productId;
        } else {
          value = Math.round(b.amountMinor / 2);
          reason = `${formatMoney(b.amountMinor)} off your next order`;
        }
        break;
      case 'percent_off':
        if (top) {
          value = Math.round((top.priceMinor * b.percent) / 100);
          reason = `${b.percent} % off ${label(top)} saves you ${formatMoney(value)}`;
          productId = top.productId;
        } else {
          value = Math.round((ctx.pointValueMinor * r.costPoints) / 2);
          reason = `${b.percent} % off your next order`;
        }
        break;
      case 'free_shipping':
        value = ctx.cartShippingMinor;
        reason =
          value > 0
            ? `free shipping saves you ${formatMoney(value)} on the cart you have now`
            : 'free shipping on your next order';
        if (value === 0) value = Math.round((ctx.pointValueMinor * r.costPoints) / 4);
        break;
      case 'free_product': {
        const item = wanted.find((i) => i.productId === b.productId);
        value = item ? 2 * b.valueMinor : b.valueMinor;
        reason = item ? `get ${label(item)} free` : `a free product worth ${formatMoney(b.valueMinor)}`;
        productId = b.productId;
        break;
      }
      case 'exclusive_access':
        value = ctx.pointValueMinor * r.costPoints;
        reason = b.description;
        break;
      case 'charity_donation':
        value = ctx.pointValueMinor * r.costPoints;
        reason = `donate ${formatMoney(b.amountMinor)} to ${b.charity}`;
        break;
      default: {
        const _exhaustive: never = b;
        return _exhaustive;
      }
    }
    const liked = (ctx.history[b.type] ?? 0) > 0 ? 0.25 : 0;
    const peers = peerTotal > 0 ? 0.5 * ((ctx.peerRedemptions[r.id] ?? 0) / peerTotal) : 0;
    const score = (value / r.costPoints) * (1 + liked + peers) * (affordable ? 1 : 0.5);
    const missingPoints = Math.max(0, r.costPoints - ctx.available);
    out.push({
      rewardId: r.id,
      name: r.name,
      costPoints: r.costPoints,
      affordable,
      missingPoints,
      valueMinor: value,
      score,
      reason: affordable ? capitalise(reason) : `${missingPoints} more points and ${reason}`,
      productId,
    });
  }
  return out
    .sort(
      (a, b) =>
        Number(b.affordable) - Number(a.affordable) ||
        b.score - a.score ||
        (a.rewardId < b.rewardId ? -1 : 1),
    )
    .slice(0, limit);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
