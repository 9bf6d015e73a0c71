/**
 * The whole loop on the synthetic store: each simulated week, ingest the simulator's events,
 * rescore (CLV and churn; the churn model is trained once, at the end of the warm-up), decide for
 * every customer (triggers → next best action → guardrails → outbox, with journey holdouts and the
 * global control group), send what is due through the sender, and apply what was sent (or done by
 * a person, for tasks) back to the simulator so its customers respond. After the acting weeks the
 * store runs on until every exposure's attribution window has closed; then the experiment reports.
 *
 * Used by test/e2e/decision-loop.test.ts (small, in `npm test`) and bench/loop.ts (big).
 */
import { scoreChurn, trainChurn } from '../../src/app/churn.js';
import { decideCustomers, recordDecisionOutcomes, type DecideDeps } from '../../src/app/decide.js';
import { outboxWiring } from '../../src/app/decide-outbox.js';
import { ingestBatch } from '../../src/app/ingest-events.js';
import { scoreCustomers } from '../../src/app/score-customers.js';
import type { DecisioningConfig } from '../../src/domain/decisioning/plan.js';
import { defaultDecisioningConfig } from '../../src/domain/decisioning/plan.js';
import { churnHistoryStore } from '../../src/store/churn-history-repository.js';
import { churnStore } from '../../src/store/churn-repository.js';
import { clvScoreStore } from '../../src/store/clv-score-repository.js';
import type { Store } from '../../src/store/database.js';
import { decisionIdOf, decisionRepository } from '../../src/store/decision-repository.js';
import { loadDecisionStates } from '../../src/app/decision-states.js';
import { eventStore } from '../../src/store/event-repository.js';
import { orderHistoryStore } from '../../src/store/order-history-repository.js';
import type { Tx } from '../../src/store/transaction.js';
import { createSimulator, type RetentionAction, type Simulator } from '../../src/synth/index.js';

const DAY = 86_400_000;

/** What the simulator understands of each catalog action (the rest change nothing there). */
export function retentionActionOf(actionId: string): RetentionAction | null {
  const price = /^churn_save_price_(\d+)$/.exec(actionId);
  if (price) return { type: 'discount', percent: Number(price[1]) };
  switch (actionId) {
    case 'churn_save_service':
      return { type: 'service_outreach' };
    case 'churn_save_quality':
      return { type: 'quality_apology' };
    case 'churn_save_disengagement':
      return { type: 'content' };
    case 'win_back':
      return { type: 'discount', percent: 15 };
    default:
      return null;
  }
}

export interface LoopOptions {
  readonly customers: number;
  readonly seed: number;
  /** Simulator horizon (weeks). */
  readonly weeks: number;
  /** Weeks of history before the engine starts acting (the churn model is trained then). */
  readonly warmupWeeks: number;
  /** Weeks the engine acts. */
  readonly actWeeks: number;
  readonly journeyHoldout: number;
  readonly windowDays: number;
  /** Retained = an order in the window's last this-many days (default: its second half). */
  readonly retainedDays?: number;
  readonly config?: DecisioningConfig;
  /**
   * Sends every message due by `until` through the real sender and channels; returns how many
   * went out. The loop reads the outbox's `sent` status to know what reached the customer.
   */
  readonly send: (until: Date) => Promise<number>;
  readonly log?: (line: string) => void;
  /**
   * A positive control of the measurement, never a product mode: replace the churn model's scores
   * by the simulator's ground truth (at risk = the true churn is 0–12 weeks away; the true driver),
   * so the engine targets exactly whom the generator's actions can save. Labelled as such wherever
   * its figures are shown.
   */
  readonly oracleTargeting?: boolean;
}

export interface LoopResult {
  readonly sim: Simulator;
  readonly now: Date;
  readonly weeks: ReadonlyArray<{
    week: number;
    events: number;
    decisions: number;
    messages: number;
    tasks: number;
    sent: number;
    applied: number;
    byStatus: Record<string, number>;
  }>;
  readonly triggers: Record<string, number>;
  readonly applied: ReadonlyArray<{
    decisionId: string;
    actionId: string;
    userId: string;
    at: string;
    saved: boolean;
    reason: string;
    /** The simulator's pending churn time just before the action (ground truth, for the reference uplift). */
    churnTimeBefore: string | null;
  }>;
  readonly seconds: number;
}

async function ingestAll(store: Store, events: readonly unknown[], receivedAt: string): Promise<void> {
  const es = eventStore(store);
  for (let i = 0; i < events.length; i += 2000) {
    const r = await ingestBatch(es, events.slice(i, i + 2000), {
      currency: { baseCurrency: 'USD', rates: { EUR: 1 / 0.92, GBP: 1 / 0.79 } },
      receivedAt,
    });
    if (!r.ok) throw new Error(`synthetic events rejected: ${JSON.stringify(r.error.slice(0, 3))}`);
  }
}

const day = (t: number): string => new Date(t - DAY).toISOString().slice(0, 10);

