#!/usr/bin/env node
/**
 * `patron` — the command line. Thin: parses flags, calls the same use cases as the HTTP server,
 * and maps errors to exit codes (0 ok, 1 the work failed or lines were rejected, 2 usage/config).
 */
import fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { createApiKey, parseScopes } from '../app/api-keys.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { migrateToLatest } from '../store/migrate.js';
import { openStore } from '../store/database.js';
import { loadConfig } from '../config/load-config.js';
import { settingsStore } from '../store/settings-repository.js';
import {
  InvalidDecisioningSettingsError,
  loadDecisioningSettings,
  saveDecisioningSettings,
} from '../store/decision-repository.js';
import { print, UsageError, withStore, type GlobalFlags } from './context.js';
import { parseFormat, runImport } from './commands/import.js';
import { runServer } from './commands/serve.js';
import { runGenerate } from './commands/generate.js';
import { runDemo } from './commands/demo.js';
import { runReport } from './commands/report.js';
import { runEvaluate } from './commands/evaluate.js';
import { runScore } from './commands/score.js';
import { runDecide } from './commands/decide.js';
import { runSend, type SendFlags } from './commands/send.js';
import {
  runBanditRefresh,
  runExperimentCreate,
  runExperimentReport,
  runPower,
} from './commands/experiments.js';
import { runTextAnalyze, runTextAnalyzeStore, runTextThemes, type ThemesFlags } from './commands/text.js';
import { registerLoyaltyProgrammeCommands } from './commands/loyalty-programme.js';
import { programmeHooks } from '../store/loyalty-programme-ledger.js';
import { runChurnEvaluate, runChurnScore, runChurnTrain, runFeaturesExport } from './commands/churn.js';
import {
  runAdvocacyCompute,
  runAdvocacyTop,
  runSegmentsCompute,
  runSegmentsRefresh,
  runSegmentsTransitions,
  runTimingCompute,
} from './commands/segments.js';
import {
  runRecommendDue,
  runRecommendEvaluate,
  runRecommendShow,
  runRecommendTrain,
} from './commands/recommend.js';
import {
  runBalance,
  runConfigSet,
  runConfigShow,
  runLoyalty,
  runReconcile,
  runSecretShow,
  runTokenCreate,
} from './commands/loyalty.js';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

const program = new Command()
  .name('patron')
  .description('Patron — self-hosted AI retention and loyalty engine for online stores')
  .option(
    '--db <url>',
    'database URL: sqlite:PATH or postgres://… (default sqlite:./.patron/patron.db, or PATRON_DATABASE_URL)',
  )
  .showHelpAfterError()
  .exitOverride();

const globals = (): GlobalFlags => program.opts<GlobalFlags>();

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const config = loadConfig(process.env, { db: globals().db });
    const store = openStore(config.databaseUrl);
    try {
      const r = await migrateToLatest(store);
      const applied = r.results?.filter((m) => m.status === 'Success').map((m) => m.migrationName) ?? [];
      print(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
    } finally {
      await store.close();
    }
  });

program
  .command('serve')
  .description('serve the HTTP API (Segment-compatible ingestion, profiles)')
  .option('--port <n>', 'port (default 8787, or PATRON_PORT)')
  .option('--host <host>', 'interface to listen on (default 127.0.0.1, or PATRON_HOST)')
  .action(async (o: { port?: string; host?: string }) => {
    await withStore(globals(), (store, config) => runServer(store, config), o);
  });

program
  .command('import')
  .description('import a file of events or orders (resumable; re-running imports nothing twice)')
  .argument('<file>')
  .requiredOption('--format <format>', 'events-jsonl | orders-csv | shopify-orders-csv | cdnow')
  .option('--rejects <path>', 'where to write rejected lines (default FILE.rejects.jsonl)')
  .option('--json', 'print the summary as JSON')
  .action(async (file: string, o: { format: string; rejects?: string; json?: boolean }) => {
    const format = parseFormat(o.format);
    const summary = await withStore(globals(), (store) =>
      runImport(store, file, format, {
        ...(o.rejects ? { rejectsPath: o.rejects } : {}),
        quiet: o.json === true,
      }),
    );
    if (o.json) print(JSON.stringify({ ...summary, rejects: undefined }));
    if (summary.rejected > 0) process.exitCode = 1;
  });

