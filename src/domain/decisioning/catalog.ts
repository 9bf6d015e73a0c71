/**
 * The actions catalog: what Patron can do for a customer, as data. A store configures its own
 * (enable, disable, change priors, costs, channels, discount levels) on top of these defaults.
 * Each action names the triggers it answers, the signals it needs (it is no candidate until they
 * exist), the churn driver it addresses (churn-save offers are matched to the driver), its
 * incentive, its channel and purposes, and the prior belief about its response rate.
 */
import { z } from 'zod';
import type { TriggerType } from './triggers.js';
import { TRIGGER_TYPES } from './triggers.js';

const channel = z.enum(['email', 'sms', 'push', 'webhook', 'task']);
const signal = z.enum([
  'churn',
  'clv',
  'segment',
  'tier',
  'pointsExpiring',
  'challengeExpiring',
  'replenishment',
  'recommendations',
  'advocacy',
]);

export const actionDefinitionSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and underscores'),
  name: z.string().min(1),
  enabled: z.boolean().default(true),
  triggers: z.array(z.enum(TRIGGER_TYPES as [TriggerType, ...TriggerType[]])).min(1),
  /** The journey purpose: no two messages of the same purpose in flight. */
  purpose: z.string().min(1),
  channel,
  consentPurpose: z.enum(['transactional', 'marketing']),
  /** Promotions are suppressed after a bad support experience. */
  promotion: z.boolean(),
  /** Transactional actions always go (subject to consent); the rest compete on expected value. */
  mandatory: z.boolean().default(false),
  needs: z.array(signal).default([]),
  /** The churn driver a churn-save offer addresses (only offered to customers with that driver). */
  driver: z.enum(['price', 'service', 'quality', 'disengagement']).nullable().default(null),
  /** Discount in percent of the next order (0 = no incentive). */
  incentivePercent: z.number().int().min(0).max(100).default(0),
  /** Also opens a task for a person (with the reasons). */
  humanTask: z.boolean().default(false),
  /** What a response is worth: the customer's CLV at stake, one order's margin, or a fixed amount. */
  responseValue: z.enum(['clv', 'order_margin', 'fixed']),
  fixedValueMinor: z.number().int().min(0).default(0),
  /** Cost of one more message in the customer's inbox (minor units), per message already this week + 1. */
  fatigueCostMinor: z.number().int().min(0),
  /** Direct cost of the action besides the incentive (a replacement, a person's time), minor units. */
  directCostMinor: z.number().int().min(0).default(0),
  /** Beta prior of P(response). */
  prior: z.object({ alpha: z.number().positive(), beta: z.number().positive() }),
  /** The outbox template (app/outbox.ts MESSAGE_TEMPLATES); points expiry uses the tier-progress one. */
  template: z.string().min(1),
});

export type ActionDefinition = z.output<typeof actionDefinitionSchema>;
export type ActionDefinitionInput = z.input<typeof actionDefinitionSchema>;

const saveTriggers: TriggerType[] = ['churn_risk_crossed', 'churn_risk_jumped', 'inactive'];

const priceSave = (percent: number): ActionDefinitionInput => ({
  id: `churn_save_price_${percent}`,
  name: `Churn save: ${percent} % off the next order`,
  triggers: saveTriggers,
  purpose: 'churn_save',
  channel: 'email',
  consentPurpose: 'marketing',
  promotion: true,
  needs: ['churn', 'clv'],
  driver: 'price',
  incentivePercent: percent,
  responseValue: 'clv',
  fatigueCostMinor: 30,
  prior: { alpha: 1, beta: 4 },
  template: 'churn_save_price',
});

