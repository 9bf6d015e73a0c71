/**
 * Throughput of the text analyser.
 *
 * 1. In memory: the synthetic store's reviews, tickets and comments and the 1,000 Yelp sentences,
 *    analysed `--rounds` times after a warm-up (texts/s and µs per text, one core).
 * 2. In the store: the synthetic store imported into SQLite, then `patron text analyze-store`'s use
 *    case over it (read the events, analyse, write analyses and theme mentions).
 *
 *   npx tsx bench/text-throughput.ts [--customers N] [--seed S] [--rounds R] [--dir DIR]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importFile } from '../src/app/import-file.js';
import { analyzeStoreTexts } from '../src/app/text.js';
import { textAnalyzer } from '../src/app/text-analyzer.js';
import { parseLabelledSentences } from '../src/domain/models/text/evaluate.js';
import { textOfEvent } from '../src/domain/models/text/sources.js';
import { openStore } from '../src/store/database.js';
import { eventStore } from '../src/store/event-repository.js';
import { importRunStore } from '../src/store/import-run-repository.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { textStore } from '../src/store/text-repository.js';
import { writeStore } from '../src/synth/index.js';
import { sharedDataPath } from '../test/support/shared-data.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '42' },
    rounds: { type: 'string', default: '5' },
    dir: { type: 'string' },
  },
});
const customers = Number(args.customers);
const seed = Number(args.seed);
const dir = args.dir ?? path.join('.patron', 'bench', `text-${customers}-${seed}`);
const db = path.join(dir, 'patron.db');

if (!fs.existsSync(path.join(dir, 'events.jsonl'))) await writeStore(dir, { customers, seed });

// 1. In memory.
const texts: string[] = [];
for (const line of fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n')) {
  if (
    !line.includes('Product Reviewed') &&
    !line.includes('Ticket Opened') &&
    !line.includes('Survey Answered')
  ) {
    continue;
  }
  const e = JSON.parse(line) as { event?: string; properties?: Record<string, unknown> };
  const t = e.event && e.properties ? textOfEvent(e.event, e.properties) : null;
  if (t) texts.push(t.text);
}
const synthCount = texts.length;
for (const s of parseLabelledSentences(
  fs.readFileSync(sharedDataPath('reviews', 'yelp_labelled.txt'), 'utf8'),
)) {
  texts.push(s.text);
}
const chars = texts.reduce((s, t) => s + t.length, 0);
const loadStart = performance.now();
const analyzer = textAnalyzer();
analyzer.analyze('warm up the model');
const loadMs = performance.now() - loadStart;
for (const t of texts.slice(0, 2000)) analyzer.analyze(t);
const rounds = Number(args.rounds);
const perRound: number[] = [];
for (let r = 0; r < rounds; r++) {
  const start = performance.now();
  for (const t of texts) analyzer.analyze(t);
  perRound.push((performance.now() - start) / 1000);
}
perRound.sort((a, b) => a - b);
const median = perRound[Math.floor(rounds / 2)] as number;

// 2. In the store.
if (!fs.existsSync(db)) {
  const s = openStore(`sqlite:${db}`);
  await migrateToLatest(s);
  await importFile({
    path: path.join(dir, 'events.jsonl'),
    format: 'events-jsonl',
    events: eventStore(s),
    runs: importRunStore(s),
    currency: { baseCurrency: 'USD', rates: { EUR: 1.087, GBP: 1.266 } },
    now: () => new Date(),
  });
  await s.close();
}
const store = openStore(`sqlite:${db}`);
await migrateToLatest(store);
await store.db.deleteFrom('text_theme_mentions').execute();
await store.db.deleteFrom('text_analyses').execute();
const summary = await analyzeStoreTexts(textStore(store), analyzer, { now: () => new Date() });
const rerun = await analyzeStoreTexts(textStore(store), analyzer, { now: () => new Date() });
await store.close();

console.log(
  `Text analysis throughput: ${customers} synthetic customers (seed ${seed}), node ${process.version}`,
);
console.log('| step | texts | seconds | texts/s | µs/text |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| load wink-nlp + model | | ${(loadMs / 1000).toFixed(2)} | | |`);
console.log(
  `| analyse in memory (${synthCount} synthetic + 1000 Yelp; median of ${rounds}; ${(chars / texts.length).toFixed(0)} chars/text) | ${texts.length} | ${median.toFixed(2)} | ${Math.round(texts.length / median).toLocaleString('en-US')} | ${((median / texts.length) * 1e6).toFixed(0)} |`,
);
console.log(
  `| analyze-store on SQLite (read events, analyse, write) | ${summary.analyzed} | ${summary.seconds.toFixed(2)} | ${Math.round(summary.analyzed / summary.seconds).toLocaleString('en-US')} | ${((summary.seconds / summary.analyzed) * 1e6).toFixed(0)} |`,
);
console.log(
  `| analyze-store again (nothing new: scan only) | ${rerun.analyzed} | ${rerun.seconds.toFixed(2)} | | |`,
);