program
  .command('generate')
  .description('generate a synthetic store (Segment JSONL events + ground truth), deterministic for a seed')
  .option('--customers <n>', 'number of customers', int('--customers'), 20_000)
  .option('--seed <s>', 'random seed', int('--seed'), 42)
  .option('--weeks <n>', 'weeks of history', int('--weeks'), 104)
  .option('--start <date>', 'first day of the history, YYYY-MM-DD (default 2025-01-06)')
  .requiredOption('--out <dir>', 'output directory')
  .action(async (o: { customers: number; seed: number; weeks: number; start?: string; out: string }) => {
    if (
      o.start !== undefined &&
      (!/^\d{4}-\d{2}-\d{2}$/.test(o.start) || Number.isNaN(Date.parse(o.start)))
    ) {
      throw new UsageError(`--start: "${o.start}" is not a date (YYYY-MM-DD)`);
    }
    await runGenerate(o);
  });

program
  .command('demo')
  .description('generate a store, import it into the database and print a summary')
  .option('--customers <n>', 'number of customers', int('--customers'), 5_000)
  .option('--seed <s>', 'random seed', int('--seed'), 42)
  .action(async (o: { customers: number; seed: number }) => {
    await withStore(globals(), (store) => runDemo(store, o));
  });

program
  .command('evaluate')
  .description('backtest the CLV models: fit up to the calibration end, compare with the holdout')
  .requiredOption('--calibration-end <date>', 'last day of the calibration period (YYYY-MM-DD, inclusive)')
  .requiredOption('--holdout-end <date>', 'last day of the holdout (YYYY-MM-DD, inclusive)')
  .option('--time-unit <unit>', 'day | week | month', 'week')
  .option('--json', 'print the report as JSON')
  .action(async (o: { calibrationEnd: string; holdoutEnd: string; timeUnit: string; json?: boolean }) => {
    await withStore(globals(), (store) => runEvaluate(store, o));
  });

const number = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return n;
};

program
  .command('score')
  .description("write every customer's CLV predictions (P(alive), expected purchases, CLV) to the database")
  .option('--as-of <date>', 'score as of this day (YYYY-MM-DD; default: the day of the latest order)')
  .option('--horizon-days <n>', 'CLV horizon in days', int('--horizon-days'), 365)
  .option('--margin <m>', 'profit margin in [0, 1]', number('--margin'), 0.3)
  .option('--discount-rate <d>', 'annual discount rate', number('--discount-rate'), 0.1)
  .option('--json', 'print the summary as JSON')
  .action(
    async (o: {
      asOf?: string;
      horizonDays: number;
      margin: number;
      discountRate: number;
      json?: boolean;
    }) => {
      await withStore(globals(), (store) => runScore(store, o, new Date()));
    },
  );

program
  .command('decide')
  .description('learn from outcomes, then decide the next best action for every customer (after a rescore)')
  .option('--at <time>', 'decide as of this ISO 8601 time (default: now)')
  .option('--customer <id...>', 'only these customers (Patron ids)')
  .option(
    '--learn-window-days <n>',
    'a purchase within this many days of a message is a response',
    int('--learn-window-days'),
    28,
  )
  .option(
    '--journey-holdout <share>',
    "share of each journey held out as its control (default: the store's decisioning.experiments.journeyHoldout, 0.1)",
    number('--journey-holdout'),
  )
  .option('--events', 'act on the orders placed and delivered recently instead of a rescore pass')
  .option(
    '--lookback-hours <n>',
    'with --events: how far back an event is still worth acting on',
    number('--lookback-hours'),
    48,
  )
  .option('--json', 'print the summary as JSON')
  .action(
    async (o: {
      at?: string;
      customer?: string[];
      learnWindowDays: number;
      journeyHoldout?: number;
      events?: boolean;
      lookbackHours: number;
      json?: boolean;
    }) => {
      await withStore(globals(), (store) => runDecide(store, o, new Date()));
    },
  );

