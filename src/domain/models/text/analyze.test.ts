import fs from 'node:fs';
import fc from 'fast-check';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test/support/shared-data.js';
import { createTextAnalyzer, labelOf, normaliseScore, type TextAnalysis } from './analyze.js';
import { evaluateSentiment, parseLabelledSentences } from './evaluate.js';
import { textOfEvent } from './sources.js';
import { winkTextNlp } from './wink.js';

const analyzer = createTextAnalyzer(winkTextNlp(winkNLP(model, ['sbd', 'negation', 'sentiment'])));
const analyze = (text: string): TextAnalysis => analyzer.analyze(text);
const score = (text: string): number => analyze(text).score;
const theme = (text: string, name: string) => analyze(text).themes.find((t) => t.theme === name);

describe('sentiment', () => {
  it('labels plain praise positive and plain complaints negative', () => {
    expect(analyze('Love this coffee, excellent quality.').label).toBe('positive');
    expect(analyze('Terrible product, a waste of money.').label).toBe('negative');
    expect(analyze('I ordered it on Tuesday.').label).toBe('neutral');
  });

  it('flips a negated word: "not good" is negative, "wasn\'t bad" positive, "not disappointed" positive', () => {
    expect(score('good')).toBeGreaterThan(0);
    expect(score('not good')).toBeLessThan(0);
    expect(score("It wasn't bad.")).toBeGreaterThan(0);
    expect(score('Not disappointed at all.')).toBeGreaterThan(0);
    // Negation softens as well as flips (VADER's 0.74): "not bad" is milder than "good".
    expect(score("It wasn't bad.")).toBeLessThan(score('It was good.'));
  });

  it('keeps a negation inside its clause and within three words', () => {
    expect(score("I don't know, it is great.")).toBeGreaterThan(0);
    expect(score('Not bad, not great.')).toBe(0);
  });

  it('reads the domain phrases a general lexicon misses', () => {
    for (const text of [
      'Never again.',
      'It fell apart.',
      'It arrived broken.',
      'Runs small.',
      'Shipping took forever.',
      'The parcel was late.',
      'I had to ask for a refund.',
      'I expected better.',
    ]) {
      expect(analyze(text).label, text).toBe('negative');
    }
    expect(analyze('Worth every penny.').label).toBe('positive');
    expect(analyze('True to size and well made.').label).toBe('positive');
  });

  it('strengthens with intensifiers and softens or negates with "barely"', () => {
    expect(score('very good')).toBeGreaterThan(score('good'));
    expect(score('extremely disappointed')).toBeLessThan(score('disappointed'));
    expect(score('slightly disappointed')).toBeGreaterThan(score('disappointed'));
    expect(score('It barely works.')).toBeLessThan(0);
  });

  it('weighs the clause after "but" more than the one before', () => {
    expect(score('The coffee is great but the delivery was awful.')).toBeLessThan(0);
    expect(score('The delivery was awful but the coffee is great.')).toBeGreaterThan(0);
    expect(score('Although the box was crushed, the tea is excellent.')).toBeGreaterThan(0);
  });

  it('counts exclamation marks, emoticons and emoji', () => {
    expect(score('It is good!!!')).toBeGreaterThan(score('It is good.'));
    expect(score('Arrived today :)')).toBeGreaterThan(0);
    expect(score('Arrived today :(')).toBeLessThan(0);
    expect(score('Arrived today 😡')).toBeLessThan(0);
  });

  it('treats an ALL-CAPS sentiment word as emphasis', () => {
    expect(score('This is GREAT, thanks.')).toBeGreaterThan(score('This is great, thanks.'));
  });

  it("normalises into (-1, 1) with VADER's thresholds for the label", () => {
    expect(normaliseScore(0)).toBe(0);
    expect(normaliseScore(100)).toBeLessThan(1);
    expect(labelOf(0.05)).toBe('positive');
    expect(labelOf(0.0499)).toBe('neutral');
    expect(labelOf(-0.05)).toBe('negative');
  });

  it('keeps every score in [-1, 1], its label consistent and the result the same on a second run', () => {
    const words = [
      'good',
      'bad',
      'not',
      'very',
      'but',
      'never',
      'late',
      'size',
      'price',
      '!',
      ':)',
      ',',
      '.',
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom(...words), { maxLength: 40 }).map((w) => w.join(' ')),
        ),
        (text) => {
          const a = analyze(text);
          expect(a.score).toBeGreaterThanOrEqual(-1);
          expect(a.score).toBeLessThanOrEqual(1);
          expect(a.label).toBe(labelOf(a.score));
          for (const t of a.themes) {
            expect(Math.abs(t.score)).toBeLessThanOrEqual(1);
            expect(t.polarity).toBe(labelOf(t.score));
          }
          expect(analyze(text)).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('themes', () => {
  it('finds each e-commerce theme with the polarity of the clause that mentions it', () => {
    expect(theme('Great coffee but the delivery was slow.', 'shipping')?.polarity).toBe('negative');
    expect(theme('The fit is great and the price is too high.', 'sizing')?.polarity).toBe('positive');
    expect(theme('The fit is great and the price is too high.', 'price')?.polarity).toBe('negative');
    expect(theme('Customer service was friendly and quick.', 'service')?.polarity).toBe('positive');
    expect(theme('The box was crushed.', 'packaging')?.polarity).toBe('negative');
    expect(theme('Easy to use, even for my dad.', 'ease_of_use')?.polarity).toBe('positive');
    expect(theme('The instructions were confusing.', 'ease_of_use')?.polarity).toBe('negative');
    expect(theme('Runs small, order a size up.', 'sizing')?.polarity).toBe('negative');
  });

  it('reads "cheap" as a quality complaint after "feels" and as a price remark otherwise', () => {
    const feels = analyze('Feels really cheap.');
    expect(feels.themes.map((t) => t.theme)).toEqual(['quality']);
    expect(feels.label).toBe('negative');
    expect(analyze('Cheaper than in the shops.').themes.map((t) => t.theme)).toEqual(['price']);
  });

  it('lets a phrase claim its words: "arrived broken" is quality, not shipping', () => {
    expect(analyze('It arrived broken.').themes.map((t) => t.theme)).toEqual(['quality']);
  });

  it('finds no theme in a text about none', () => {
    expect(analyze('My whole family likes it.').themes).toEqual([]);
  });
});

describe('event texts', () => {
  it('reads a review body with its rating and product, a ticket subject with its text, a survey comment', () => {
    expect(textOfEvent('Product Reviewed', { product_id: 'p1', rating: 2, review_body: ' Broke. ' })).toEqual(
      {
        source: 'review',
        text: 'Broke.',
        productId: 'p1',
        rating: 2,
        nps: null,
      },
    );
    expect(
      textOfEvent('Ticket Opened', { ticket_id: 't', subject: 'Wrong size', text: 'Too small.' })?.text,
    ).toBe('Wrong size. Too small.');
    expect(textOfEvent('Survey Answered', { nps: 3, comment: 'Slow.' })).toMatchObject({
      source: 'survey',
      nps: 3,
    });
    expect(textOfEvent('Survey Answered', { nps: 9, comment: '' })).toBeNull();
    expect(textOfEvent('Order Completed', { review_body: 'x' })).toBeNull();
  });
});

describe('accuracy on the Yelp labelled sentences (out of domain, never tuned on)', () => {
  it('stays above the written floor', () => {
    const sentences = parseLabelledSentences(
      fs.readFileSync(sharedDataPath('reviews', 'yelp_labelled.txt'), 'utf8'),
    );
    expect(sentences).toHaveLength(1000);
    const r = evaluateSentiment(analyzer, sentences);
    // Measured 68.6% accuracy (a neutral verdict counts as wrong), macro-F1 0.755, 86.2% where the
    // analyser commits to a label (docs/MODELS.md). The analysis is deterministic, so the margin
    // is not noise: it lets the e-commerce lexicon grow by a few entries that cost a restaurant
    // sentence or two; a change costing more than 25 of the 1,000 sentences is a regression.
    expect(r.accuracy).toBeGreaterThan(0.66);
    expect(r.macroF1).toBeGreaterThan(0.73);
    expect(r.accuracyDecided).toBeGreaterThan(0.84);
  });
});
