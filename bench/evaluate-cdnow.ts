/**
 * `patron evaluate` and `patron score` end to end (database read, fits, learned CLV, holdout),
 * the import excluded.
 *
 *   npx tsx bench/evaluate-cdnow.ts [--runs 5]
 *       CDNOW sample, calibration to 1997-09-30, holdout to 1998-06-30, weeks.
 *   npx tsx bench/evaluate-cdnow.ts --synthetic 20000 [--seed 42] [--calibration-end 2026-07-05 --holdout-end 2027-01-03]
 *       the synthetic store (src/synth), with the fitted BG/NBD and Gamma–Gamma parameters next to
 *       ground-truth-params.json.
 *
 * Each database is a temporary SQLite file; the import is timed separately. Prints markdown tables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { eventStore } from '../src/store/event-repository.js';
import { importRunStore } from '../src/store/import-run-repository.js';
import { orderHistoryStore } from '../src/store/order-history-repository.js';
import { clvScoreStore } from '../src/store/clv-score-repository.js';
import { importFile, type ImportFormat } from '../src/app/import-file.js';
import { evaluateModels, type EvaluationReport } from '../src/app/evaluate-models.js';
import { scoreCustomers } from '../src/app/score-customers.js';
import { writeStore } from '../src/synth/index.js';
import { sharedDataPath } from '../test/support/shared-data.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const synthetic = arg('synthetic');
const runs = Number(arg('runs') ?? 5);
const seed = Number(arg('seed') ?? 42);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-bench-evaluate-'));
const store = openStore(`sqlite:${path.join(dir, 'patron.db')}`);
await migrateToLatest(store);

let file: string;
let format: ImportFormat;
let calibrationEnd: string;
let holdoutEnd: string;
let truth: Record<string, number> | null = null;
if (synthetic) {
  const out = path.join(dir, 'store');
  const t0 = performance.now();
  await writeStore(out, { customers: Number(synthetic), seed });
  console.log(
    `generated ${synthetic} customers (seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  file = path.join(out, 'events.jsonl');
  format = 'events-jsonl';
  calibrationEnd = arg('calibration-end') ?? '2026-07-05';
  holdoutEnd = arg('holdout-end') ?? '2027-01-03';
  const gt = JSON.parse(fs.readFileSync(path.join(out, 'ground-truth-params.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  truth = ((gt.params ?? gt) as Record<string, number>) ?? null;
} else {
  file = sharedDataPath('cdnow', 'CDNOW_sample.txt');
  format = 'cdnow';
  calibrationEnd = '1997-09-30';
  holdoutEnd = '1998-06-30';
}

const currency = { baseCurrency: 'USD', rates: { EUR: 1.08, GBP: 1.27 } };
let t = performance.now();
const imported = await importFile({
  path: file,
  format,
  events: eventStore(store),
  runs: importRunStore(store),
  currency,
  now: () => new Date('2030-01-01T00:00:00Z'),
});
const importSeconds = (performance.now() - t) / 1000;

const orders = orderHistoryStore(store);
const times: number[] = [];
let report: EvaluationReport | undefined;
for (let k = 0; k < runs; k++) {
  t = performance.now();
  const r = await evaluateModels(orders, { calibrationEnd, holdoutEnd, timeUnit: 'week', currency: 'USD' });
  times.push((performance.now() - t) / 1000);
  if (!r.ok) throw new Error(r.error.message);
  report = r.value;
}
t = performance.now();
const scored = await scoreCustomers(orders, clvScoreStore(store), {
  scoredAt: '2030-01-01T00:00:00.000Z',
  currency: 'USD',
});
const scoreSeconds = (performance.now() - t) / 1000;
if (!scored.ok) throw new Error(scored.error.message);
await store.close();
fs.rmSync(dir, { recursive: true, force: true });

const r = report as EvaluationReport;
times.sort((a, b) => a - b);
const s = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
console.log(
  `\n${synthetic ? `synthetic store, ${synthetic} customers, seed ${seed}` : 'CDNOW sample'}: ${imported.accepted} events imported in ${importSeconds.toFixed(1)} s; calibration to ${calibrationEnd}, holdout to ${holdoutEnd}, weeks\n`,
);
console.log('| step | seconds |');
console.log('| --- | ---: |');
console.log(`| evaluate (median of ${runs}) | ${s(times[Math.floor(times.length / 2)] as number, 2)} |`);
console.log(
  `| evaluate (min / max) | ${s(times[0] as number, 2)} / ${s(times[times.length - 1] as number, 2)} |`,
);
console.log(
  `| score (${scored.value.customers} customers, as of ${scored.value.asOf}) | ${s(scoreSeconds, 2)} |`,
);
console.log(`\nfits: BG/NBD ${JSON.stringify(r.clv.bgnbd.params)} LL ${s(r.clv.bgnbd.logLikelihood, 1)}`);
console.log(
  `      Pareto/NBD ${JSON.stringify(r.clv.paretoNbd.params)} LL ${s(r.clv.paretoNbd.logLikelihood, 1)}`,
);
console.log(`      MBG/NBD ${JSON.stringify(r.clv.mbgnbd.params)} LL ${s(r.clv.mbgnbd.logLikelihood, 1)}`);
console.log(`      Gamma-Gamma ${JSON.stringify(r.clv.gammaGamma.params)}`);
if (truth) console.log(`truth: ${JSON.stringify(truth)}`);
console.log(
  `\ncalibration ${JSON.stringify(r.calibration)}; holdout: ${r.holdout.customers} customers, ${r.holdout.actualRepeatPurchases} repeat purchases\n`,
);
console.log('| model | predicted | MAE | RMSE | correlation |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const k of ['bgnbd', 'paretoNbd', 'mbgnbd', 'learned', 'naive'] as const) {
  console.log(
    `| ${k} | ${s(r.holdout.predicted[k], 0)} | ${s(r.holdout.mae[k])} | ${s(r.holdout.rmse[k])} | ${s(r.holdout.correlation[k])} |`,
  );
}
console.log(`\nspend: ${JSON.stringify(r.holdout.spend)}`);
console.log(`learned: ${JSON.stringify(r.learned)}`);
for (const w of r.warnings) console.log(`warning: ${w}`);