program
  .command('report')
  .description('the store at a glance: customers, orders, revenue and the latest CLV scores')
  .option('--json', 'print as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runReport(store, o.json === true));
  });

const churn = program.command('churn').description('churn risk with reasons: train, score, evaluate');
const churnSplit = (c: Command): Command =>
  c
    .option(
      '--calibration-end <date>',
      'last day of the feature period (YYYY-MM-DD; default: one window before the last order)',
    )
    .option('--holdout-end <date>', 'last day of the label window (YYYY-MM-DD; default: the last order day)')
    .option(
      '--window-days <n>',
      'churn window in days (default: 90th percentile of gaps between orders)',
      int('--window-days'),
    )
    .option('--seed <s>', 'random seed', int('--seed'))
    .option('--json', 'print as JSON');
/** The flags `churnSplit` adds to `churn train` and `churn evaluate`. */
interface ChurnSplitFlags {
  calibrationEnd?: string;
  holdoutEnd?: string;
  windowDays?: number;
  seed?: number;
  json?: boolean;
}

churnSplit(
  churn.command('train').description('train, evaluate on the holdout and store a new churn model version'),
).action(async (o: ChurnSplitFlags) => {
  await withStore(globals(), (store) => runChurnTrain(store, o));
});
churnSplit(
  churn.command('evaluate').description('holdout metrics of the churn model (nothing stored)'),
).action(async (o: ChurnSplitFlags) => {
  await withStore(globals(), (store) => runChurnEvaluate(store, o));
});
churn
  .command('score')
  .description("score every customer's churn risk with reasons and a driver; report feature drift")
  .option('--as-of <date>', 'score as of the end of this day (YYYY-MM-DD; default: the last order day)')
  .option('--json', 'print the summary as JSON')
  .action(async (o: { asOf?: string; json?: boolean }) => {
    await withStore(globals(), (store) => runChurnScore(store, o));
  });

const recommend = program
  .command('recommend')
  .description('recommendations and replenishment: train, evaluate, show, due');
recommend
  .command('train')
  .description('learn item similarities, popularity and replenishment intervals; store them for requests')
  .option('--as-of <date>', 'train on the history through this day (YYYY-MM-DD; default: the last order day)')
  .option('--json', 'print the summary as JSON')
  .action(async (o: { asOf?: string; json?: boolean }) => {
    await withStore(globals(), (store) => runRecommendTrain(store, o));
  });
recommend
  .command('evaluate')
  .description('offline evaluation, last order held out: hit rate, NDCG, coverage against baselines')
  .option('--diversity <share>', 'share of slots for unexplored categories, 0–1', number('--diversity'))
  .option('--k <n>', 'list length', int('--k'))
  .option('--json', 'print as JSON')
  .action(async (o: { diversity?: number; k?: number; json?: boolean }) => {
    if (o.diversity !== undefined && o.diversity > 1) throw new UsageError('--diversity must be from 0 to 1');
    if (o.k !== undefined && o.k < 1) throw new UsageError('--k must be at least 1');
    await withStore(globals(), (store) => runRecommendEvaluate(store, o));
  });
recommend
  .command('show')
  .description("a customer's recommendations, with reasons")
  .argument('<id>', "Patron id (cus_…) or the store's userId")
  .option('--placement <p>', 'post_purchase | email | home', 'home')
  .option('--limit <n>', 'how many (1–50)', int('--limit'), 10)
  .action(async (id: string, o: { placement: string; limit: number }) => {
    if (!['post_purchase', 'email', 'home'].includes(o.placement))
      throw new UsageError('--placement must be post_purchase, email or home');
    if (o.limit < 1 || o.limit > 50) throw new UsageError('--limit must be from 1 to 50');
    await withStore(globals(), (store) =>
      runRecommendShow(store, id, { placement: o.placement as 'home', limit: o.limit }),
    );
  });
