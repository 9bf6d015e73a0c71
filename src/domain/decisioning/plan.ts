/**
 * One decisioning pass over many customers, pure: triggers → next best action per trigger →
 * the period's incentive budget across all of them → guardrails per customer. The use case
 * (app/decide.ts) loads the inputs, calls this, and stores the result in one transaction; the
 * benchmark calls it on a million generated customers.
 */
import type { Random } from '../random.js';
import { catalogSchema, defaultCatalog, type ActionDefinition } from './catalog.js';
import {
  applyGuardrails,
  defaultGuardrailConfig,
  type GuardrailConfig,
  type GuardrailVerdict,
  type Proposal,
  type ScheduledMessage,
} from './guardrails.js';
import { localWeek } from './local-time.js';
import {
  allocateIncentiveBudget,
  decide,
  defaultPolicyConfig,
  type Decision,
  type OutcomeTable,
  type PolicyConfig,
} from './policy.js';
import type { CustomerState } from './state.js';
import {
  defaultTriggerConfig,
  evaluateTriggers,
  type DecisionInput,
  type TriggerConfig,
} from './triggers.js';

export interface DecisioningConfig {
  readonly triggers: TriggerConfig;
  readonly policy: PolicyConfig;
  readonly guardrails: GuardrailConfig;
  readonly catalog: readonly ActionDefinition[];
  /** Incentive budget per period (face value of discounts, base minor units). */
  readonly incentiveBudgetMinor: number;
  readonly budgetPeriodDays: number;
  /** How each marketing journey is measured (its holdout experiment). */
  readonly experiments: JourneyExperimentConfig;
}

export interface JourneyExperimentConfig {
  /** Share of each journey's customers held out as its control (0 turns journey holdouts off). */
  readonly journeyHoldout: number;
  /** Days after an exposure its outcomes are attributed to it. */
  readonly windowDays: number;
  /** An order in the window's last this-many days counts as retained; null: its second half. */
  readonly retainedDays: number | null;
}

export const defaultDecisioningConfig: DecisioningConfig = {
  triggers: defaultTriggerConfig,
  policy: defaultPolicyConfig,
  guardrails: defaultGuardrailConfig,
  catalog: defaultCatalog,
  incentiveBudgetMinor: 500_000,
  budgetPeriodDays: 7,
  experiments: { journeyHoldout: 0.1, windowDays: 30, retainedDays: null },
};

export { catalogSchema };

export interface CustomerContext {
  readonly state: CustomerState;
  readonly input: DecisionInput;
  /** Messages already queued or sent to the customer (from earlier decisions). */
  readonly scheduled: readonly ScheduledMessage[];
  /** Trigger keys already decided for this customer: the same fact is never decided twice. */
  readonly decided: ReadonlySet<string>;
  readonly inGlobalControl: boolean;
}

export interface PlannedDecision {
  readonly decision: Decision;
  /** The idempotency key of the message: customer + action + triggering fact. */
  readonly idempotencyKey: string | null;
  readonly proposal: Proposal | null;
  readonly verdict: GuardrailVerdict | null;
  readonly incentiveMinor: number;
  readonly inputs: PlanInputs;
}

/** What the decision saw, stored beside it. */
export interface PlanInputs {
  readonly churn: CustomerState['churn'];
  readonly clv: CustomerState['clv'];
  readonly orders: number;
  readonly lastOrderAt: number | null;
  readonly timezone: string | null;
  readonly inGlobalControl: boolean;
  readonly messagesThisWeek: number;
  readonly signals: readonly string[];
  /**
   * The recommendations the decision saw (products and reasons), when one of its candidate
   * actions needs them (cross-sell); absent otherwise, so other decisions stay small.
   */
  readonly recommendations?: CustomerState['recommendations'];
}

export interface Plan {
  readonly decisions: readonly PlannedDecision[];
  readonly displaced: ReadonlyArray<{
    readonly customerId: string;
    readonly key: string;
    readonly by: string;
    readonly sendAt: number | null;
  }>;
  readonly incentiveReservedMinor: number;
}

export interface PlanOptions {
  readonly config: DecisioningConfig;
  readonly outcomes: OutcomeTable;
  readonly now: number;
  /** What is left of this period's incentive budget. */
  readonly incentiveBudgetLeftMinor: number;
  readonly random?: Random;
}

export const idempotencyKeyOf = (customerId: string, actionId: string, triggerKey: string): string =>
  `${customerId}:${actionId}:${triggerKey}`;

const SIGNALS = [
  'churn',
  'clv',
  'segment',
  'tier',
  'pointsExpiring',
  'challengeExpiring',
  'replenishment',
  'recommendations',
  'advocacy',
] as const;

