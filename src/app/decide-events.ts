/**
 * Deciding on events as they happen: every order placed and every order delivered in the last
 * `lookbackHours` that has not been acted on yet goes through the triggers, the policy and the
 * guardrails (`decideCustomers` with that event as input), oldest first. Exactly once: an event is
 * acted on when the decision of the trigger it always fires is stored (`eventTriggerKey`), and
 * that decision and its message carry unique keys, so a rerun, an overlap of two runs or a crash
 * between them decides nothing twice. Events older than the lookback are left alone: a confirmation
 * for an order placed last year is not a confirmation (an imported history triggers nothing).
 */
import { eventTriggerKey, type DecisionInput } from '../domain/decisioning/triggers.js';
import { decideCustomers, type DecideDeps, type DecisionRepository } from './decide.js';

export interface RecentEvent {
  readonly customerId: string;
  readonly input: Exclude<DecisionInput, { type: 'Rescored' }>;
}

export interface EventDecisionSummary {
  /** Relevant events in the lookback window. */
  readonly events: number;
  /** Of those, already acted on before this run. */
  readonly alreadyDecided: number;
  readonly decisions: number;
  readonly messages: number;
  readonly tasks: number;
  readonly byAction: Readonly<Record<string, number>>;
}

/**
 * `acted` (the decisions repository) answers which events were acted on; `deps` (the outbox and experiment wiring, which
 * costs reads of its own) is built only when an event is still to act on — on most runs of the
 * server's 5-second tick there is none.
 */
export async function decideOnRecentEvents<Tx>(
  acted: Pick<DecisionRepository<Tx>, 'decidedKeys'>,
  deps: () => Promise<DecideDeps<Tx>>,
  recent: (since: string, until: string) => Promise<readonly RecentEvent[]>,
  options: {
    readonly now: Date;
    readonly lookbackHours: number;
    readonly decisionIdOf: (customerId: string, triggerKey: string) => string;
  },
): Promise<EventDecisionSummary> {
  const until = options.now.toISOString();
  const since = new Date(options.now.getTime() - options.lookbackHours * 3_600_000).toISOString();
  const events = await recent(since, until);
  const decided = await acted.decidedKeys([...new Set(events.map((e) => e.customerId))]);
  let wired: DecideDeps<Tx> | null = null;
  let alreadyDecided = 0;
  let decisions = 0;
  let messages = 0;
  let tasks = 0;
  const byAction: Record<string, number> = {};
  for (const e of events) {
    const key = eventTriggerKey(e.customerId, e.input);
    if (key !== null && decided.get(e.customerId)?.has(key)) {
      alreadyDecided++;
      continue;
    }
    wired ??= await deps();
    const s = await decideCustomers(wired, {
      now: options.now,
      customerIds: [e.customerId],
      input: e.input,
      decisionIdOf: options.decisionIdOf,
    });
    decisions += s.stored;
    messages += s.messages;
    tasks += s.tasks;
    for (const [a, n] of Object.entries(s.byAction)) byAction[a] = (byAction[a] ?? 0) + n;
  }
  return { events: events.length, alreadyDecided, decisions, messages, tasks, byAction };
}
