/**
 * CLV model fitting and scoring speed, with parameter recovery on simulated data.
 *
 *   npx tsx bench/clv-fit.ts [--customers N] [--seed S] [--continuous] [--write-summary FILE.csv]
 *   npx tsx bench/clv-fit.ts --summary FILE.csv
 *
 * Without --summary, N customers (default 1,000,000) are simulated from a BG/NBD + Gamma–Gamma
 * process (CDNOW-like parameters, weeks on a day grid; --continuous: exact continuous time, so
 * recovery shows the fitter's own error). Prints a markdown table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRandom } from '../src/domain/random.js';
import * as bg from '../src/domain/models/clv/bg-nbd.js';
import { fitParetoNbd } from '../src/domain/models/clv/pareto-nbd.js';
import { conditionalExpectedAverageValue, fitGammaGamma } from '../src/domain/models/clv/gamma-gamma.js';
import { simulateBgNbdGammaGamma, type SimulatedSummary } from '../src/domain/models/clv/simulate.js';

const TRUE_BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const TRUE_GG = { p: 6.25, q: 3.74, gamma: 15.44 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function readSummary(path: string): SimulatedSummary {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const k = header.indexOf(name);
    if (k < 0) throw new Error(`${path}: no column ${name}`);
    return k;
  };
  const [f, r, t, m] = [col('frequency'), col('recency'), col('T'), col('monetary_value')];
  const n = lines.length - 1;
  const out: SimulatedSummary = {
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const cells = (lines[i + 1] as string).split(',');
    out.frequency[i] = Number(cells[f]);
    out.recency[i] = Number(cells[r]);
    out.T[i] = Number(cells[t]);
    out.monetaryValue[i] = Number(cells[m]);
  }
  return out;
}

function writeSummary(path: string, s: SimulatedSummary): void {
  const parts = ['frequency,recency,T,monetary_value\n'];
  for (let i = 0; i < s.frequency.length; i++) {
    parts.push(`${s.frequency[i]},${s.recency[i]},${s.T[i]},${s.monetaryValue[i]}\n`);
  }
  writeFileSync(path, parts.join(''));
}

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const value = fn();
  return [value, (performance.now() - t0) / 1000];
};
const fmt = (o: object): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${(v as number).toPrecision(4)}`)
    .join(', ');

const summaryPath = arg('summary');
const customers = Number(arg('customers') ?? 1_000_000);
const seed = Number(arg('seed') ?? 1);
let data: SimulatedSummary;
let generated = false;
if (summaryPath) {
  data = readSummary(summaryPath);
} else {
  const [sim, secs] = time(() =>
    simulateBgNbdGammaGamma(createRandom(seed), TRUE_BG, TRUE_GG, {
      customers,
      dayGrid: !process.argv.includes('--continuous'),
    }),
  );
  data = sim;
  generated = true;
  console.error(`simulated ${customers} customers (seed ${seed}) in ${secs.toFixed(2)} s`);
  const out = arg('write-summary');
  if (out) writeSummary(out, data);
}
const n = data.frequency.length;
let repeat = 0;
for (const x of data.frequency) if (x > 0) repeat++;

const rows: string[][] = [];
const [bgFit, tBgFit] = time(() => bg.fitBgNbd(data));
rows.push([
  'BG/NBD fit',
  String(n),
  tBgFit.toFixed(3),
  `${fmt(bgFit.params)}; LL ${bgFit.logLikelihood.toFixed(1)}; ${bgFit.iterations} it`,
]);

const pAlive = new Float64Array(n);
const expected = new Float64Array(n);
const [, tBgScore] = time(() => {
  for (let i = 0; i < n; i++) {
    const x = data.frequency[i] as number;
    const tx = data.recency[i] as number;
    const T = data.T[i] as number;
    pAlive[i] = bg.probabilityAlive(bgFit.params, x, tx, T);
    expected[i] = bg.expectedPurchases(bgFit.params, 39, x, tx, T);
  }
});
let sumExpected = 0;
for (const e of expected) sumExpected += e;
rows.push([
  'BG/NBD scoring (P(alive) + E[purchases, 39 wk])',
  String(n),
  tBgScore.toFixed(3),
  `Σ E = ${sumExpected.toFixed(0)}`,
]);

const [ggFit, tGgFit] = time(() => fitGammaGamma(data));
rows.push([
  'Gamma–Gamma fit',
  String(repeat),
  tGgFit.toFixed(3),
  `${fmt(ggFit.params)}; ${ggFit.iterations} it`,
]);

const value = new Float64Array(n);
const [, tGgScore] = time(() => {
  for (let i = 0; i < n; i++) {
    value[i] = conditionalExpectedAverageValue(
      ggFit.params,
      data.frequency[i] as number,
      data.monetaryValue[i] as number,
    );
  }
});
rows.push(['Gamma–Gamma scoring (E[value])', String(n), tGgScore.toFixed(3), '']);

const [pFit, tPFit] = time(() => fitParetoNbd(data));
rows.push([
  'Pareto/NBD fit',
  String(n),
  tPFit.toFixed(3),
  `${fmt(pFit.params)}; LL ${pFit.logLikelihood.toFixed(1)}; ${pFit.iterations} it`,
]);

console.log('| step | customers | seconds | result |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

if (generated) {
  console.log('\n| parameter | true | fitted | error |');
  console.log('|---|---:|---:|---:|');
  const rec = (name: string, truth: number, got: number) =>
    console.log(
      `| ${name} | ${truth} | ${got.toFixed(4)} | ${(((got - truth) / truth) * 100).toFixed(2)}% |`,
    );
  rec('BG/NBD r', TRUE_BG.r, bgFit.params.r);
  rec('BG/NBD α', TRUE_BG.alpha, bgFit.params.alpha);
  rec('BG/NBD a', TRUE_BG.a, bgFit.params.a);
  rec('BG/NBD b', TRUE_BG.b, bgFit.params.b);
  rec('Gamma–Gamma p', TRUE_GG.p, ggFit.params.p);
  rec('Gamma–Gamma q', TRUE_GG.q, ggFit.params.q);
  rec('Gamma–Gamma γ', TRUE_GG.gamma, ggFit.params.gamma);
}