/** Runs triggers, the policy, the incentive budget and the guardrails for every customer. */
export function planDecisions(customers: readonly CustomerContext[], options: PlanOptions): Plan {
  const { config, now } = options;
  const byAction = new Map(config.catalog.map((a) => [a.id, a]));
  const raw: Array<{ c: CustomerContext; d: Decision; inputs: PlanInputs }> = [];
  for (const c of customers) {
    const triggers = evaluateTriggers(c.state, c.input, now, config.triggers).filter(
      (t) => !c.decided.has(t.key),
    );
    if (triggers.length === 0) continue;
    const tz = c.state.timezone ?? config.guardrails.defaultTimezone;
    const week = localWeek(now, tz);
    let messagesThisWeek = 0;
    for (const m of c.scheduled) {
      if (m.consentPurpose !== 'transactional' && m.channel !== 'task' && localWeek(m.sendAt, tz) === week)
        messagesThisWeek++;
    }
    const last = c.state.orders[c.state.orders.length - 1];
    const inputs: PlanInputs = {
      churn: c.state.churn,
      clv: c.state.clv,
      orders: c.state.orders.length,
      lastOrderAt: last?.at ?? null,
      timezone: c.state.timezone,
      inGlobalControl: c.inGlobalControl,
      messagesThisWeek,
      signals: SIGNALS.filter((s) => c.state[s] !== null),
    };
    const ctx = {
      catalog: config.catalog,
      outcomes: options.outcomes,
      config: config.policy,
      messagesThisWeek,
      incentiveBudgetLeftMinor: Infinity,
      ...(options.random ? { random: options.random } : {}),
    };
    for (const t of triggers) {
      const d = decide(c.state, t, ctx);
      const shows = d.candidates.some((x) => byAction.get(x.actionId)?.needs.includes('recommendations'));
      raw.push({ c, d, inputs: shows ? { ...inputs, recommendations: c.state.recommendations } : inputs });
    }
  }

  const clv = new Map<string, number>();
  for (const { c } of raw) clv.set(c.state.customerId, c.state.clv?.clvMinor ?? 0);
  const budgeted = allocateIncentiveBudget(
    raw.map((r) => r.d),
    Math.max(0, options.incentiveBudgetLeftMinor),
    (id) => clv.get(id) ?? 0,
  );

  const planned: PlannedDecision[] = [];
  const displaced: Array<{ customerId: string; key: string; by: string; sendAt: number | null }> = [];
  let reserved = 0;
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!.c;
    const start = i;
    while (i < raw.length && raw[i]!.c === c) i++;
    const group: Array<{
      d: Decision;
      inputs: PlanInputs;
      proposal: Proposal | null;
      key: string | null;
      incentive: number;
    }> = [];
    for (let j = start; j < i; j++) {
      const d = budgeted.decisions[j]!;
      const action = d.chosen === null ? undefined : byAction.get(d.chosen);
      const score = d.candidates.find((x) => x.actionId === d.chosen);
      if (!action || !score) {
        group.push({ d, inputs: raw[j]!.inputs, proposal: null, key: null, incentive: 0 });
        continue;
      }
      const key = idempotencyKeyOf(c.state.customerId, action.id, d.trigger.key);
      group.push({
        d,
        inputs: raw[j]!.inputs,
        key,
        incentive: score.incentiveMinor,
        proposal: {
          key,
          customerId: c.state.customerId,
          actionId: action.id,
          channel: action.channel,
          consentPurpose: action.consentPurpose,
          purpose: action.purpose,
          promotion: action.promotion,
          value: score.ev,
          at: Math.max(now, d.trigger.at),
        },
      });
    }
    const proposals = group.flatMap((g) => (g.proposal ? [g.proposal] : []));
    const result = applyGuardrails(proposals, {
      now,
      timezone: c.state.timezone,
      consents: c.state.consents,
      tickets: c.state.tickets,
      inGlobalControl: c.inGlobalControl,
      scheduled: c.scheduled,
      config: config.guardrails,
    });
    let k = 0;
    for (const g of group) {
      const verdict = g.proposal ? result.verdicts[k++]! : null;
      const kept = verdict !== null && verdict.type !== 'skip';
      if (kept) reserved += g.incentive;
      planned.push({
        decision: g.d,
        idempotencyKey: g.key,
        proposal: g.proposal,
        verdict,
        incentiveMinor: kept ? g.incentive : 0,
        inputs: g.inputs,
      });
    }
    for (const x of result.displaced) displaced.push({ customerId: c.state.customerId, ...x });
  }
  return { decisions: planned, displaced, incentiveReservedMinor: reserved };
}
