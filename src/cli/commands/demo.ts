import path from 'node:path';
import type { Store } from '../../store/database.js';
import { settingsStore } from '../../store/settings-repository.js';
import { print } from '../context.js';
import { printStoreReport, storeReport } from './report.js';
import { runScore } from './score.js';
import { runImport } from './import.js';
import { runGenerate } from './generate.js';
import { scoreChurn, trainChurn } from '../../app/churn.js';
import { churnHistoryStore } from '../../store/churn-history-repository.js';
import { churnStore } from '../../store/churn-repository.js';
import { printLoyaltyDemo, runLoyalty } from './loyalty.js';
import { printProgrammeDemo, runProgrammeDemo } from './loyalty-programme-demo.js';
import { tierOf } from '../../store/loyalty-programme-ledger.js';
import { computeAdvocacy } from '../../app/advocacy.js';
import { decideCustomers } from '../../app/decide.js';
import { computeSegmentsRun } from '../../app/segments.js';
import { computeTiming } from '../../app/timing.js';
import { advocacyStore } from '../../store/advocacy-repository.js';
import { customerSignalSource } from '../../store/customer-signals-repository.js';
import { decisionIdOf } from '../../store/decision-repository.js';
import { segmentStore } from '../../store/segment-repository.js';
import { timingStore } from '../../store/timing-repository.js';
import { decideDeps } from './decide.js';
import { runSend } from './send.js';

/**
 * The demo store's two years of history end on 2026-11-16 (a fixed date keeps it deterministic for
 * a seed; a Monday, as the simulator's weeks start on Mondays).
 */
const DEMO_START = '2024-11-18';

/** Rates the synthetic store needs (it sells in USD with some EUR and GBP orders). */
const DEMO_RATES = { EUR: 1.08, GBP: 1.27 };

/** Runs one step of the demo, telling the user (on stderr, beside the progress bars) how long it took. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  process.stderr.write(`${name}…\n`);
  const r = await fn();
  process.stderr.write(`${name}: done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  return r;
}

export async function runDemo(store: Store, o: { customers: number; seed: number }): Promise<void> {
  const started = Date.now();
  const dir = path.join('.patron', `demo-${o.customers}-${o.seed}`);
  print(
    `Patron demo: a synthetic store of ${o.customers.toLocaleString('en-US')} customers (seed ${o.seed}).`,
  );
  const events = await runGenerate(
    { customers: o.customers, seed: o.seed, start: DEMO_START, out: dir },
    true,
  );

  const settings = settingsStore(store);
  const current = await settings.currencySettings();
  const missing = Object.entries(DEMO_RATES).filter(([c]) => current.rates[c] === undefined);
  if (current.baseCurrency === 'USD' && missing.length > 0) {
    await settings.setCurrencySettings(
      { baseCurrency: 'USD', rates: { ...Object.fromEntries(missing), ...current.rates } },
      new Date().toISOString(),
    );
  }

  const summary = await runImport(store, events, 'events-jsonl', { quiet: true });
  await step('lifetime value (BG/NBD, Gamma-Gamma)', () =>
    runScore(store, { horizonDays: 365, margin: 0.3, discountRate: 0.1, quiet: true }, new Date()),
  );
  // Churn risk with reasons: train a model version, then score every customer (histories loaded once).
  const churn = await step('churn risk with reasons', async () => {
    const histories = churnHistoryStore(store).load();
    const churnSource = { load: () => histories };
    const trained = await trainChurn(churnSource, churnStore(store), { now: new Date() });
    return trained.ok ? await scoreChurn(churnSource, churnStore(store), { now: new Date() }) : trained;
  });
  if (!churn.ok) throw new Error(`churn: ${churn.error.message}`);
  // The store's customers earn points from their orders, reviews, referrals and community help.
  const loyalty = await step('loyalty points', () =>
    // Only the tier multiplier here: the next step replays the tiers month by month over the
    // history, and tiers evaluated today first would make it skip the replay (time only moves on).
    runLoyalty(store, { quiet: true, hooks: { tierOf: tierOf(store) } }),
  );
  // …climb tiers, complete personal challenges over the last months of history, and redeem rewards.
  const at = new Date().toISOString();
  const programme = await step('tiers, challenges and rewards', () =>
    runProgrammeDemo(store, { end: '2026-11-16T00:00:00.000Z', now: at, seed: o.seed }),
  );
  // Knowing each customer (segments, advocacy, send times), then acting: the next best action for
  // every customer under the guardrails, and the messages due now sent — to files in the demo.
  const acting = await step('segments, next best actions and messages', async () => {
    const now = new Date();
    const signals = customerSignalSource(store);
    const segments = await computeSegmentsRun(signals, segmentStore(store), { now, seed: o.seed });
    if (!segments.ok) throw new Error(`segments: ${segments.error.message}`);
    await computeAdvocacy(signals, advocacyStore(store), { now });
    await computeTiming(signals, timingStore(store), { now });
    const decided = await decideCustomers(await decideDeps(store, now, 0.1), { now, decisionIdOf });
    const sent = await runSend(store, {
      untilEmpty: true,
      // `patron send`'s defaults
      batch: 64,
      concurrency: 8,
      sendTimeoutMs: 30_000,
      maxAttempts: 8,
      pollMs: 1_000,
      outboxDir: path.join('.patron', 'outbox'),
      quiet: true,
    });
    return { segments: segments.value, decided, sent };
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  print('');
  print(
    `Imported ${summary.accepted.toLocaleString('en-US')} new events (${summary.duplicates.toLocaleString('en-US')} already stored, ${summary.rejected} rejected) into ${store.dialect} and scored every customer in ${seconds} s.`,
  );
  print(
    `Churn model ${churn.value.modelVersion}: ${churn.value.customers.toLocaleString('en-US')} customers scored with reasons, ${churn.value.atRisk.toLocaleString('en-US')} at risk (≥ 0.5).`,
  );
  print('');
  printStoreReport(await storeReport(store));
  print('');
  await printLoyaltyDemo(store, loyalty);
  await printProgrammeDemo(store, programme, at);
  const d = acting.decided;
  const top = (xs: Record<string, number>) =>
    Object.entries(xs)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ') || 'none new';
  print(
    `Segments: ${acting.segments.segments
      .slice(0, 5)
      .map((g) => `${g.segment} ${g.customers.toLocaleString('en-US')}`)
      .join(', ')}, …; ${acting.segments.k} behavioural clusters.`,
  );
  print(
    `Next best actions: ${d.decisions.toLocaleString('en-US')} decisions for ${d.customers.toLocaleString('en-US')} customers (${top(d.byStatus)}); actions: ${top(d.byAction)}; ${d.tasks} tasks for people.`,
  );
  print(
    `Messages: ${acting.sent.sent.toLocaleString('en-US')} due now sent to .patron/outbox (files: the demo's channel), ${acting.sent.suppressed} suppressed at send time; the rest wait for their send time (quiet hours, best hour).`,
  );
  print('');
  print('Next:');
  print('  npx patron keys create --name storefront --scopes ingest,read   # an API key');
  print(
    '  npx patron serve                                                # the API on http://127.0.0.1:8787',
  );
  print(
    '  npx patron customers show u_1                                   # one profile, with its predictions',
  );
  print('  npx patron report                                               # this summary again');
  print(
    "  npx patron loyalty balance u_1                                  # a member's points, each entry explained",
  );
  print(
    '  npx patron loyalty reconcile                                    # prove every balance from the postings',
  );
  print(
    '  npx patron decide --events                                      # act on new orders and deliveries',
  );
  if (summary.rejected > 0) process.exitCode = 1;
}
