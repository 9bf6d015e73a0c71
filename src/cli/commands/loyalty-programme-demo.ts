/**
 * The loyalty programme in the demo: over the synthetic store's real history, members climb (and
 * softly fall from) tiers month by month, get personal challenges, complete them and are paid
 * through the ledger, and redeem catalog rewards with their points. Deterministic for a store and
 * seed; re-running posts nothing twice (every posting has a business key).
 */
import { programmeHealth } from '../../app/loyalty-health.js';
import { memberBalance, redeemPoints } from '../../app/loyalty-ledger.js';
import {
  calibrateChallenges,
  createReward,
  evaluateTiers,
  memberTier,
  refreshChallenges,
  rewardSuggestions,
  syncTierMultipliers,
} from '../../app/loyalty-programme.js';
import type { Store } from '../../store/database.js';
import { catalogReward, ledgerFigures, ledgerPoints } from '../../store/loyalty-programme-ledger.js';
import { programmeStore } from '../../store/loyalty-programme-repository.js';
import { ledgerIds, loyaltyStore } from '../../store/loyalty-repository.js';
import { print } from '../context.js';
import { printHealth } from './loyalty-programme.js';

/** A starter catalog: one reward of each kind, two with limited stock, one for Gold and up. */
export const DEMO_CATALOG = [
  { name: '$5 off your next order', benefit: { type: 'amount_off', amountMinor: 500 }, costPoints: 500 },
  { name: 'Free shipping', benefit: { type: 'free_shipping' }, costPoints: 350 },
  { name: '15 % off one item', benefit: { type: 'percent_off', percent: 15 }, costPoints: 900 },
  {
    name: 'A free tasting kit',
    benefit: { type: 'free_product', productId: 'tasting-kit', valueMinor: 1_500 },
    costPoints: 1_200,
    stock: 150,
  },
  {
    name: 'Early access to the winter sale',
    benefit: { type: 'exclusive_access', description: 'Shop the winter sale a day before everyone else' },
    costPoints: 400,
    stock: 300,
    eligibleTiers: ['gold', 'platinum'],
  },
  {
    name: 'Plant ten trees',
    benefit: { type: 'charity_donation', charity: 'One Tree Planted', amountMinor: 1_000 },
    costPoints: 1_000,
  },
] as const;

const DAY = 86_400_000;

export interface ProgrammeDemoSummary {
  readonly upgrades: number;
  readonly downgrades: number;
  readonly challengesOffered: number;
  readonly challengesCompleted: number;
  readonly challengePoints: number;
  readonly redemptions: number;
}

/**
 * Replays the last `months` months of history up to `end` (tiers each month, challenges offered at
 * each month's start and settled at its end), then lets members with enough points redeem the
 * reward suggested first for them, as of `now`.
 */
export async function runProgrammeDemo(
  store: Store,
  o: { end: string; now: string; seed: number; months?: number; redeemers?: number },
): Promise<ProgrammeDemoSummary> {
  const ps = programmeStore(store);
  const ledger = loyaltyStore(store);
  const points = ledgerPoints(store);
  if ((await ps.rewards()).length === 0) for (const r of DEMO_CATALOG) await createReward(ps, r, o.now);
  await syncTierMultipliers(ledger, (await ps.settings()).tiers, o.now);

  const months = o.months ?? 12;
  const end = Date.parse(o.end);
  let upgrades = 0;
  let downgrades = 0;
  let offered = 0;
  let completed = 0;
  let challengePoints = 0;
  // A re-run continues where the last one stopped: time only moves forward.
  const last = await store.db
    .selectFrom('loyalty_tiers')
    .select((eb) => eb.fn.max('evaluated_at').as('at'))
    .executeTakeFirst();
  for (let m = months; m >= 0; m--) {
    const at = new Date(end - m * 30 * DAY).toISOString();
    if (last?.at && at <= last.at) continue;
    const t = await evaluateTiers(ps, { now: at });
    upgrades += t.transitions.TierUpgraded;
    downgrades += t.transitions.TierDowngraded;
    // Challenges over the last quarter: offered, tracked and paid month by month.
    if (m <= 3) {
      const c = await refreshChallenges(ps, points, { now: at, seed: o.seed, generate: m > 0 });
      offered += c.generated;
      completed += c.completed;
      challengePoints += c.rewardedPoints;
      await calibrateChallenges(ps, at);
    }
  }

  // Redemptions: the members with the most points take the reward suggested first for them.
  const rich = await store.db
    .selectFrom('loyalty_accounts')
    .select(['customer_id'])
    .where('available', '>=', 350)
    .orderBy('available', 'desc')
    .orderBy('customer_id')
    .limit(o.redeemers ?? 400)
    .execute();
  let redemptions = 0;
  for (const { customer_id: customerId } of rich) {
    const balance = await memberBalance(ledger, customerId, o.now);
    const tier = (await ps.tier(customerId))?.state.tierId ?? 'member';
    const [best] = await rewardSuggestions(ps, {
      customerId,
      tierId: tier,
      available: balance.available,
      now: o.now,
      limit: 1,
    });
    if (!best?.affordable) continue;
    const r = await redeemPoints(ledger, ledgerIds, {
      customerId,
      reward: catalogReward(store.dialect, best.rewardId, o.now),
      now: o.now,
      businessKey: `demo:redeem:${customerId}:${o.end.slice(0, 10)}`,
    });
    if (r.ok && !r.value.replayed) redemptions++;
  }
  return {
    upgrades,
    downgrades,
    challengesOffered: offered,
    challengesCompleted: completed,
    challengePoints,
    redemptions,
  };
}

/** The demo's programme paragraph. */
export async function printProgrammeDemo(store: Store, s: ProgrammeDemoSummary, now: string): Promise<void> {
  const ps = programmeStore(store);
  const health = await programmeHealth(ps, ledgerFigures(store), now);
  const codes = await store.db
    .selectFrom('loyalty_reward_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  print(
    `Programme: over the last year ${s.upgrades.toLocaleString('en-US')} tier upgrades and ${s.downgrades.toLocaleString('en-US')} soft-landed downgrades; ${s.challengesOffered.toLocaleString('en-US')} personal challenges offered, ${s.challengesCompleted.toLocaleString('en-US')} completed (${s.challengePoints.toLocaleString('en-US')} points paid through the ledger); ${s.redemptions.toLocaleString('en-US')} rewards redeemed now (${Number(codes?.n ?? 0).toLocaleString('en-US')} codes issued in all).`,
  );
  printHealth(health);
  const sample = await store.db
    .selectFrom('loyalty_tiers')
    .innerJoin('customers', 'customers.id', 'loyalty_tiers.customer_id')
    .select(['customers.user_id', 'loyalty_tiers.customer_id', 'loyalty_tiers.tier_id'])
    .where('loyalty_tiers.tier_id', '=', 'silver')
    .orderBy('loyalty_tiers.score', 'desc')
    .orderBy('loyalty_tiers.customer_id')
    .limit(1)
    .executeTakeFirst();
  if (!sample) return;
  const v = await memberTier(ps, sample.customer_id, now);
  const opts = v.tierProgress.options.map((x) => x.description).join(', or ');
  print(
    `  ${sample.user_id ?? sample.customer_id} is ${v.tier.name} (score ${v.tier.score}); ${v.tierProgress.remaining} to ${v.tierProgress.nextTierName}: ${opts || 'nothing more'}.`,
  );
}
