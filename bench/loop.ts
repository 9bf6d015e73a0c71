/**
 * The whole loop, big: the synthetic store runs for simulated weeks with the engine acting on it
 * (test/support/decision-loop.ts: ingest → rescore → triggers → decide → guardrails → outbox →
 * the sender to a real local SMTP server → the sent actions applied back to the simulator), then
 * the experiment reports of the churn-save and win-back journeys and of the global control group,
 * beside the uplift the generator really produced (from its ground truth: the customers a
 * treatment saved who then bought in the window — without the save they would not have bought).
 *
 * A save shows in retention (an order in the window's last `--retained-days`, after the
 * generator's 12-week at-risk horizon), not in "bought at all in the window".
 *
 *   npx tsx bench/loop.ts [--customers 10000] [--seed 7] [--holdout 0.5] [--retained-days 98] [--oracle]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { experimentReport, retainedDaysOf } from '../src/app/experiment-report.js';
import { applyDecisioningSettings } from '../src/domain/decisioning/config.js';
import { openStore } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { runDecisionLoop } from '../test/support/decision-loop.js';
import { loopSender } from '../test/support/loop-sender.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '7' },
    holdout: { type: 'string', default: '0.5' },
    warmup: { type: 'string', default: '60' },
    'act-weeks': { type: 'string', default: '12' },
    'window-days': { type: 'string', default: '182' },
    /** Default: the window after the generator's 12-week at-risk horizon (182 − 84). */
    'retained-days': { type: 'string', default: '98' },
    /** Positive control: target by the simulator's truth instead of the churn model. */
    oracle: { type: 'boolean', default: false },
  },
});
const customers = Number(args.customers);
const seed = Number(args.seed);
const windowDays = Number(args['window-days']);
const retainedDays = Number(args['retained-days']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-loop-bench-'));
const store = openStore(`sqlite:${path.join(dir, 'patron.db')}`);
await migrateToLatest(store);
const sink = await startSmtpSink({ keepRaw: false });
const result = await runDecisionLoop(store, {
  customers,
  seed,
  weeks: 104,
  warmupWeeks: Number(args.warmup),
  actWeeks: Number(args['act-weeks']),
  journeyHoldout: Number(args.holdout),
  windowDays,
  retainedDays,
  config: applyDecisioningSettings({ churnRiskThreshold: 0.3 }),
  send: await loopSender(store, sink.url, path.join(dir, 'files')),
  log: (l) => console.error(l),
  oracleTargeting: args.oracle,
});

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const ci = (e: { estimate: number; lower: number; upper: number }) =>
  `${pct(e.estimate)} [${pct(e.lower)}, ${pct(e.upper)}]`;
console.log(
  `\n${customers.toLocaleString('en-US')} customers, seed ${seed}, journey holdout ${args.holdout}, window ${windowDays} days, targeting ${args.oracle ? "ORACLE (the simulator's truth; positive control)" : 'the churn model'}, ${result.seconds.toFixed(0)} s`,
);
console.log(`triggers: ${JSON.stringify(result.triggers)}`);
const sent = await store.db
  .selectFrom('outbox_messages')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('status', '=', 'sent')
  .executeTakeFirstOrThrow();
console.log(
  `messages sent: ${sent.n}; received by the SMTP server: ${sink.received.length}; distinct Message-IDs: ${sink.counts().size}`,
);
const byAction: Record<string, Record<string, number>> = {};
for (const a of result.applied) {
  byAction[a.actionId] ??= {};
  byAction[a.actionId]![a.reason] = (byAction[a.actionId]![a.reason] ?? 0) + 1;
}
console.log(`actions applied to the simulator (its outcome per action): ${JSON.stringify(byAction)}`);

// Ground truth: the customers a treatment saved, who then bought within the window after it.
const exposures = await store.db.selectFrom('experiment_exposures').selectAll().execute();
const users = new Map(
  (await store.db.selectFrom('customers').select(['id', 'user_id']).execute()).map((r) => [r.user_id, r.id]),
);
const orders = await store.db.selectFrom('orders').select(['customer_id', 'placed_at']).execute();
const ordersBy = new Map<string, number[]>();
for (const o of orders)
  ordersBy.set(o.customer_id, [...(ordersBy.get(o.customer_id) ?? []), Date.parse(o.placed_at)]);
// Without the save the customer stops buying at the pending churn time: a purchase in the window
// is caused by the save when it comes after that time and the customer had none in the window before it.
const saves = new Map<string, { at: number; churnBefore: number }>();
for (const a of result.applied) {
  if (a.saved && a.churnTimeBefore)
    saves.set(users.get(a.userId) ?? '', {
      at: Date.parse(a.at),
      churnBefore: Date.parse(a.churnTimeBefore),
    });
}

console.log(
  '\n| experiment | arm | customers | purchase rate [95 % CI] | purchase uplift [95 % CI] | retention rate [95 % CI] | retention uplift [95 % CI] | true retention uplift (generator) | save rate uplift [95 % CI] |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const id of ['exp_journey_churn_save', 'exp_journey_win_back', 'exp_global_control']) {
  const view = await experimentReport(store.db, id, result.now);
  if (!view) continue;
  const windowMs = view.experiment.windowDays * 86_400_000;
  for (const arm of view.report.arms) {
    const cmp = view.report.comparisons.find((c) => c.variant === arm.variant);
    const mature = exposures.filter(
      (e) =>
        e.experiment_id === id &&
        e.variant === arm.variant &&
        Date.parse(e.exposed_at) + windowMs <= result.now.getTime(),
    );
    // Retention caused by a save: saved after the exposure, would have churned before the
    // retention period (so no order in it without the save), and has an order in it.
    const retainedMs = retainedDaysOf(view.experiment) * 86_400_000;
    const caused = mature.filter((e) => {
      const sv = saves.get(e.customer_id);
      const from = Date.parse(e.exposed_at);
      if (!sv || sv.at < from) return false;
      const activeFrom = from + windowMs - retainedMs;
      return (
        sv.churnBefore < activeFrom &&
        (ordersBy.get(e.customer_id) ?? []).some((t) => t >= activeFrom && t < from + windowMs)
      );
    }).length;
    const sig = (x: { significant: boolean }) => (x.significant ? ' (significant)' : ' (CI covers 0)');
    console.log(
      `| ${id} | ${arm.variant} | ${arm.customers} | ${ci(arm.purchaseRate)} | ${cmp ? ci(cmp.purchaseUplift) + sig(cmp.purchaseUplift) : '—'} | ${ci(arm.retentionRate)} | ${cmp ? ci(cmp.retentionUplift) + sig(cmp.retentionUplift) : '—'} | ${arm.variant === 'control' ? '—' : pct(caused / Math.max(1, mature.length))} | ${cmp?.saveRateUplift ? ci(cmp.saveRateUplift) + sig(cmp.saveRateUplift) : '—'} |`,
    );
  }
}
await sink.close();
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