recommend
  .command('due')
  .description("a customer's cycled products with run-out days and what is due")
  .argument('<id>', "Patron id (cus_…) or the store's userId")
  .option('--as-of <date>', 'as of this day (YYYY-MM-DD; default today)')
  .action(async (id: string, o: { asOf?: string }) => {
    await withStore(globals(), (store) => runRecommendDue(store, id, o));
  });

for (const [verb, description] of [
  ['send', 'send the due messages of the outbox (retries with backoff; many workers may run at once)'],
  ['worker', 'the sender worker (same as send): runs until SIGINT/SIGTERM'],
] as const) {
  program
    .command(verb)
    .description(description)
    .option('--until-empty', 'stop when no message is due instead of waiting for more')
    .option('--batch <n>', 'messages claimed at a time', int('--batch'), 64)
    .option('--concurrency <n>', 'sends in flight at once', int('--concurrency'), 8)
    .option(
      '--send-timeout-ms <n>',
      'abandon (and retry) a send after this long',
      int('--send-timeout-ms'),
      30_000,
    )
    .option(
      '--lease-ms <n>',
      'how long a claim holds (default 10 minutes; must outlast a batch)',
      int('--lease-ms'),
    )
    .option('--max-attempts <n>', 'attempts before a message is dead-lettered', int('--max-attempts'), 8)
    .option('--poll-ms <n>', 'wait between polls when nothing is due', int('--poll-ms'), 1000)
    .option('--worker-id <id>', 'name of this worker in leases and attempt records')
    .option(
      '--smtp <url>',
      'SMTP server, smtp://user:pass@host:port (or PATRON_SMTP_URL; default: write files)',
    )
    .option(
      '--outbox-dir <dir>',
      'folder for the file channel (or PATRON_OUTBOX_DIR; default ./.patron/outbox)',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (o: SendFlags) => {
      await withStore(globals(), (store) => runSend(store, o));
    });
}

const experiments = program
  .command('experiments')
  .description('holdouts, A/B tests and bandits: define, report, size');
experiments
  .command('report')
  .argument('<id>', 'experiment id (exp_…)')
  .description('uplift with confidence intervals, save rate, incremental revenue, ROI and power')
  .option(
    '--target-lift <x>',
    'absolute lift the power section sizes for (default 0.02)',
    number('--target-lift'),
  )
  .option('--json', 'print as JSON')
  .action(async (id: string, o: { json?: boolean; targetLift?: number }) => {
    await withStore(globals(), (store) => runExperimentReport(store, id, o));
  });
experiments
  .command('create')
  .description('define an experiment (an existing id is left unchanged)')
  .requiredOption('--id <id>', 'exp_<name>')
  .requiredOption('--name <name>', 'what it tests')
  .option('--kind <kind>', 'holdout | ab | bandit', 'holdout')
  .option('--holdout <share>', 'share held out as control, 0 to 1', number('--holdout'), 0.1)
  .option('--variants <list>', 'comma-separated variant names (default: treatment)')
  .option('--window-days <n>', 'attribution window in days', int('--window-days'), 30)
  .option(
    '--retained-days <n>',
    'an order in the last N days of the window counts as retained (default: its second half)',
    int('--retained-days'),
  )
  .option('--cost-minor <n>', 'cost per treated customer in minor units (for ROI)', int('--cost-minor'), 0)
  .option('--margin <m>', 'gross margin on revenue, 0 to 1 (for ROI)', number('--margin'), 0.3)
  .option('--json', 'print as JSON')
  .action(
    async (o: {
      id: string;
      name: string;
      kind: string;
      holdout: number;
      variants?: string;
      windowDays: number;
      retainedDays?: number;
      costMinor: number;
      margin: number;
      json?: boolean;
    }) => {
      await withStore(globals(), (store) => runExperimentCreate(store, o));
    },
  );
experiments
  .command('refresh')
  .argument('<id>', 'bandit experiment id')
  .description("update a bandit's arm posteriors from the outcomes of matured exposures")
  .action(async (id: string) => {
    await withStore(globals(), (store) => runBanditRefresh(store, id));
  });
