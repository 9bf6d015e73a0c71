/**
 * The next-best-action policy. For a customer, a trigger and the catalog's candidate actions:
 *
 *   EV(action) = P(response | action, customer) × value of the response − cost
 *   cost       = P(response) × incentive + direct cost + fatigue × (messages this week + 1)
 *
 * P(response) is the mean of a Beta posterior per action × segment (segment = churn driver ×
 * CLV band): the catalog's prior plus the outcomes observed so far (responses / trials); with
 * `exploration: 'thompson'` it is one draw from that posterior (seeded). A response to a
 * churn-save or win-back is worth the customer's predicted CLV; to a sales message one order's
 * margin; to a review or survey a fixed amount. Incentives are sized by margin and CLV: a
 * discount never exceeds the store's margin share nor a share of the customer's CLV.
 * The best positive-EV candidate wins (transactional ones always go); a churn save for a
 * high-CLV, high-risk customer is also routed to a person as a task with the reasons. Actions
 * whose signals do not exist yet are listed as `waiting`, never scored on a guess.
 */
import type { Random } from '../random.js';
import type { ActionDefinition } from './catalog.js';
import { hasSignal, type CustomerState, type SignalName } from './state.js';
import type { Trigger } from './triggers.js';

export interface Posterior {
  readonly alpha: number;
  readonly beta: number;
}

/** Observed outcomes of one action in one segment. */
export interface OutcomeCounts {
  readonly trials: number;
  readonly responses: number;
}

/** Outcome counts keyed by `posteriorKey(actionId, segment)`. */
export type OutcomeTable = ReadonlyMap<string, OutcomeCounts>;

export const posteriorKey = (actionId: string, segment: string): string => `${actionId}|${segment}`;

export interface PolicyConfig {
  /** The store's gross margin in [0, 1] (for order value and incentive sizing). */
  readonly margin: number;
  /** A discount's percent may use at most this share of the margin (1 = never below cost). */
  readonly maxIncentiveShareOfMargin: number;
  /** A discount's face value may be at most this share of the customer's CLV. */
  readonly maxIncentiveShareOfClv: number;
  /** CLV band edges (minor units): below the first is `low`, below the second `mid`, else `high`. */
  readonly clvBands: readonly [number, number];
  /** Churn saves for customers at or above this CLV and risk also open a task for a person. */
  readonly humanTaskClvMinor: number;
  readonly humanTaskRisk: number;
  readonly exploration: 'mean' | 'thompson';
}

export const defaultPolicyConfig: PolicyConfig = {
  margin: 0.3,
  maxIncentiveShareOfMargin: 1,
  maxIncentiveShareOfClv: 0.5,
  clvBands: [5_000, 20_000],
  humanTaskClvMinor: 30_000,
  humanTaskRisk: 0.5,
  exploration: 'mean',
};

export type CandidateStatus = 'scored' | 'waiting' | 'not_applicable' | 'over_budget';

export interface CandidateScore {
  readonly actionId: string;
  readonly status: CandidateStatus;
  /** Why it is not scored (waiting for signals, driver mismatch, incentive cap, budget). */
  readonly note: string | null;
  readonly waitsFor: readonly SignalName[];
  readonly pResponse: number;
  readonly posterior: Posterior;
  readonly valueMinor: number;
  readonly incentiveMinor: number;
  readonly costMinor: number;
  readonly ev: number;
  readonly mandatory: boolean;
}

export interface HumanTask {
  readonly reasons: readonly string[];
  /** What is at stake (minor units): orders of tasks by value. */
  readonly valueAtStakeMinor: number;
}

export interface Decision {
  readonly customerId: string;
  readonly trigger: Trigger;
  readonly segment: string;
  readonly candidates: readonly CandidateScore[];
  /** The chosen action's id, or null when nothing is worth doing. */
  readonly chosen: string | null;
  readonly humanTask: HumanTask | null;
  readonly reason: string;
}

export interface PolicyContext {
  readonly catalog: readonly ActionDefinition[];
  readonly outcomes: OutcomeTable;
  readonly config: PolicyConfig;
  /** Marketing messages already sent or queued to the customer this week. */
  readonly messagesThisWeek: number;
  /** Incentive budget left in the period (minor units); Infinity when unlimited. */
  readonly incentiveBudgetLeftMinor: number;
  /** Needed only for `exploration: 'thompson'`. */
  readonly random?: Random;
}

/** The segment the posteriors are kept per: churn driver × CLV band. */
export function segmentOf(state: CustomerState, config: PolicyConfig): string {
  const driver = state.churn?.driver ?? 'none';
  const clv = state.clv?.clvMinor;
  const band =
    clv === undefined
      ? 'unknown'
      : clv < config.clvBands[0]
        ? 'low'
        : clv < config.clvBands[1]
          ? 'mid'
          : 'high';
  return `${driver}/${band}`;
}

