/**
 * Personalisation at send time: a queued message carries what its decision knew (the order, the
 * offer, the reasons); when it is rendered — possibly days later, after quiet hours or a deferral —
 * the customer's name, current points and tier progress and fresh recommendations with their
 * reasons are added, so the message shows the balance of the day it is read. What the decision
 * stored wins over what is looked up; a lookup that fails leaves the message as it was queued.
 */
import type { Recommendation } from '../domain/decisioning/state.js';
import type { MessageVariables, TemplateId } from './outbox.js';

/** Templates that show recommendations (app/outbox.ts MESSAGE_TEMPLATES; see channels/templates). */
const WITH_RECOMMENDATIONS: ReadonlySet<TemplateId> = new Set([
  'order_confirmation',
  'cross_sell',
  'churn_save_price',
  'churn_save_disengagement',
  'win_back',
  'tier_nudge',
]);

/** How many recommendations a message shows (the templates list at most 4). */
export const RECOMMENDATIONS_PER_MESSAGE = 4;

/** Recommended products as the templates list them ("<name> — because <reason>"). */
export function messageRecommendations(
  recs: readonly Recommendation[],
): NonNullable<MessageVariables['recommendations']> {
  return recs.map((r) => ({
    id: r.productId,
    name: r.name ?? r.productId,
    ...(r.category !== null ? { category: r.category } : {}),
    ...(r.priceMinor !== null ? { priceMinor: r.priceMinor } : {}),
    reason: r.because,
  }));
}

export interface CustomerMessageContext {
  readonly firstName: string | null;
  readonly points: MessageVariables['points'] | null;
  readonly tier: MessageVariables['tier'] | null;
}

export interface PersonalizeDeps {
  context(customerId: string, now: Date): Promise<CustomerMessageContext | null>;
  /** Up to `limit` recommendations with a reason in words; [] without a trained model. */
  recommendations(
    customerId: string,
    limit: number,
    now: Date,
  ): Promise<NonNullable<MessageVariables['recommendations']>>;
}

export async function personalize(
  deps: PersonalizeDeps,
  m: { readonly customerId: string; readonly templateId: TemplateId; readonly variables: MessageVariables },
  now: Date,
): Promise<MessageVariables> {
  const [ctx, recs] = await Promise.all([
    deps.context(m.customerId, now),
    WITH_RECOMMENDATIONS.has(m.templateId) && m.variables.recommendations === undefined
      ? deps.recommendations(m.customerId, RECOMMENDATIONS_PER_MESSAGE, now)
      : Promise.resolve([]),
  ]);
  return {
    ...(ctx?.firstName ? { firstName: ctx.firstName } : {}),
    ...(ctx?.points ? { points: ctx.points } : {}),
    ...(ctx?.tier ? { tier: ctx.tier } : {}),
    ...(recs.length > 0 ? { recommendations: recs } : {}),
    ...m.variables,
  };
}