/** The default catalog shipped with Patron (a store overrides it through its settings). */
export const defaultCatalogInput: readonly ActionDefinitionInput[] = [
  {
    id: 'order_confirmation',
    name: 'Order confirmation with product guidance (care, set-up, how-to per category)',
    triggers: ['order_placed'],
    purpose: 'order_confirmation',
    channel: 'email',
    consentPurpose: 'transactional',
    promotion: false,
    mandatory: true,
    responseValue: 'fixed',
    fatigueCostMinor: 0,
    prior: { alpha: 1, beta: 1 },
    template: 'order_confirmation',
  },
  {
    id: 'delay_notice',
    name: 'Delay notice and apology for a late delivery',
    triggers: ['order_delivered_late'],
    purpose: 'delay_notice',
    channel: 'email',
    consentPurpose: 'transactional',
    promotion: false,
    mandatory: true,
    responseValue: 'fixed',
    fatigueCostMinor: 0,
    prior: { alpha: 1, beta: 1 },
    template: 'delay_notice',
  },
  {
    id: 'onboarding_series',
    name: 'Onboarding series for a first-time buyer',
    triggers: ['first_order', 'welcome'],
    purpose: 'onboarding',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    responseValue: 'order_margin',
    fatigueCostMinor: 20,
    prior: { alpha: 2, beta: 18 },
    template: 'onboarding',
  },
  {
    id: 'review_request',
    name: 'Review / UGC request after the time-to-value',
    triggers: ['review_due'],
    purpose: 'review_request',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    responseValue: 'fixed',
    fixedValueMinor: 500,
    fatigueCostMinor: 20,
    prior: { alpha: 1, beta: 9 },
    template: 'review_request',
  },
  {
    id: 'cross_sell',
    name: 'Cross-sell from the recommender, with its reasons',
    triggers: ['order_delivered'],
    purpose: 'cross_sell',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: true,
    needs: ['recommendations', 'clv'],
    responseValue: 'order_margin',
    fatigueCostMinor: 30,
    prior: { alpha: 1, beta: 19 },
    template: 'cross_sell',
  },
  {
    id: 'replenishment_reminder',
    name: 'Replenishment reminder before the product runs out',
    triggers: ['replenishment_due'],
    purpose: 'replenishment',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['replenishment', 'clv'],
    responseValue: 'order_margin',
    fatigueCostMinor: 10,
    prior: { alpha: 3, beta: 7 },
    template: 'replenishment_reminder',
  },
  priceSave(10),
  priceSave(15),
  priceSave(20),
  priceSave(30),
  {
    id: 'churn_save_service',
    name: 'Churn save: personal outreach by a person, with the reasons',
    triggers: saveTriggers,
    purpose: 'churn_save',
    channel: 'task',
    consentPurpose: 'transactional',
    promotion: false,
    needs: ['churn', 'clv'],
    driver: 'service',
    humanTask: true,
    responseValue: 'clv',
    fatigueCostMinor: 0,
    directCostMinor: 800,
    prior: { alpha: 1, beta: 3 },
    template: 'churn_save_service',
  },
  {
    id: 'churn_save_quality',
    name: 'Churn save: apology with a replacement or product guidance',
    triggers: saveTriggers,
    purpose: 'churn_save',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['churn', 'clv'],
    driver: 'quality',
    responseValue: 'clv',
    fatigueCostMinor: 30,
    directCostMinor: 300,
    prior: { alpha: 1, beta: 3 },
    template: 'churn_save_quality',
  },
  {
    id: 'churn_save_disengagement',
    name: 'Churn save: value reinforcement content (how-tos, what they get)',
    triggers: saveTriggers,
    purpose: 'churn_save',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['churn', 'clv'],
    driver: 'disengagement',
    responseValue: 'clv',
    fatigueCostMinor: 30,
    prior: { alpha: 1, beta: 4 },
    template: 'churn_save_disengagement',
  },
  {
    id: 'win_back',
    name: 'Win-back offer for a churned customer (15 % off)',
    triggers: ['churned'],
    purpose: 'win_back',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: true,
    needs: ['churn', 'clv'],
    incentivePercent: 15,
    responseValue: 'clv',
    fatigueCostMinor: 30,
    prior: { alpha: 1, beta: 9 },
    template: 'win_back',
  },
  {
    id: 'tier_nudge',
    name: 'Tier nudge: what gets you to the next tier',
    triggers: ['tier_almost_reached'],
    purpose: 'tier_nudge',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['tier', 'clv'],
    responseValue: 'order_margin',
    fatigueCostMinor: 20,
    prior: { alpha: 2, beta: 8 },
    template: 'tier_nudge',
  },
  {
    id: 'challenge_reminder',
    name: 'Challenge about to expire',
    triggers: ['challenge_expiring'],
    purpose: 'challenge',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['challengeExpiring', 'clv'],
    responseValue: 'order_margin',
    fatigueCostMinor: 20,
    prior: { alpha: 2, beta: 8 },
    template: 'challenge',
  },
  {
    id: 'points_expiry_reminder',
    name: 'Points about to expire',
    triggers: ['points_expiring'],
    purpose: 'points_expiry',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['pointsExpiring', 'clv'],
    responseValue: 'order_margin',
    fatigueCostMinor: 10,
    prior: { alpha: 2, beta: 8 },
    template: 'tier_nudge',
  },
  {
    id: 'surprise_reward',
    name: 'Surprise reward for a valuable customer',
    triggers: ['segment_transition', 'tier_almost_reached'],
    purpose: 'surprise',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: true,
    needs: ['segment', 'clv'],
    directCostMinor: 500,
    responseValue: 'clv',
    fatigueCostMinor: 20,
    prior: { alpha: 1, beta: 9 },
    template: 'surprise_reward',
  },
  {
    id: 'advocate_invitation',
    name: 'Invitation to the advocate / referral programme',
    triggers: ['advocate_identified'],
    purpose: 'advocacy',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    needs: ['advocacy'],
    responseValue: 'fixed',
    fixedValueMinor: 1500,
    fatigueCostMinor: 20,
    prior: { alpha: 1, beta: 9 },
    template: 'advocate_invitation',
  },
  {
    id: 'feedback_survey',
    name: 'Feedback survey after delivery',
    triggers: ['order_delivered'],
    purpose: 'feedback',
    channel: 'email',
    consentPurpose: 'marketing',
    promotion: false,
    responseValue: 'fixed',
    fixedValueMinor: 50,
    fatigueCostMinor: 20,
    prior: { alpha: 1, beta: 9 },
    template: 'feedback_survey',
  },
];

export const catalogSchema = z
  .array(actionDefinitionSchema)
  .min(1)
  .superRefine((actions, ctx) => {
    const seen = new Set<string>();
    actions.forEach((a, i) => {
      if (seen.has(a.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate action id "${a.id}"` });
      seen.add(a.id);
    });
  });

/** The default catalog, validated (a broken default is a bug: it throws). */
export const defaultCatalog: readonly ActionDefinition[] = catalogSchema.parse(defaultCatalogInput);