experiments
  .command('power')
  .description('customers and weeks a holdout test needs to detect a lift (two-proportion z-test)')
  .requiredOption('--baseline <rate>', 'control conversion rate, e.g. 0.08', number('--baseline'))
  .requiredOption('--lift <x>', 'absolute lift to detect, e.g. 0.02', number('--lift'))
  .option('--holdout <share>', 'share held out as control', number('--holdout'), 0.1)
  .requiredOption('--per-week <n>', 'customers entering the journey per week', number('--per-week'))
  .option('--json', 'print as JSON')
  .action((o: { baseline: number; lift: number; holdout: number; perWeek: number; json?: boolean }) => {
    runPower(o);
  });

const features = program.command('features').description('feature matrices');
features
  .command('export')
  .description('write the churn training/test matrix as CSV: customer_id, split, label, features…')
  .requiredOption('--calibration-end <date>', 'last day of the feature period (YYYY-MM-DD)')
  .requiredOption('--holdout-end <date>', 'last day of the label window (YYYY-MM-DD)')
  .requiredOption('--out <file>', 'CSV file to write')
  .option('--json', 'print the summary as JSON')
  .action(async (o: { calibrationEnd: string; holdoutEnd: string; out: string; json?: boolean }) => {
    await withStore(globals(), (store) => runFeaturesExport(store, o));
  });

const segments = program.command('segments').description('RFM segments and behavioural clusters');
segments
  .command('compute')
  .description('score RFM and cluster every customer; store memberships and record transitions')
  .option(
    '--as-of <date>',
    'as of the end of this day (YYYY-MM-DD) or an ISO time (default: the last order day)',
  )
  .option('--seed <s>', 'random seed of the clustering', int('--seed'))
  .option('--json', 'print the summary as JSON')
  .action(async (o: { asOf?: string; seed?: number; json?: boolean }) => {
    await withStore(globals(), (store) => runSegmentsCompute(store, o));
  });
segments
  .command('refresh')
  .description('re-score recency with the kept boundaries and record time-driven transitions (run daily)')
  .option('--as-of <date>', 'as of this day’s end (YYYY-MM-DD) or an ISO time (default: now)')
  .option('--json', 'print the summary as JSON')
  .action(async (o: { asOf?: string; json?: boolean }) => {
    await withStore(globals(), (store) => runSegmentsRefresh(store, o));
  });
segments
  .command('transitions')
  .description('segment transitions since a time')
  .requiredOption('--since <time>', 'ISO time or YYYY-MM-DD')
  .option('--from <segment>', 'only moves out of this segment')
  .option('--to <segment>', 'only moves into this segment')
  .option('--limit <n>', 'at most this many', int('--limit'), 1000)
  .option('--json', 'print as JSON')
  .action(async (o: { since: string; from?: string; to?: string; limit: number; json?: boolean }) => {
    await withStore(globals(), (store) => runSegmentsTransitions(store, o));
  });

const advocacy = program.command('advocacy').description('advocacy scores');
advocacy
  .command('compute')
  .description("score every customer's advocacy (NPS, reviews, referrals, community, repeat, breadth)")
  .option('--json', 'print the summary as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runAdvocacyCompute(store, o));
  });
advocacy
  .command('top')
  .description('the customers most likely to advocate, with reasons')
  .option('--limit <n>', 'how many', int('--limit'), 20)
  .option('--json', 'print as JSON')
  .action(async (o: { limit: number; json?: boolean }) => {
    await withStore(globals(), (store) => runAdvocacyTop(store, o));
  });

const timing = program.command('timing').description('send time, channel and review-request timing');
timing
  .command('compute')
  .description(
    "every customer's hours of the week, best send time and channel; review request per delivered order",
  )
  .option('--json', 'print the summary as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runTimingCompute(store, o));
  });

const loyalty = program
  .command('loyalty')
  .description(
    'the loyalty programme: the ledger (run, reconcile, balance, token, secret, config), tiers, challenges, rewards, referrals',
  );