export function posteriorOf(action: ActionDefinition, segment: string, outcomes: OutcomeTable): Posterior {
  const o = outcomes.get(posteriorKey(action.id, segment));
  const trials = o?.trials ?? 0;
  const responses = o?.responses ?? 0;
  return { alpha: action.prior.alpha + responses, beta: action.prior.beta + (trials - responses) };
}

/** Adds one observed outcome (the posterior of a Beta-Bernoulli model is the prior plus counts). */
export function recordOutcome(counts: OutcomeCounts | undefined, responded: boolean): OutcomeCounts {
  return {
    trials: (counts?.trials ?? 0) + 1,
    responses: (counts?.responses ?? 0) + (responded ? 1 : 0),
  };
}

/** Expected order value: the CLV model's, else the mean of the customer's own orders. */
export function expectedOrderValue(state: CustomerState): number {
  if (state.clv && state.clv.expectedOrderValueMinor > 0) return state.clv.expectedOrderValueMinor;
  if (state.orders.length === 0) return 0;
  return state.orders.reduce((s, o) => s + o.totalMinor, 0) / state.orders.length;
}

function responseValue(action: ActionDefinition, state: CustomerState, config: PolicyConfig): number {
  switch (action.responseValue) {
    case 'clv':
      return Math.max(0, state.clv?.clvMinor ?? 0);
    case 'order_margin':
      return expectedOrderValue(state) * config.margin;
    case 'fixed':
      return action.fixedValueMinor;
    default: {
      const _exhaustive: never = action.responseValue;
      return _exhaustive;
    }
  }
}

const unscored = (
  action: ActionDefinition,
  status: CandidateStatus,
  note: string,
  posterior: Posterior,
  waitsFor: readonly SignalName[] = [],
): CandidateScore => ({
  actionId: action.id,
  status,
  note,
  waitsFor,
  pResponse: 0,
  posterior,
  valueMinor: 0,
  incentiveMinor: 0,
  costMinor: 0,
  ev: 0,
  mandatory: action.mandatory,
});

/** Scores one candidate action for the customer (pure; see the module comment for the formula). */
export function scoreCandidate(
  action: ActionDefinition,
  state: CustomerState,
  segment: string,
  ctx: PolicyContext,
): CandidateScore {
  const posterior = posteriorOf(action, segment, ctx.outcomes);
  const missing = action.needs.filter((s) => !hasSignal(state, s));
  if (missing.length > 0) {
    return unscored(action, 'waiting', `waits for ${missing.join(', ')}`, posterior, missing);
  }
  if (action.driver !== null && state.churn?.driver !== action.driver) {
    return unscored(
      action,
      'not_applicable',
      `addresses the ${action.driver} driver; the customer's is ${state.churn?.driver ?? 'none'}`,
      posterior,
    );
  }
  const { config } = ctx;
  const orderValue = expectedOrderValue(state);
  const incentive = Math.round((orderValue * action.incentivePercent) / 100);
  if (action.incentivePercent > 0) {
    const marginCap = config.margin * 100 * config.maxIncentiveShareOfMargin;
    if (action.incentivePercent > marginCap) {
      return unscored(
        action,
        'not_applicable',
        `${action.incentivePercent} % exceeds the margin cap of ${marginCap.toFixed(0)} %`,
        posterior,
      );
    }
    const clvCap = config.maxIncentiveShareOfClv * Math.max(0, state.clv?.clvMinor ?? 0);
    if (incentive > clvCap) {
      return unscored(
        action,
        'not_applicable',
        `an incentive of ${incentive} exceeds ${config.maxIncentiveShareOfClv} × CLV`,
        posterior,
      );
    }
    if (incentive > ctx.incentiveBudgetLeftMinor) {
      return unscored(
        action,
        'over_budget',
        `the incentive budget has ${Math.max(0, Math.floor(ctx.incentiveBudgetLeftMinor))} left`,
        posterior,
      );
    }
  }
  const p =
    config.exploration === 'thompson' && ctx.random
      ? ctx.random.beta(posterior.alpha, posterior.beta)
      : posterior.alpha / (posterior.alpha + posterior.beta);
  const value = responseValue(action, state, config);
  const fatigue = action.channel === 'task' ? 0 : action.fatigueCostMinor * (ctx.messagesThisWeek + 1);
  const cost = p * incentive + action.directCostMinor + fatigue;
  return {
    actionId: action.id,
    status: 'scored',
    note: null,
    waitsFor: [],
    pResponse: p,
    posterior,
    valueMinor: value,
    incentiveMinor: incentive,
    costMinor: cost,
    ev: p * value - cost,
    mandatory: action.mandatory,
  };
}

