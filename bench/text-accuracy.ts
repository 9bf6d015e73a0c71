/**
 * Accuracy of the sentiment and theme analyser.
 *
 * 1. Yelp (out of domain, never tuned on): the 1,000 labelled sentences of
 *    ../shared/data/reviews/yelp_labelled.txt, the whole file as a test set.
 * 2. The synthetic store (in domain, the development set the domain lexicon was written against):
 *    review texts against their star ratings, survey comments against their NPS class, and the
 *    themes of reviews, tickets and comments against the generator's templates (textThemesTruth).
 *
 *   npx tsx bench/text-accuracy.ts [--customers N] [--seed S] [--only yelp|synth]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { textAnalyzer } from '../src/app/text-analyzer.js';
import {
  classificationReport,
  evaluateSentiment,
  LABELS,
  npsLabel,
  parseLabelledSentences,
  ratingLabel,
  themeDetectionReport,
  type ClassificationReport,
} from '../src/domain/models/text/evaluate.js';
import { textOfEvent } from '../src/domain/models/text/sources.js';
import { labelOf, type SentimentLabel } from '../src/domain/models/text/analyze.js';
import { generateStore } from '../src/synth/index.js';
import { textThemesTruth } from '../src/synth/text.js';
import { sharedDataPath } from '../test/support/shared-data.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '7' },
    only: { type: 'string' },
  },
});
const analyzer = textAnalyzer();
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function printReport(title: string, r: ClassificationReport): void {
  console.log(`\n## ${title} (n = ${r.n})`);
  console.log(
    `accuracy ${pct(r.accuracy)} · macro-F1 ${r.macroF1.toFixed(3)} · predicted neutral ${pct(r.neutralShare)} · accuracy where not neutral ${pct(r.accuracyDecided)}`,
  );
  console.log('| truth \\ predicted | negative | neutral | positive |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const t of LABELS) {
    const row = r.confusion[t];
    if (row.negative + row.neutral + row.positive === 0) continue;
    console.log(`| ${t} | ${row.negative} | ${row.neutral} | ${row.positive} |`);
  }
  for (const [label, c] of Object.entries(r.perClass)) {
    console.log(
      `  ${label.padEnd(8)} precision ${c.precision.toFixed(3)} recall ${c.recall.toFixed(3)} F1 ${c.f1.toFixed(3)}`,
    );
  }
}

if (args.only !== 'synth') {
  const sentences = parseLabelledSentences(
    fs.readFileSync(sharedDataPath('reviews', 'yelp_labelled.txt'), 'utf8'),
  );
  printReport('Yelp labelled sentences, whole file, out of domain', evaluateSentiment(analyzer, sentences));
  // Reference: wink-nlp's own document sentiment, labelled with the same ±0.05 band.
  const wink = winkNLP(model, ['sbd', 'negation', 'sentiment']);
  const winkOnly = {
    analyze: (text: string) => {
      const score = wink.readDoc(text).out(wink.its.sentiment) as unknown as number;
      return { score, label: labelOf(score), themes: [] };
    },
  };
  printReport('Reference: wink-nlp sentiment alone on the same file', evaluateSentiment(winkOnly, sentences));
}

if (args.only !== 'yelp') {
  const store = generateStore({ customers: Number(args.customers), seed: Number(args.seed) });
  const reviews: Array<{ truth: SentimentLabel; predicted: SentimentLabel }> = [];
  const surveys: Array<{ truth: SentimentLabel; predicted: SentimentLabel }> = [];
  const themeItems: Array<Parameters<typeof themeDetectionReport>[0][number]> = [];
  let texts = 0;
  for (const e of store.events) {
    if (e.type !== 'track') continue;
    const t = textOfEvent(e.event, e.properties);
    if (!t) continue;
    texts++;
    const a = analyzer.analyze(t.text);
    if (t.source === 'review' && t.rating !== null)
      reviews.push({ truth: ratingLabel(t.rating), predicted: a.label });
    if (t.source === 'survey' && t.nps !== null) surveys.push({ truth: npsLabel(t.nps), predicted: a.label });
    themeItems.push({ truth: textThemesTruth(t.text), detected: a.themes });
  }
  console.log(`\nSynthetic store: ${args.customers} customers, seed ${args.seed}, ${texts} texts`);
  printReport(
    'Synthetic reviews against their rating (1–2 negative, 3 neutral, 4–5 positive)',
    classificationReport(reviews),
  );
  const binary = reviews.filter((r) => r.truth !== 'neutral');
  printReport('Synthetic reviews rated 1–2 or 4–5', classificationReport(binary));
  printReport('Synthetic survey comments against NPS (0–6, 7–8, 9–10)', classificationReport(surveys));
  const th = themeDetectionReport(themeItems);
  console.log(`\n## Themes against the generator's templates (reviews, tickets, comments)`);
  console.log('| theme | in truth | detected | both | precision | recall | F1 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [theme, c] of Object.entries(th.perTheme)) {
    console.log(
      `| ${theme} | ${c.truth} | ${c.detected} | ${c.hits} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} | ${c.f1.toFixed(3)} |`,
    );
  }
  console.log(
    `micro-F1 ${th.microF1.toFixed(3)} · polarity agrees on ${pct(th.polarityAgreement)} of ${th.polarityChecked} detected themes with a non-neutral truth`,
  );
}
