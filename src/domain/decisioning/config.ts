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