/** The best candidate: a mandatory one if any, else the highest positive EV (ties by id). */
export function pickBest(candidates: readonly CandidateScore[]): CandidateScore | null {
  let best: CandidateScore | null = null;
  for (const c of candidates) {
    if (c.status !== 'scored') continue;
    if (c.mandatory) {
      if (!best?.mandatory || c.ev > best.ev) best = c;
      continue;
    }
    if (best?.mandatory) continue;
    if (c.ev <= 0) continue;
    if (!best || c.ev > best.ev || (c.ev === best.ev && c.actionId < best.actionId)) best = c;
  }
  return best;
}

function explain(chosen: CandidateScore | null, candidates: readonly CandidateScore[]): string {
  if (chosen) {
    if (chosen.mandatory) return `${chosen.actionId}: transactional, always sent`;
    return `${chosen.actionId}: highest expected value ${Math.round(chosen.ev)} (P(response) ${chosen.pResponse.toFixed(3)} × value ${Math.round(chosen.valueMinor)} − cost ${Math.round(chosen.costMinor)})`;
  }
  if (candidates.length === 0) return 'no action in the catalog answers this trigger';
  const waiting = candidates.filter((c) => c.status === 'waiting');
  if (waiting.length === candidates.length)
    return `every candidate waits for a signal (${[...new Set(waiting.flatMap((c) => c.waitsFor))].join(', ')})`;
  return 'no candidate has a positive expected value';
}

function humanTaskFor(
  chosen: ActionDefinition | undefined,
  state: CustomerState,
  config: PolicyConfig,
): HumanTask | null {
  if (!chosen || !state.churn) return null;
  const clv = state.clv?.clvMinor ?? 0;
  const highValue =
    chosen.purpose === 'churn_save' &&
    clv >= config.humanTaskClvMinor &&
    state.churn.probability >= config.humanTaskRisk;
  if (!chosen.humanTask && !highValue) return null;
  const reasons = [
    `churn risk ${(state.churn.probability * 100).toFixed(0)} %, driver ${state.churn.driver ?? 'unknown'}`,
    `predicted CLV ${clv}`,
    ...state.churn.reasons,
  ];
  return { reasons, valueAtStakeMinor: clv };
}

/** Decides the next best action for one customer and one trigger. */
export function decide(state: CustomerState, trigger: Trigger, ctx: PolicyContext): Decision {
  const segment = segmentOf(state, ctx.config);
  const actions = ctx.catalog.filter((a) => a.enabled && a.triggers.includes(trigger.type));
  const candidates = actions.map((a) => scoreCandidate(a, state, segment, ctx));
  const best = pickBest(candidates);
  const action = best ? actions.find((a) => a.id === best.actionId) : undefined;
  return {
    customerId: state.customerId,
    trigger,
    segment,
    candidates,
    chosen: best?.actionId ?? null,
    humanTask: humanTaskFor(action, state, ctx.config),
    reason: explain(best, candidates),
  };
}

export interface BudgetedDecision {
  readonly decision: Decision;
  /** Face value of the incentive reserved for it (minor units). */
  readonly incentiveMinor: number;
}

/**
 * Spends a period's incentive budget where predicted CLV × P(response) is highest: decisions
 * whose chosen action carries an incentive are ranked by that product; those that no longer fit
 * fall back to their best candidate without an incentive (or to nothing). The face value of
 * every incentive kept is reserved, so the total never exceeds the budget.
 */
export function allocateIncentiveBudget(
  decisions: readonly Decision[],
  budgetMinor: number,
  clvOf: (customerId: string) => number,
): { decisions: Decision[]; spentMinor: number } {
  const withIncentive: Array<{ i: number; c: CandidateScore; priority: number }> = [];
  decisions.forEach((d, i) => {
    const c = d.candidates.find((x) => x.actionId === d.chosen);
    if (c && c.incentiveMinor > 0) withIncentive.push({ i, c, priority: clvOf(d.customerId) * c.pResponse });
  });
  withIncentive.sort((a, b) => b.priority - a.priority || a.i - b.i);
  const out = [...decisions];
  let spent = 0;
  for (const { i, c } of withIncentive) {
    if (spent + c.incentiveMinor <= budgetMinor) {
      spent += c.incentiveMinor;
      continue;
    }
    const d = decisions[i]!;
    const candidates = d.candidates.map((x) =>
      x.incentiveMinor > 0 && x.status === 'scored'
        ? {
            ...x,
            status: 'over_budget' as const,
            note: 'the period incentive budget went to customers with a higher CLV × P(response)',
          }
        : x,
    );
    const best = pickBest(candidates);
    out[i] = {
      ...d,
      candidates,
      chosen: best?.actionId ?? null,
      humanTask: best ? d.humanTask : null,
      reason: best
        ? `${explain(best, candidates)}; the incentive budget went to higher CLV × P(response)`
        : 'the incentive budget went to customers with a higher CLV × P(response); no other candidate is worth it',
    };
  }
  return { decisions: out, spentMinor: spent };
}
