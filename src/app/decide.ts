/**
 * Decide: for one customer on an event, or for every customer after a nightly rescore
 * (`patron decide`), evaluate the triggers, choose the next best action, spend the incentive
 * budget, apply the guardrails, and store every decision — with its inputs, the candidates, their
 * scores, the reason and the guardrail verdict — together with its human task and its message
 * (through the outbox port) in one transaction. Also: learning from outcomes (a purchase within
 * the response window after the message counts as a response) and the live next best action.
 */
import type { ScheduledMessage } from '../domain/decisioning/guardrails.js';
import type { OutcomeCounts, OutcomeTable } from '../domain/decisioning/policy.js';
import { segmentOf } from '../domain/decisioning/policy.js';
import {
  planDecisions,
  type CustomerContext,
  type DecisioningConfig,
  type Plan,
  type PlannedDecision,
} from '../domain/decisioning/plan.js';
import type { CustomerState } from '../domain/decisioning/state.js';
import type { DecisionInput } from '../domain/decisioning/triggers.js';
import type { ActionDefinition } from '../domain/decisioning/catalog.js';

const DAY = 86_400_000;
const iso = (t: number): string => new Date(t).toISOString();

/** A stored decision (JSON as text), as in the `decisions` table. */
export interface DecisionRow {
  id: string;
  customer_id: string;
  decided_at: string;
  trigger_type: string;
  trigger_key: string;
  trigger: string;
  segment: string;
  inputs: string;
  candidates: string;
  chosen_action: string | null;
  reason: string;
  /** queued | deferred | skipped | no_action | task | displaced | held_out */
  status: string;
  guardrail: string | null;
  idempotency_key: string | null;
  channel: string | null;
  purpose: string | null;
  consent_purpose: string | null;
  value: number;
  incentive_minor: number;
  send_at: string | null;
  message_id: string | null;
  outcome_at: string | null;
  responded: number | null;
}