loyalty
  .command('run')
  .description("turn the store's new events into points (exactly once), then release and expire lots")
  .option('--json', 'print the summary as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runLoyalty(store, { ...o, hooks: programmeHooks(store) }));
  });
loyalty
  .command('reconcile')
  .description('prove every balance is derivable from the postings (exit 1 on any mismatch)')
  .option('--json', 'print the report as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runReconcile(store, o));
  });
loyalty
  .command('balance')
  .argument('<customer>', "Patron id (cus_…) or the store's userId")
  .description("a member's balances and latest entries, each explained")
  .action(async (customer: string) => {
    await withStore(globals(), (store) => runBalance(store, customer));
  });
const loyaltyToken = loyalty.command('token').description('customer tokens for the customer-facing API');
loyaltyToken
  .command('create')
  .description("sign a short-lived customer token with the store's loyalty secret (for demos and tests)")
  .requiredOption('--customer <id>', "the store's userId (or a Patron id)")
  .option('--ttl <seconds>', 'lifetime in seconds (at most 86400)', int('--ttl'), 900)
  .option('--json', 'print as JSON')
  .action(async (o: { customer: string; ttl: number; json?: boolean }) => {
    if (o.ttl < 1 || o.ttl > 86_400) throw new UsageError('--ttl must be from 1 to 86400 seconds');
    await withStore(globals(), (store) => runTokenCreate(store, o));
  });
loyalty
  .command('secret')
  .description("print the store's loyalty secret (the store's backend signs customer tokens with it)")
  .action(async () => {
    await withStore(globals(), (store) => runSecretShow(store));
  });
