/**
 * `patron decide`: after a nightly rescore, learn from the outcomes of earlier messages, then run
 * the triggers, the next-best-action policy and the guardrails for every customer (or the ones
 * named), storing each decision and enqueuing its message in the outbox.
 */
import { decideCustomers, recordDecisionOutcomes } from '../../app/decide.js';
import { outboxWiring } from '../../app/decide-outbox.js';
import type { Store } from '../../store/database.js';
import { decisionIdOf, decisionRepository, loadDecisioningConfig } from '../../store/decision-repository.js';
import { loadDecisionStates } from '../../store/decision-state-repository.js';
import { money, print, UsageError } from '../context.js';

export interface DecideFlags {
  at?: string;
  customer?: string[];
  learnWindowDays: number;
  journeyHoldout: number;
  json?: boolean;
}

export async function runDecide(store: Store, flags: DecideFlags, clock: Date): Promise<void> {
  const now = flags.at === undefined ? clock : new Date(flags.at);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--at: "${flags.at}" is not an ISO 8601 time`);
  if (!(flags.journeyHoldout >= 0 && flags.journeyHoldout < 1)) {
    throw new UsageError('--journey-holdout must be a share from 0 to below 1');
  }
  const config = await loadDecisioningConfig(store);
  const wiring = await outboxWiring(store, config, { now, journeyHoldout: flags.journeyHoldout });
  const decisions = decisionRepository(store);
  const deps = {
    loadStates: (o: Parameters<typeof loadDecisionStates>[1]) => loadDecisionStates(store, o),
    decisions,
    config,
    ...wiring,
  };
  const started = performance.now();
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
