import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkRedeemable,
  isValidRewardCode,
  rewardCode,
  rewardInput,
  suggestRewards,
  type Reward,
  type SuggestionContext,
} from './rewards.js';

const eur = (minor: number) => `€${(minor / 100).toFixed(minor % 100 === 0 ? 0 : 2)}`;
const reward = (id: string, over: Partial<Reward>): Reward => ({
  id,
  name: id,
  benefit: { type: 'free_shipping' },
  costPoints: 100,
  stock: null,
  stockLeft: null,
  eligibleTiers: null,
  active: true,
  ...over,
});

const catalog: Reward[] = [
  reward('ten_off', {
    name: '€10 off',
    benefit: { type: 'amount_off', amountMinor: 1_000 },
    costPoints: 500,
  }),
  reward('ship', { name: 'Free shipping', benefit: { type: 'free_shipping' }, costPoints: 300 }),
  reward('pct', { name: '15 % off', benefit: { type: 'percent_off', percent: 15 }, costPoints: 900 }),
  reward('charity', {
    name: 'Plant a tree',
    benefit: { type: 'charity_donation', charity: 'Trees for All', amountMinor: 500 },
    costPoints: 400,
  }),
  reward('vip', {
    name: 'Early access',
    benefit: { type: 'exclusive_access', description: 'Shop the winter sale a day early' },
    costPoints: 200,
    eligibleTiers: ['gold', 'platinum'],
  }),
  reward('gone', {
    benefit: { type: 'amount_off', amountMinor: 5_000 },
    stock: 5,
    stockLeft: 0,
    costPoints: 10,
  }),
];

const ctx = (over: Partial<SuggestionContext> = {}): SuggestionContext => ({
  tierId: 'silver',
  available: 600,
  items: [],
  cartShippingMinor: 0,
  history: {},
  peerRedemptions: {},
  favouriteCategory: null,
  pointValueMinor: 1,
  ...over,
});

describe('redeeming a reward', () => {
  it('refuses with the reason: inactive, not eligible, out of stock, or not enough points', () => {
    const m = { tierId: 'silver', available: 450 };
    expect(checkRedeemable(reward('x', { active: false }), m)).toMatchObject({
      ok: false,
      error: { type: 'RewardInactive' },
    });
    expect(checkRedeemable(catalog[4]!, m)).toMatchObject({
      ok: false,
      error: { type: 'NotEligible', tierId: 'silver', eligibleTiers: ['gold', 'platinum'] },
    });
    expect(checkRedeemable(catalog[5]!, m)).toMatchObject({ ok: false, error: { type: 'OutOfStock' } });
    expect(checkRedeemable(catalog[0]!, m)).toEqual({
      ok: false,
      error: { type: 'InsufficientPoints', needed: 500, available: 450 },
    });
    expect(checkRedeemable(catalog[1]!, m)).toEqual({ ok: true, value: { costPoints: 300 } });
  });

  it('validates a catalog entry and names the bad field', () => {
    const r = rewardInput.safeParse({
      name: 'x',
      benefit: { type: 'percent_off', percent: 120 },
      costPoints: 10,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['benefit', 'percent']);
    expect(
      rewardInput.parse({ name: 'x', benefit: { type: 'free_shipping' }, costPoints: 10 }),
    ).toMatchObject({
      stock: null,
      eligibleTiers: null,
      active: true,
    });
  });
});

describe('reward codes', () => {
  it('are Crockford base32 in groups with a check character that catches a typo (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 15 }),
        (bytes, pos) => {
          const code = rewardCode(bytes);
          expect(code).toMatch(/^RWD(-[0-9A-HJKMNP-TV-Z]{4}){4}-[0-9A-HJKMNP-TV-Z*~$=U]$/);
          expect(isValidRewardCode(code)).toBe(true);
          const body = code.slice(4, -2).replaceAll('-', '');
          const other = body[pos] === '0' ? '1' : '0';
          const typo = body.slice(0, pos) + other + body.slice(pos + 1);
          const groups = typo.match(/.{4}/g)!.join('-');
          expect(isValidRewardCode(`RWD-${groups}-${code.at(-1)}`)).toBe(false);
        },
      ),
    );
  });

  it('differ for different bytes', () => {
    expect(rewardCode(new Uint8Array(10))).not.toBe(rewardCode(new Uint8Array(10).fill(1)));
  });
});

describe('redemption suggestions', () => {
  it('says how much comes off the item in the cart', () => {
    const s = suggestRewards(
      catalog,
      ctx({
        items: [{ productId: 'p1', name: 'Blue mug', category: 'Mugs', priceMinor: 2_400, source: 'cart' }],
        cartShippingMinor: 599,
      }),
      eur,
    );
    expect(s[0]).toMatchObject({
      rewardId: 'ten_off',
      reason: 'You can take €10 off Blue mug in your cart',
      valueMinor: 1_000,
    });
    expect(s.map((x) => x.rewardId)).toEqual(['ten_off', 'ship', 'charity']);
    expect(s[1]!.reason).toBe('Free shipping saves you €5.99 on the cart you have now');
  });

  it('caps an amount off at the price of the item', () => {
    const s = suggestRewards(
      catalog,
      ctx({ items: [{ productId: 'p', name: null, category: null, priceMinor: 700, source: 'wishlist' }] }),
      eur,
    );
    expect(s[0]).toMatchObject({
      rewardId: 'ten_off',
      valueMinor: 700,
      reason: 'You can take €7 off the item on your wishlist',
    });
  });

  it('never suggests what the member may not take, and mentions rewards almost within reach', () => {
    const s = suggestRewards(catalog, ctx({ available: 700 }), eur, 10);
    expect(s.map((x) => x.rewardId)).not.toContain('vip');
    expect(s.map((x) => x.rewardId)).not.toContain('gone');
    const near = s.find((x) => x.rewardId === 'pct');
    expect(near).toMatchObject({
      affordable: false,
      missingPoints: 200,
      reason: '200 more points and 15 % off your next order',
    });
    expect(
      suggestRewards(catalog, ctx({ available: 700, tierId: 'gold' }), eur, 10).map((x) => x.rewardId),
    ).toContain('vip');
  });

  it('ranks what similar members chose higher among rewards of equal value', () => {
    // No cart: €10 off is worth 500/500 per point, the tree donation 400/400 — a tie broken by id.
    const base = suggestRewards(catalog, ctx({ available: 1_000 }), eur, 10).map((x) => x.rewardId);
    expect(base.indexOf('charity')).toBeLessThan(base.indexOf('ten_off'));
    const peers = suggestRewards(
      catalog,
      ctx({ available: 1_000, peerRedemptions: { ten_off: 30, ship: 10 } }),
      eur,
      10,
    );
    const ids = peers.map((x) => x.rewardId);
    expect(ids.indexOf('ten_off')).toBeLessThan(ids.indexOf('charity'));
    expect(peers.find((x) => x.rewardId === 'ten_off')!.score).toBeCloseTo(1 + 0.5 * 0.75, 10);
  });
});