const loyaltyConfig = loyalty.command('config').description('the versioned programme configuration');
loyaltyConfig.command('show').action(async () => {
  await withStore(globals(), (store) => runConfigShow(store));
});
loyaltyConfig
  .command('set')
  .description('activate a new version now: the JSON file is merged over the active version')
  .requiredOption('--file <path>', 'JSON object with the fields to change')
  .option('--note <text>', 'why')
  .action(async (o: { file: string; note?: string }) => {
    await withStore(globals(), (store) => runConfigSet(store, o));
  });

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('create an API key; the secret is printed once and only its hash is stored')
  .requiredOption('--name <name>', 'what the key is for')
  .requiredOption('--scopes <list>', 'comma-separated: ingest, read, admin')
  .option('--json', 'print as JSON')
  .action(async (o: { name: string; scopes: string; json?: boolean }) => {
    let scopes;
    try {
      scopes = parseScopes(o.scopes);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { record, secret } = await withStore(globals(), (store) =>
      createApiKey(apiKeyStore(store), { name: o.name, scopes, now: new Date().toISOString() }),
    );
    if (o.json) print(JSON.stringify({ ...record, secret }));
    else {
      print(`Created key ${record.id} "${record.name}" with scopes ${record.scopes.join(', ')}.`);
      print(`Secret (shown once, store it now): ${secret}`);
    }
  });
keys
  .command('list')
  .option('--json', 'print as JSON')
  .action(async (o: { json?: boolean }) => {
    const list = await withStore(globals(), (store) => apiKeyStore(store).list());
    if (o.json) print(JSON.stringify(list));
    else
      for (const k of list)
        print(
          `${k.id}  ${k.prefix}…  ${k.scopes.join(',').padEnd(18)} ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}`,
        );
  });
keys
  .command('revoke')
  .argument('<id>')
  .action(async (id: string) => {
    const done = await withStore(globals(), (store) =>
      apiKeyStore(store).revoke(id, new Date().toISOString()),
    );
    if (!done) throw new UsageError(`no active key with id ${id}`);
    print(`Revoked ${id}.`);
  });

const settings = program
  .command('settings')
  .description("the store's settings (currency and exchange rates)");
settings.command('show').action(async () => {
  const s = await withStore(globals(), (store) => settingsStore(store).currencySettings());
  print(JSON.stringify(s, null, 2));
});
settings
  .command('set')
  .option('--base-currency <code>', "the store's base currency (ISO 4217)")
  .option(
    '--rate <CUR=rate...>',
    'exchange rate: 1 unit of CUR = rate units of the base currency (repeatable)',
  )
  .action(async (o: { baseCurrency?: string; rate?: string[] }) => {
    await withStore(globals(), async (store) => {
      const s = settingsStore(store);
      const current = await s.currencySettings();
      const rates: Record<string, number> = { ...current.rates };
      for (const r of o.rate ?? []) {
        const m = /^([A-Za-z]{3})=(\d+(\.\d+)?)$/.exec(r);
        if (!m) throw new UsageError(`--rate: "${r}" should look like EUR=1.08`);
        rates[(m[1] as string).toUpperCase()] = Number(m[2]);
      }
      const next = { baseCurrency: o.baseCurrency?.toUpperCase() ?? current.baseCurrency, rates };
      await s.setCurrencySettings(next, new Date().toISOString());
      print(JSON.stringify(next, null, 2));
    });
  });

settings
  .command('decisioning')
  .description(
    'show the decisioning overrides (budget, thresholds, quiet hours, caps, disabled actions, catalog, experiments), or replace them with --file',
  )
  .option(
    '--file <FILE.json>',
    'a JSON object of overrides to store (validated; replaces the previous overrides)',
  )
  .action(async (o: { file?: string }) => {
    await withStore(globals(), async (store) => {
      if (o.file === undefined) {
        print(JSON.stringify(await loadDecisioningSettings(store), null, 2));
        return;
      }
      let input: unknown;
      try {
        input = JSON.parse(fs.readFileSync(o.file, 'utf8'));
      } catch (e) {
        throw new UsageError(`--file: ${e instanceof Error ? e.message : String(e)}`);
      }
      try {
        print(JSON.stringify(await saveDecisioningSettings(store, input, new Date()), null, 2));
      } catch (e) {
        if (e instanceof InvalidDecisioningSettingsError) throw new UsageError(e.message);
        throw e;
      }
    });
  });

const customers = program.command('customers').description('customer profiles');
customers
  .command('show')
  .argument('<id>', "Patron id (cus_…) or the store's userId")
  .action(async (id: string) => {
    const profile = await withStore(globals(), async (store) =>
      findCustomerProfile(store, id, (await settingsStore(store).currencySettings()).baseCurrency),
    );
    if (!profile) throw new UsageError(`no customer with id or userId "${id}"`);
    print(JSON.stringify(profile, null, 2));
  });

const text = program
  .command('text')
  .description('sentiment and themes of reviews, tickets and survey comments');
text
  .command('analyze')
  .description('analyse each line of FILE (- for standard input): one JSON object per line out')
  .argument('<file>')
  .action(async (file: string) => {
    await runTextAnalyze(file);
  });
text
  .command('analyze-store')
  .description("analyse the store's reviews, tickets and survey comments not analysed yet (exactly once)")
  .option('--json', 'print the summary as JSON')
  .action(async (o: { json?: boolean }) => {
    await withStore(globals(), (store) => runTextAnalyzeStore(store, o, () => new Date()));
  });
text
  .command('themes')
  .description('theme trends by month (negative / mentions) and the complaints that rose this month')
  .option('--product <id>', 'one product')
  .option('--theme <theme>', 'shipping | quality | sizing | price | service | packaging | ease_of_use')
  .option('--source <source>', 'review | ticket | survey')
  .option('--from <YYYY-MM>', 'first month (default: five months before --to)')
  .option('--to <YYYY-MM>', 'last month (default: this month)')
  .option('--json', 'print the report as JSON')
  .action(async (o: ThemesFlags) => {
    await withStore(globals(), (store) => runTextThemes(store, o, new Date()));
  });
// Tiers, challenges, rewards, referrals (the programme modules) on the same `loyalty` command.
registerLoyaltyProgrammeCommands(loyalty, globals);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`patron: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`patron: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.PATRON_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  }
}

await main();
