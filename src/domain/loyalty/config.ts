/**
 * The programme configuration: earn rules, bonuses with caps, multipliers and their stacking rule,
 * the return window, lot lifetime and expiry notice, the debt policy and the programme's time zone.
 * Versioned by the store layer: a new version is activated while the programme runs, and every
 * posting records the version that made it. The zod schema is the type and the edge validation.
 */
import { z } from 'zod';
import { isTimeZone } from '../events/schemas.js';

export const bonusRules = [
  'first_order',
  'review_text',
  'photo_review',
  'referral_converted',
  'profile_completed',
  'birthday',
  'community_help',
] as const;
export type BonusRule = (typeof bonusRules)[number];

const points = z.number().int({ message: 'must be a whole number of points' }).min(0);

const bonusSchema = z.object({
  points,
  /** At most `max` bonuses of this rule per `period` (calendar periods in the programme's time zone). */
  cap: z.object({
    max: z.number().int().min(0),
    period: z.enum(['day', 'week', 'month', 'year', 'lifetime']),
  }),
});
export type BonusConfig = z.infer<typeof bonusSchema>;

const multiplier = z
  .number()
  .min(0, { message: 'a multiplier cannot be negative' })
  .max(20, { message: 'a multiplier above 20 is surely a typo' });

const campaignSchema = z
  .object({
    id: z.string().min(1).max(100),
    name: z.string().min(1).max(200),
    multiplier,
    /** ISO 8601 instants; the campaign applies to orders placed in [startsAt, endsAt). */
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
  })
  .refine((c) => Date.parse(c.startsAt) < Date.parse(c.endsAt), {
    message: 'endsAt must be after startsAt',
    path: ['endsAt'],
  });
export type Campaign = z.infer<typeof campaignSchema>;

export const debtPolicies = ['block', 'debt', 'write_off'] as const;
export type DebtPolicy = (typeof debtPolicies)[number];

export const programmeConfigSchema = z
  .object({
    /** IANA time zone in which days, windows, expiry and cap periods are counted. */
    timezone: z.string().refine(isTimeZone, { message: 'is not an IANA time zone' }),
    /** Points per one major unit of the base currency (1 = one point per dollar), on the net merchandise amount. */
    pointsPerCurrencyUnit: z.number().min(0).max(1000),
    /** Days after the order during which it can be returned; its points stay pending until then. */
    returnWindowDays: z.number().int().min(0).max(365),
    /** Days a lot stays spendable after it was earned. */
    lotLifetimeDays: z.number().int().min(1).max(3650),
    /** Days before expiry at which the member is told. */
    expiryNoticeDays: z.number().int().min(0).max(365),
    /**
     * What happens when a refund claws back points that were already spent: `block` records a debt
     * and refuses redemptions while it is outstanding; `debt` records a debt that future earnings
     * repay as they become available (other credits stay spendable); `write_off` absorbs the shortfall.
     */
    debtPolicy: z.enum(debtPolicies),
    bonuses: z.object(
      Object.fromEntries(bonusRules.map((r) => [r, bonusSchema])) as Record<BonusRule, typeof bonusSchema>,
    ),
    /** A review earns `review_text` when its text has at least this many characters. */
    reviewMinChars: z.number().int().min(0).max(10_000),
    /** Multipliers by tier id (the tier comes from the tiers module); a tier not listed counts 1. */
    tierMultipliers: z.record(z.string().min(1).max(100), multiplier),
    campaigns: z.array(campaignSchema).max(100),
    /**
     * How a tier multiplier and campaign multipliers combine: `add` 1 + Σ(m − 1) (a 1.5 tier and a
     * 2× campaign give 2.5×), `multiply` Π m (3×), `highest` max m (2×). Applies to spend points
     * only, never to bonuses.
     */
    stacking: z.enum(['add', 'multiply', 'highest']),
    /** Order lines that are rewards (free products bought with points) earn nothing. */
    rewardSkus: z.array(z.string().min(1)).max(1000),
  })
  .refine((c) => c.lotLifetimeDays > c.returnWindowDays, {
    message: 'lots must live longer than the return window, or points would expire before they are available',
    path: ['lotLifetimeDays'],
  });

export type ProgrammeConfig = z.infer<typeof programmeConfigSchema>;

/** Defaults for a new store: 1 point per currency unit, a 30-day return window, 12-month lots. */
export const DEFAULT_PROGRAMME_CONFIG: ProgrammeConfig = {
  timezone: 'UTC',
  pointsPerCurrencyUnit: 1,
  returnWindowDays: 30,
  lotLifetimeDays: 365,
  expiryNoticeDays: 30,
  debtPolicy: 'debt',
  bonuses: {
    first_order: { points: 100, cap: { max: 1, period: 'lifetime' } },
    review_text: { points: 20, cap: { max: 4, period: 'month' } },
    photo_review: { points: 30, cap: { max: 4, period: 'month' } },
    referral_converted: { points: 250, cap: { max: 10, period: 'year' } },
    profile_completed: { points: 50, cap: { max: 1, period: 'lifetime' } },
    birthday: { points: 100, cap: { max: 1, period: 'year' } },
    community_help: { points: 10, cap: { max: 10, period: 'month' } },
  },
  reviewMinChars: 40,
  tierMultipliers: {},
  campaigns: [],
  stacking: 'add',
  rewardSkus: [],
};