export interface HumanTaskRow {
  id: string;
  customer_id: string;
  decision_id: string;
  action_id: string;
  reasons: string;
  value_at_stake_minor: number;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface SignalRow {
  customer_id: string;
  churn_probability: number | null;
  segment: string | null;
  updated_at: string;
}

/** A message for the outbox: the idempotency key is customer + action + triggering fact. */
export interface OutgoingMessage {
  readonly idempotencyKey: string;
  readonly decisionId: string;
  readonly customerId: string;
  readonly actionId: string;
  readonly template: string;
  readonly channel: string;
  readonly purpose: string;
  readonly consentPurpose: string;
  readonly sendAt: string;
  /** The policy's expected value (minor units): ranks messages for displacement. */
  readonly valueMinor: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface DecisionWrite {
  readonly decisions: readonly DecisionRow[];
  readonly tasks: readonly HumanTaskRow[];
  readonly displaced: ReadonlyArray<{
    readonly idempotencyKey: string;
    readonly by: string;
    readonly sendAt: string | null;
  }>;
  readonly signals: readonly SignalRow[];
  readonly now: string;
}

/** Where decisions are kept (store/decision-repository.ts). `Tx` is the store's transaction. */
export interface DecisionRepository<Tx = unknown> {
  scheduled(
    now: string,
    since: string,
    customerIds?: readonly string[],
  ): Promise<Map<string, ScheduledMessage[]>>;
  decidedKeys(customerIds?: readonly string[]): Promise<Map<string, Set<string>>>;
  outcomes(): Promise<Map<string, OutcomeCounts>>;
  incentiveReserved(since: string): Promise<number>;
  save(
    write: DecisionWrite,
    withinTransaction?: (tx: Tx, inserted: readonly DecisionRow[]) => Promise<void>,
  ): Promise<number>;
  list(customerId: string, limit: number): Promise<DecisionRow[]>;
  tasks(options: { status?: string; limit: number }): Promise<HumanTaskRow[]>;
  awaitingOutcome(sentBefore: string): Promise<DecisionRow[]>;
  recordOutcomes(
    rows: ReadonlyArray<{ readonly decision: DecisionRow; readonly responded: boolean }>,
    now: string,
  ): Promise<void>;
  /** Order times of the customers after `since` (for outcomes). */
  ordersSince(customerIds: readonly string[], since: string): Promise<Map<string, number[]>>;
}

/** A customer met a journey's experiment (treated or held out) when its trigger fired. */
export interface Exposure {
  readonly experimentId: string;
  readonly customerId: string;
  readonly variant: string;
  readonly at: string;
  readonly atRisk: boolean;
  readonly idempotencyKey: string | null;
}

export interface DecideDeps<Tx = unknown> {
  readonly loadStates: (options: {
    customerIds?: readonly string[];
    asOf: string;
  }) => Promise<CustomerState[]>;
  readonly decisions: DecisionRepository<Tx>;
  /** The experiments module's persistent global control group (no marketing). */
  readonly isInGlobalControl: (customerId: string) => boolean;
  /** The outbox, written in the decisions' own transaction; absent = store decisions only. */
  readonly outbox?: {
    enqueue(tx: Tx, messages: readonly OutgoingMessage[], now: Date): Promise<void>;
    /** Moves (sendAt) or cancels (null) queued messages displaced by higher-value ones. */
    move(
      tx: Tx,
      moves: ReadonlyArray<{
        readonly idempotencyKey: string;
        readonly sendAt: string | null;
        readonly by: string;
      }>,
      now: Date,
    ): Promise<void>;
  };
  /** Per-journey holdouts: the arm of a customer for a journey purpose (null = no experiment). */
  readonly holdouts?: {
    armOf(
      purpose: string,
      customerId: string,
    ): { readonly experimentId: string; readonly variant: string } | null;
    expose(tx: Tx, exposures: readonly Exposure[], now: Date): Promise<void>;
  };
  readonly config: DecisioningConfig;
}

export interface DecideSummary {
  readonly customers: number;
  readonly decisions: number;
  readonly stored: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byAction: Readonly<Record<string, number>>;
  readonly tasks: number;
  readonly messages: number;
  readonly incentiveReservedMinor: number;
}

function statusOf(p: PlannedDecision, action: ActionDefinition | undefined): string {
  if (!p.verdict) return 'no_action';
  if (p.verdict.type === 'skip') return 'skipped';
  if (action?.channel === 'task') return 'task';
  return p.verdict.type === 'defer' ? 'deferred' : 'queued';
}

/** Turns a plan into rows: decisions, tasks, displaced updates, messages. */
export function planRows(
  plan: Plan,
  config: DecisioningConfig,
  now: number,
  decisionIdOf: (customerId: string, triggerKey: string) => string,
): { write: Omit<DecisionWrite, 'signals'>; messages: OutgoingMessage[] } {
  const byAction = new Map(config.catalog.map((a) => [a.id, a]));
  const decisions: DecisionRow[] = [];
  const tasks: HumanTaskRow[] = [];
  const messages: OutgoingMessage[] = [];
  const at = iso(now);
  for (const p of plan.decisions) {
    const d = p.decision;
    const id = decisionIdOf(d.customerId, d.trigger.key);
    const action = d.chosen === null ? undefined : byAction.get(d.chosen);
    const score = d.candidates.find((c) => c.actionId === d.chosen);
    const status = statusOf(p, action);
    const sendAt = p.verdict && p.verdict.type !== 'skip' ? iso(p.verdict.sendAt) : null;
    const skipped = p.verdict?.type === 'skip' ? `; not sent: ${p.verdict.reason} (${p.verdict.detail})` : '';
    const deferred =
      p.verdict?.type === 'defer' ? `; deferred to ${sendAt} (${p.verdict.reasons.join(', ')})` : '';
    decisions.push({
      id,
      customer_id: d.customerId,
      decided_at: at,
      trigger_type: d.trigger.type,
      trigger_key: d.trigger.key,
      trigger: JSON.stringify({
        type: d.trigger.type,
        key: d.trigger.key,
        at: iso(d.trigger.at),
        facts: d.trigger.facts,
      }),
      segment: d.segment,
      inputs: JSON.stringify({
        ...p.inputs,
        lastOrderAt: p.inputs.lastOrderAt === null ? null : iso(p.inputs.lastOrderAt),
        churn: p.inputs.churn
          ? {
              ...p.inputs.churn,
              scoredAt: iso(p.inputs.churn.scoredAt),
              lastSeenAt: p.inputs.churn.lastSeenAt === null ? null : iso(p.inputs.churn.lastSeenAt),
            }
          : null,
      }),
      candidates: JSON.stringify(d.candidates),
      chosen_action: d.chosen,
      reason: d.reason + skipped + deferred,
      status,
      guardrail: p.verdict
        ? JSON.stringify(
            p.verdict.type === 'skip' ? p.verdict : { ...p.verdict, sendAt: iso(p.verdict.sendAt) },
          )
        : null,
      idempotency_key: p.idempotencyKey,
      channel: action?.channel ?? null,
      purpose: action?.purpose ?? null,
      consent_purpose: action?.consentPurpose ?? null,
      value: score?.ev ?? 0,
      incentive_minor: p.incentiveMinor,
      send_at: sendAt,
      message_id: null,
      outcome_at: null,
      responded: null,
    });
    const sent = status === 'queued' || status === 'deferred' || status === 'task';
    if (sent && d.humanTask && action) {
      tasks.push({
        id: `tsk_${id.slice(4)}`,
        customer_id: d.customerId,
        decision_id: id,
        action_id: action.id,
        reasons: JSON.stringify(d.humanTask.reasons),
        value_at_stake_minor: Math.round(d.humanTask.valueAtStakeMinor),
        status: 'open',
        created_at: at,
        updated_at: at,
      });
    }
    if ((status === 'queued' || status === 'deferred') && action && sendAt && p.idempotencyKey) {
      messages.push({
        idempotencyKey: p.idempotencyKey,
        decisionId: id,
        customerId: d.customerId,
        actionId: action.id,
        template: action.template,
        channel: action.channel,
        purpose: action.purpose,
        consentPurpose: action.consentPurpose,
        sendAt,
        valueMinor: Math.max(0, Math.round(score?.ev ?? 0)),
        data: {
          trigger: d.trigger.facts,
          incentivePercent: action.incentivePercent,
          incentiveMinor: score?.incentiveMinor ?? 0,
          reasons: d.humanTask?.reasons ?? [],
          // An action built on recommendations shows the ones it was decided on.
          ...(action.needs.includes('recommendations') && p.inputs.recommendations
            ? { recommendations: p.inputs.recommendations }
            : {}),
        },
      });
    }
  }
  return {
    write: {
      decisions,
      tasks,
      displaced: plan.displaced.map((x) => ({
        idempotencyKey: x.key,
        by: x.by,
        sendAt: x.sendAt === null ? null : iso(x.sendAt),
      })),
      now: at,
    },
    messages,
  };
}

/**
 * Per-journey holdouts: a marketing message that passed the guardrails goes out only when the
 * customer's arm of the journey's experiment is not "control"; a held-out one is stored as
 * `held_out` (no message, no incentive). Every such customer — treated or held out — is an
 * exposure of the journey's experiment, and global-control customers an exposure of the global
 * control, so the report compares like with like.
 */
function applyHoldouts<Tx>(
  rows: ReturnType<typeof planRows>,
  deps: DecideDeps<Tx>,
  config: DecisioningConfig,
  at: string,
): ReturnType<typeof planRows> & { exposures: Exposure[] } {
  const exposures: Exposure[] = [];
  const heldOut = new Set<string>();
  const threshold = config.triggers.churnRiskThreshold;
  const decisions = rows.write.decisions.map((d) => {
    if (!deps.holdouts || d.consent_purpose !== 'marketing' || d.purpose === null) return d;
    const risk = (JSON.parse(d.inputs) as { churn: { probability: number } | null }).churn?.probability ?? 0;
    const guard = d.guardrail ? (JSON.parse(d.guardrail) as { reason?: string }) : null;
    if (guard?.reason === 'global_control') {
      exposures.push({
        experimentId: GLOBAL_CONTROL_EXPERIMENT,
        customerId: d.customer_id,
        variant: 'control',
        at,
        atRisk: risk >= threshold,
        idempotencyKey: d.idempotency_key,
      });
      return d;
    }
    if (d.status !== 'queued' && d.status !== 'deferred') return d;
    const arm = deps.holdouts.armOf(d.purpose, d.customer_id);
    exposures.push({
      experimentId: GLOBAL_CONTROL_EXPERIMENT,
      customerId: d.customer_id,
      variant: 'treatment',
      at,
      atRisk: risk >= threshold,
      idempotencyKey: d.idempotency_key,
    });
    if (!arm) return d;
    exposures.push({
      ...arm,
      customerId: d.customer_id,
      at,
      atRisk: risk >= threshold,
      idempotencyKey: d.idempotency_key,
    });
    if (arm.variant !== 'control') return d;
    heldOut.add(d.id);
    return {
      ...d,
      status: 'held_out',
      incentive_minor: 0,
      reason: `${d.reason}; held out by the journey's experiment ${arm.experimentId}`,
    };
  });
  return {
    write: { ...rows.write, decisions },
    messages: rows.messages.filter((m) => !heldOut.has(m.decisionId)),
    exposures,
  };
}

/** The experiments module's id of the global control group (app/experiments.ts). */
export const GLOBAL_CONTROL_EXPERIMENT = 'exp_global_control';

export interface DecideOptions {
  readonly now: Date;
  /** Only these customers (an event for each); all customers on a rescore when absent. */
  readonly customerIds?: readonly string[];
  /** What happened: a rescore (default) or one event applied to every customer listed. */
  readonly input?: DecisionInput;
  readonly decisionIdOf: (customerId: string, triggerKey: string) => string;
}

/** Runs one decision pass and stores it (see the module comment). */
export async function decideCustomers<Tx>(
  deps: DecideDeps<Tx>,
  options: DecideOptions,
): Promise<DecideSummary> {
  const now = options.now.getTime();
  const nowIso = iso(now);
  const { config } = deps;
  const ids = options.customerIds;
  const states = await deps.loadStates({ ...(ids ? { customerIds: ids } : {}), asOf: nowIso });
  const since = iso(now - Math.max(14, config.guardrails.inFlightDays * 2) * DAY);
  const [scheduled, decided, outcomes, reserved] = await Promise.all([
    deps.decisions.scheduled(nowIso, since, ids),
    deps.decisions.decidedKeys(ids),
    deps.decisions.outcomes(),
    deps.decisions.incentiveReserved(iso(now - config.budgetPeriodDays * DAY)),
  ]);
  const input: DecisionInput = options.input ?? { type: 'Rescored', at: now };
  const contexts: CustomerContext[] = states.map((state) => ({
    state,
    input,
    scheduled: scheduled.get(state.customerId) ?? [],
    decided: decided.get(state.customerId) ?? new Set(),
    inGlobalControl: deps.isInGlobalControl(state.customerId),
  }));
  const plan = planDecisions(contexts, {
    config,
    outcomes: outcomes as OutcomeTable,
    now,
    incentiveBudgetLeftMinor: config.incentiveBudgetMinor - reserved,
  });
  const rows = planRows(plan, config, now, options.decisionIdOf);
  const { write, messages, exposures } = applyHoldouts(rows, deps, config, nowIso);
  const signals: SignalRow[] =
    input.type === 'Rescored'
      ? states.map((s) => ({
          customer_id: s.customerId,
          churn_probability: s.churn?.probability ?? null,
          segment: s.segment?.current ?? null,
          updated_at: nowIso,
        }))
      : [];
  let enqueued = 0;
  const stored = await deps.decisions.save({ ...write, signals }, async (tx, inserted) => {
    const fresh = new Set(inserted.map((d) => d.id));
    const keys = new Set(inserted.map((d) => d.idempotency_key));
    if (deps.holdouts) {
      const mine = exposures.filter((e) => e.idempotencyKey === null || keys.has(e.idempotencyKey));
      if (mine.length > 0) await deps.holdouts.expose(tx, mine, options.now);
    }
    if (!deps.outbox) return;
    const mine = messages.filter((m) => fresh.has(m.decisionId));
    enqueued = mine.length;
    if (mine.length > 0) await deps.outbox.enqueue(tx, mine, options.now);
    if (write.displaced.length > 0) await deps.outbox.move(tx, write.displaced, options.now);
  });
  const byStatus: Record<string, number> = {};
  const byAction: Record<string, number> = {};
  for (const d of write.decisions) {
    byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
    if (d.chosen_action && d.status !== 'skipped')
      byAction[d.chosen_action] = (byAction[d.chosen_action] ?? 0) + 1;
  }
  return {
    customers: states.length,
    decisions: write.decisions.length,
    stored,
    byStatus,
    byAction,
    tasks: write.tasks.length,
    messages: deps.outbox ? enqueued : messages.length,
    incentiveReservedMinor: plan.incentiveReservedMinor,
  };
}

/**
 * Learning from outcomes: every message sent at least `windowDays` ago whose outcome is unknown
 * counts as a response when the customer ordered within `windowDays` after it; the counts update
 * the Beta posteriors of its action × segment.
 */
export async function recordDecisionOutcomes<Tx>(
  deps: Pick<DecideDeps<Tx>, 'decisions'>,
  options: { now: Date; windowDays: number },
): Promise<{ observed: number; responded: number }> {
  const now = options.now.getTime();
  const window = options.windowDays * DAY;
  const due = await deps.decisions.awaitingOutcome(iso(now - window));
  if (due.length === 0) return { observed: 0, responded: 0 };
  const earliest = due.reduce((m, d) => (d.send_at! < m ? d.send_at! : m), due[0]!.send_at!);
  const orders = await deps.decisions.ordersSince([...new Set(due.map((d) => d.customer_id))], earliest);
  const rows = due.map((decision) => {
    const sent = Date.parse(decision.send_at!);
    const responded = (orders.get(decision.customer_id) ?? []).some((t) => t > sent && t <= sent + window);
    return { decision, responded };
  });
  await deps.decisions.recordOutcomes(rows, iso(now));
  return { observed: rows.length, responded: rows.filter((r) => r.responded).length };
}

export interface NextBestAction {
  readonly customerId: string;
  readonly asOf: string;
  readonly action: string | null;
  readonly reason: string;
  readonly trigger: { readonly type: string; readonly key: string } | null;
  readonly expectedValue: number;
  readonly guardrail: unknown;
  readonly alreadyDecided: boolean;
  readonly candidates: readonly unknown[];
}

/** The next best action for one customer right now, computed live and not stored. */
export async function nextBestAction<Tx>(
  deps: DecideDeps<Tx>,
  customerId: string,
  now: Date,
): Promise<NextBestAction | null> {
  const t = now.getTime();
  const nowIso = iso(t);
  const [state] = await deps.loadStates({ customerIds: [customerId], asOf: nowIso });
  if (!state) return null;
  const since = iso(t - Math.max(14, deps.config.guardrails.inFlightDays * 2) * DAY);
  const [scheduled, decided, outcomes] = await Promise.all([
    deps.decisions.scheduled(nowIso, since, [customerId]),
    deps.decisions.decidedKeys([customerId]),
    deps.decisions.outcomes(),
  ]);
  const plan = planDecisions(
    [
      {
        state,
        input: { type: 'Rescored', at: t },
        scheduled: scheduled.get(customerId) ?? [],
        decided: new Set(),
        inGlobalControl: deps.isInGlobalControl(customerId),
      },
    ],
    { config: deps.config, outcomes, now: t, incentiveBudgetLeftMinor: Infinity },
  );
  const done = decided.get(customerId) ?? new Set<string>();
  // A duplicate is the same action already on its way: still this customer's next best action.
  const usable = plan.decisions.filter(
    (p) => p.verdict !== null && (p.verdict.type !== 'skip' || p.verdict.reason === 'duplicate'),
  );
  const ev = (p: PlannedDecision): number =>
    p.decision.candidates.find((c) => c.actionId === p.decision.chosen)?.ev ?? 0;
  const best = [...usable].sort((a, b) => ev(b) - ev(a))[0] ?? plan.decisions[0];
  if (!best) {
    return {
      customerId,
      asOf: nowIso,
      action: null,
      reason: 'no trigger is active for this customer now',
      trigger: null,
      expectedValue: 0,
      guardrail: null,
      alreadyDecided: false,
      candidates: [],
    };
  }
  const verdict = best.verdict;
  const onItsWay = verdict?.type === 'skip' && verdict.reason === 'duplicate';
  return {
    customerId,
    asOf: nowIso,
    // An action already on its way is still the answer; any other skip means nothing to do now.
    action: verdict && (verdict.type !== 'skip' || onItsWay) ? best.decision.chosen : null,
    reason:
      verdict?.type === 'skip'
        ? `${best.decision.reason}; not sent: ${verdict.reason}`
        : best.decision.reason,
    trigger: { type: best.decision.trigger.type, key: best.decision.trigger.key },
    expectedValue: ev(best),
    guardrail: verdict && verdict.type !== 'skip' ? { ...verdict, sendAt: iso(verdict.sendAt) } : verdict,
    alreadyDecided: done.has(best.decision.trigger.key) || onItsWay,
    candidates: best.decision.candidates,
  };
}

export { segmentOf };
