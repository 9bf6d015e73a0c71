/**
 * A store's decisioning settings: overrides of the shipped defaults, validated with zod (a bad
 * setting names its field). Stored as the `decisioning` setting; absent fields keep the default.
 */
import { z } from 'zod';
import { catalogSchema } from './catalog.js';
import { isValidTimeZone } from './local-time.js';
import { defaultDecisioningConfig, type DecisioningConfig } from './plan.js';

const hour = z.number().min(0).max(24);

export const decisioningSettingsSchema = z
  .object({
    incentiveBudgetMinor: z.number().int().min(0),
    budgetPeriodDays: z.number().int().min(1).max(366),
    margin: z.number().min(0).max(1),
    humanTaskClvMinor: z.number().int().min(0),
    churnRiskThreshold: z.number().min(0).max(1),
    churnedThreshold: z.number().min(0).max(1),
    quietHours: z.object({ startHour: hour, endHour: hour }),
    weeklyCap: z.record(z.enum(['email', 'sms', 'push', 'webhook']), z.number().int().min(0)),
    defaultTimezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/London'),
    /** Action ids to switch off. */
    disabledActions: z.array(z.string()),
    /** A whole catalog replacing the default one. */
    catalog: catalogSchema,
    /**
     * How journeys are measured: the share held out of each (0 turns holdouts off), the days of
     * outcomes attributed to an exposure, and the last days of that window in which an order
     * means "retained". A churn save is best judged over the horizon it acts on plus the store's
     * churn window, with `retainedDays` the churn window. Applies to journeys defined from then
     * on: a running experiment keeps its definition.
     */
    experiments: z
      .object({
        journeyHoldout: z.number().min(0).lt(1),
        windowDays: z.number().int().min(1).max(730),
        retainedDays: z.number().int().min(1).max(730),
      })
      .partial()
      .strict()
      .refine(
        (e) =>
          e.retainedDays === undefined ||
          e.retainedDays <= (e.windowDays ?? defaultDecisioningConfig.experiments.windowDays),
        {
          message: `must be at most windowDays (${defaultDecisioningConfig.experiments.windowDays} when not set)`,
          path: ['retainedDays'],
        },
      ),
  })
  .partial()
  .strict();

export type DecisioningSettings = z.infer<typeof decisioningSettingsSchema>;

/** The defaults with a store's settings applied. */
export function applyDecisioningSettings(
  settings: DecisioningSettings,
  base: DecisioningConfig = defaultDecisioningConfig,
): DecisioningConfig {
  const disabled = new Set(settings.disabledActions ?? []);
  const catalog = (settings.catalog ?? base.catalog).map((a) =>
    disabled.has(a.id) ? { ...a, enabled: false } : a,
  );
  return {
    ...base,
    incentiveBudgetMinor: settings.incentiveBudgetMinor ?? base.incentiveBudgetMinor,
    experiments: { ...base.experiments, ...settings.experiments },
    budgetPeriodDays: settings.budgetPeriodDays ?? base.budgetPeriodDays,
    catalog,
    policy: {
      ...base.policy,
      ...(settings.margin !== undefined ? { margin: settings.margin } : {}),
      ...(settings.humanTaskClvMinor !== undefined ? { humanTaskClvMinor: settings.humanTaskClvMinor } : {}),
    },
    triggers: {
      ...base.triggers,
      ...(settings.churnRiskThreshold !== undefined
        ? { churnRiskThreshold: settings.churnRiskThreshold }
        : {}),
      ...(settings.churnedThreshold !== undefined ? { churnedThreshold: settings.churnedThreshold } : {}),
    },
    guardrails: {
      ...base.guardrails,
      ...(settings.quietHours ? { quietHours: settings.quietHours } : {}),
      ...(settings.weeklyCap ? { weeklyCap: { ...base.guardrails.weeklyCap, ...settings.weeklyCap } } : {}),
      ...(settings.defaultTimezone ? { defaultTimezone: settings.defaultTimezone } : {}),
    },
  };
}
