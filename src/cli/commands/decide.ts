/**
 * `patron decide`: after a nightly rescore, learn from the outcomes of earlier messages, then run
 * the triggers, the next-best-action policy and the guardrails for every customer (or the ones
 * named), storing each decision and enqueuing its message in the outbox.
 */
import { decideCustomers, recordDecisionOutcomes, type DecideDeps } from '../../app/decide.js';
import { decideOnRecentEvents, type EventDecisionSummary } from '../../app/decide-events.js';
import { outboxWiring } from '../../app/decide-outbox.js';
import type { Store } from '../../store/database.js';
import { decisionIdOf, decisionRepository, loadDecisioningConfig } from '../../store/decision-repository.js';
import { recentDecisionEvents } from '../../store/decision-event-repository.js';
import { loadDecisionStates } from '../../app/decision-states.js';
import { money, print, UsageError } from '../context.js';

export interface DecideFlags {
  at?: string;
  customer?: string[];
  learnWindowDays: number;
  /** Overrides the store's `decisioning.experiments.journeyHoldout` for this pass. */
  journeyHoldout?: number;
  events?: boolean;
  lookbackHours: number;
  json?: boolean;
}

/** The decision pass's dependencies over the store: states, decisions, the outbox and the holdouts. */
export async function decideDeps(store: Store, now: Date, journeyHoldout?: number): Promise<DecideDeps> {
  const config = await loadDecisioningConfig(store);
  const wiring = await outboxWiring(store, config, {
    now,
    ...(journeyHoldout !== undefined ? { journeyHoldout } : {}),
  });
  return {
    loadStates: (o) => loadDecisionStates(store, o),
    decisions: decisionRepository(store),
    config,
    ...wiring,
  };
}

/** Acts on the orders placed and delivered in the last `lookbackHours` not acted on yet (see app/decide-events.ts). */
export async function runEventDecisions(
  store: Store,
  o: { now: Date; lookbackHours: number; journeyHoldout?: number },
): Promise<EventDecisionSummary> {
  return decideOnRecentEvents(
    decisionRepository(store),
    () => decideDeps(store, o.now, o.journeyHoldout),
    recentDecisionEvents(store),
    { now: o.now, lookbackHours: o.lookbackHours, decisionIdOf },
  );
}

export async function runDecide(store: Store, flags: DecideFlags, clock: Date): Promise<void> {
  const now = flags.at === undefined ? clock : new Date(flags.at);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--at: "${flags.at}" is not an ISO 8601 time`);
  if (flags.journeyHoldout !== undefined && !(flags.journeyHoldout >= 0 && flags.journeyHoldout < 1)) {
    throw new UsageError('--journey-holdout must be a share from 0 to below 1');
  }
  if (!(flags.lookbackHours > 0)) throw new UsageError('--lookback-hours must be a positive number');
  const started = performance.now();
  if (flags.events) {
    const s = await runEventDecisions(store, {
      now,
      lookbackHours: flags.lookbackHours,
      ...(flags.journeyHoldout !== undefined ? { journeyHoldout: flags.journeyHoldout } : {}),
    });
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) {
      print(JSON.stringify({ ...s, seconds }, null, 2));
      return;
    }
    print(
      `Acted on the events of the last ${flags.lookbackHours} h in ${seconds.toFixed(1)} s: ${s.events} orders placed or delivered, ${s.alreadyDecided} already acted on; ${s.decisions} new decisions, ${s.messages} messages queued, ${s.tasks} tasks for people.`,
    );
    for (const [action, n] of Object.entries(s.byAction).sort((a, b) => b[1] - a[1]))
      print(`  ${action.padEnd(28)} ${n}`);
    return;
  }
  const deps = await decideDeps(store, now, flags.journeyHoldout);
  const learned = await recordDecisionOutcomes(deps, { now, windowDays: flags.learnWindowDays });
  const summary = await decideCustomers(deps, {
    now,
    decisionIdOf,
    ...(flags.customer && flags.customer.length > 0 ? { customerIds: flags.customer } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  if (flags.json) {
    print(JSON.stringify({ ...summary, learned, seconds }, null, 2));
    return;
  }
  print(
    `Decided for ${summary.customers.toLocaleString('en-US')} customers in ${seconds.toFixed(1)} s: ${summary.stored} new decisions, ${summary.messages} messages queued, ${summary.tasks} tasks for people.`,
  );
  for (const [status, n] of Object.entries(summary.byStatus).sort()) print(`  ${status.padEnd(10)} ${n}`);
  for (const [action, n] of Object.entries(summary.byAction).sort((a, b) => b[1] - a[1]))
    print(`  ${action.padEnd(28)} ${n}`);
  print(`  Incentives reserved: ${money(summary.incentiveReservedMinor, 'USD')}`);
  print(`  Outcomes learned: ${learned.observed} messages, ${learned.responded} responded.`);
}