/** See `oracleTargeting`: churn scores from the simulator's truth (positive control only). */
async function oracleScores(store: Store, sim: Simulator, now: Date): Promise<void> {
  const rows = await store.db
    .selectFrom('churn_scores')
    .innerJoin('customers', 'customers.id', 'churn_scores.customer_id')
    .select(['churn_scores.customer_id', 'customers.user_id'])
    .execute();
  for (const r of rows) {
    const truth = r.user_id === null ? undefined : sim.truthOf(r.user_id);
    if (!truth) continue;
    const churnAt = truth.churnTime === null ? null : Date.parse(truth.churnTime);
    const inWindow = churnAt !== null && churnAt > now.getTime() && churnAt - now.getTime() <= 12 * 7 * DAY;
    await store.db
      .updateTable('churn_scores')
      .set({
        probability: inWindow ? 0.8 : 0.05,
        driver: inWindow && truth.driver !== 'none' ? truth.driver : null,
      })
      .where('customer_id', '=', r.customer_id)
      .execute();
  }
}

export async function runDecisionLoop(store: Store, o: LoopOptions): Promise<LoopResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const config = o.config ?? defaultDecisioningConfig;
  const sim = createSimulator({ customers: o.customers, seed: o.seed, weeks: o.weeks });
  const weeks: LoopResult['weeks'][number][] = [];
  const applied: Array<LoopResult['applied'][number]> = [];
  const done = new Set<string>();
  let deps: DecideDeps<Tx> | null = null;
  const endActing = o.warmupWeeks + o.actWeeks;
  const endAll = Math.min(o.weeks, endActing + Math.ceil(o.windowDays / 7) + 1);
  while (!sim.done && sim.week < endAll) {
    const events = sim.step();
    await ingestAll(store, events, sim.now);
    const now = new Date(sim.now);
    const row = {
      week: sim.week,
      events: events.length,
      decisions: 0,
      messages: 0,
      tasks: 0,
      sent: 0,
      applied: 0,
      byStatus: {} as Record<string, number>,
    };
    if (sim.week === o.warmupWeeks) {
      const trained = await trainChurn(churnHistoryStore(store), churnStore(store), { now, seed: o.seed });
      if (!trained.ok) throw new Error(trained.error.message);
      log(`week ${sim.week}: churn model trained (holdout AUC ${trained.value.evaluation.auc.toFixed(3)})`);
      const wiring = await outboxWiring(store, config, {
        now,
        journeyHoldout: o.journeyHoldout,
        windowDays: o.windowDays,
        ...(o.retainedDays !== undefined ? { retainedDays: o.retainedDays } : {}),
      });
      deps = {
        loadStates: (x) => loadDecisionStates(store, x),
        decisions: decisionRepository(store),
        config,
        ...wiring,
      };
    }
    if (deps && sim.week >= o.warmupWeeks && sim.week < endActing) {
      const asOf = day(now.getTime());
      const clv = await scoreCustomers(orderHistoryStore(store), clvScoreStore(store), {
        asOf,
        scoredAt: now.toISOString(),
        currency: 'USD',
      });
      if (!clv.ok) throw new Error(clv.error.message);
      const churn = await scoreChurn(churnHistoryStore(store), churnStore(store), { asOf, now });
      if (!churn.ok) throw new Error(churn.error.message);
      if (o.oracleTargeting) await oracleScores(store, sim, now);
      await recordDecisionOutcomes(deps, { now, windowDays: 28 });
      const s = await decideCustomers(deps, { now, decisionIdOf });
      row.decisions = s.stored;
      row.messages = s.messages;
      row.tasks = s.tasks;
      row.byStatus = { ...s.byStatus };
    }
    if (deps) {
      // Everything due before the next step goes out now (the simulator acts at week boundaries).
      row.sent = await o.send(new Date(now.getTime() + 7 * DAY - 1));
      const reached = await store.db
        .selectFrom('decisions')
        .innerJoin('customers', 'customers.id', 'decisions.customer_id')
        .leftJoin('outbox_messages', 'outbox_messages.id', 'decisions.message_id')
        .select([
          'decisions.id',
          'decisions.chosen_action',
          'decisions.status',
          'customers.user_id',
          'outbox_messages.status as message_status',
        ])
        .where((eb) =>
          eb.or([eb('outbox_messages.status', '=', 'sent'), eb('decisions.status', '=', 'task')]),
        )
        .execute();
      for (const r of reached) {
        if (done.has(r.id) || r.chosen_action === null || r.user_id === null) continue;
        done.add(r.id);
        const action = retentionActionOf(r.chosen_action);
        if (!action) continue;
        const churnTimeBefore = sim.truthOf(r.user_id)?.churnTime ?? null;
        const outcome = sim.applyAction(r.user_id, action);
        applied.push({
          churnTimeBefore,
          decisionId: r.id,
          actionId: r.chosen_action,
          userId: r.user_id,
          at: sim.now,
          saved: outcome.saved,
          reason: outcome.reason,
        });
        row.applied++;
      }
    }
    weeks.push(row);
    if (deps)
      log(
        `week ${row.week}: ${row.events} events, ${row.decisions} decisions, ${row.messages} queued, ${row.sent} sent, ${row.applied} applied ${JSON.stringify(row.byStatus)}`,
      );
  }
  const triggers: Record<string, number> = {};
  for (const r of await store.db.selectFrom('decisions').select('trigger_type').execute()) {
    triggers[r.trigger_type] = (triggers[r.trigger_type] ?? 0) + 1;
  }
  return {
    sim,
    now: new Date(sim.now),
    weeks,
    triggers,
    applied,
    seconds: (performance.now() - started) / 1000,
  };
}
