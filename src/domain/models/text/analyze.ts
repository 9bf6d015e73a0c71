/**
 * Sentiment and themes of one text (a review, a ticket, a survey comment).
 *
 * The scoring follows VADER (Hutto & Gilbert, "VADER: A Parsimonious Rule-based Model for
 * Sentiment Analysis of Social Media Text", ICWSM 2014) on wink-nlp's tokens and lexicon, plus the
 * e-commerce lexicon of `lexicon.ts`:
 *
 * - each token's valence v comes from the domain lexicon (phrases first, longest match) or wink's;
 * - a booster within the three tokens before it scales v by 1 + 0.2·d, a dampener by 1 − 0.2·d
 *   (d = 1, 0.95, 0.9 by distance, VADER's decay);
 * - a negator within those three tokens of the same clause flips it: v · −0.74 (VADER's N_SCALAR);
 *   "barely"/"hardly" flip and halve it (v · −0.5);
 * - an ALL-CAPS sentiment word in a text that is not all caps: v · 1.25;
 * - in a sentence with "but" (or however, though, although …) the tokens before it count 0.5,
 *   the tokens after 1.5 (VADER); "Although X, Y" weighs X by 0.5 and Y by 1.5;
 * - each "!" (up to 4) adds 0.073 to its sentence's sum in the sum's direction (VADER's 0.292 on
 *   its ×4 scale);
 * - the compound score is the sum S normalised as S / √(S² + α) with α = 15/16 (VADER's α = 15
 *   on its ×4 scale), so it lies in (−1, 1);
 * - the label is positive at ≥ 0.05, negative at ≤ −0.05, neutral between (VADER's thresholds).
 *
 * Themes: each theme term found in a clause (a sentence cut at punctuation, contrast words and
 * "and" + a new subject) takes the polarity of that clause, or of its sentence when the clause
 * itself carries no sentiment; a theme mentioned in several clauses takes the mean.
 *
 * Nothing here was fitted to an evaluation set; every constant is VADER's or written a priori.
 */
import {
  BOOSTERS,
  CHEAP_QUALITY_CONTEXT,
  CHEAP_QUALITY_VALENCE,
  CONTRAST,
  DAMPENERS,
  DOMAIN_VALENCE,
  HALF_NEGATORS,
  NEGATORS,
  THEMES,
  THEME_TERMS,
  type TextTheme,
} from './lexicon.js';
import type { TextNlp, TextToken } from './wink.js';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface ThemeSentiment {
  readonly theme: TextTheme;
  readonly polarity: SentimentLabel;
  /** Mean compound score of the clauses that mention the theme, in (−1, 1). */
  readonly score: number;
}

export interface TextAnalysis {
  /** Compound sentiment in (−1, 1). */
  readonly score: number;
  readonly label: SentimentLabel;
  /** Themes in the order of their first mention. */
  readonly themes: readonly ThemeSentiment[];
}

/** Bumped whenever the lexicon or the rules change, so stored analyses can be recomputed. */
export const TEXT_ANALYZER_VERSION = 'text-1';

export const NEUTRAL_BAND = 0.05;
const ALPHA = 15 / 16;
const NEGATION_SCALAR = -0.74;
const HALF_NEGATION_SCALAR = -0.5;
const BOOST = 0.2;
const DECAY = [1, 0.95, 0.9] as const;
const CAPS_SCALAR = 1.25;
const EXCLAMATION = 0.073;
const WINDOW = 3;

/** S / √(S² + α): VADER's normalisation into (−1, 1). */
export function normaliseScore(sum: number): number {
  return sum / Math.sqrt(sum * sum + ALPHA);
}

export function labelOf(score: number): SentimentLabel {
  if (score >= NEUTRAL_BAND) return 'positive';
  if (score <= -NEUTRAL_BAND) return 'negative';
  return 'neutral';
}

interface Lexicon {
  /** Phrases by their first token: [tokens, valence], longest first. */
  readonly phrases: ReadonlyMap<string, ReadonlyArray<readonly [readonly string[], number]>>;
}

function phraseIndex<V>(entries: ReadonlyArray<readonly [string, V]>): Map<string, Array<[string[], V]>> {
  const index = new Map<string, Array<[string[], V]>>();
  for (const [phrase, value] of entries) {
    const words = phrase.split(' ');
    const first = words[0] as string;
    const list = index.get(first) ?? [];
    list.push([words, value]);
    index.set(first, list);
  }
  for (const list of index.values()) list.sort((a, b) => b[0].length - a[0].length);
  return index;
}

const valenceIndex: Lexicon = { phrases: phraseIndex(Object.entries(DOMAIN_VALENCE)) };
const themeIndex = phraseIndex(Object.entries(THEME_TERMS));

function matchAt<V>(
  tokens: readonly TextToken[],
  i: number,
  end: number,
  index: ReadonlyMap<string, ReadonlyArray<readonly [readonly string[], V]>>,
): readonly [number, V] | null {
  const candidates = index.get((tokens[i] as TextToken).norm);
  if (!candidates) return null;
  outer: for (const [words, value] of candidates) {
    if (i + words.length - 1 > end) continue;
    for (let k = 1; k < words.length; k++) {
      if ((tokens[i + k] as TextToken).norm !== words[k]) continue outer;
    }
    return [words.length, value];
  }
  return null;
}

/**
 * The negation scalar for the unit starting at `at`. wink-nlp flags every token after a negator up
 * to the sentence's end; Patron walks back over the flagged tokens to the negator and honours it
 * only within three tokens and inside the clause (VADER's window), so "I don't know, it is great"
 * stays positive. Half-negators wink does not know ("barely works") are found in the same window.
 */
function negationAt(tokens: readonly TextToken[], at: number, first: number): number {
  const head = tokens[at] as TextToken;
  if (head.negated) {
    let j = at - 1;
    while (j >= first && (tokens[j] as TextToken).negated && !isBoundary(tokens[j] as TextToken)) j--;
    if (j < first || at - j > WINDOW) return 1;
    const t = tokens[j] as TextToken;
    if (t.kind !== 'word' || isBoundary(t)) return 1;
    return HALF_NEGATORS.has(t.norm) ? HALF_NEGATION_SCALAR : NEGATION_SCALAR;
  }
  for (let d = 1; d <= WINDOW; d++) {
    const j = at - d;
    if (j < first) break;
    const t = tokens[j] as TextToken;
    if (isBoundary(t)) break;
    if (HALF_NEGATORS.has(t.norm)) return HALF_NEGATION_SCALAR;
    if (NEGATORS.has(t.norm)) return NEGATION_SCALAR;
  }
  return 1;
}

/** "cheap" after "feels", "looks", "made" … (two tokens back at most): a quality complaint. */
function isQualityCheap(tokens: readonly TextToken[], at: number, first: number): boolean {
  const n = (tokens[at] as TextToken).norm;
  if (n !== 'cheap' && n !== 'cheaply') return false;
  for (let j = at - 1; j >= Math.max(first, at - 2); j--) {
    if (CHEAP_QUALITY_CONTEXT.has((tokens[j] as TextToken).norm)) return true;
  }
  return false;
}

function isBoundary(t: TextToken): boolean {
  return (t.kind === 'punctuation' && t.norm !== "'" && t.norm !== '-') || CONTRAST.has(t.norm);
}

const NEW_SUBJECT = new Set([
  'the',
  'it',
  'i',
  'my',
  'this',
  'that',
  'they',
  'their',
  'its',
  'we',
  'our',
  'you',
]);

/** A sentiment-bearing unit: a token or a domain phrase starting at `start`. */
interface Unit {
  readonly start: number;
  readonly length: number;
  readonly valence: number;
}

export interface TextAnalyzer {
  analyze(text: string): TextAnalysis;
}

/** Builds the analyser over an NLP library (wink-nlp through `winkTextNlp`). */
export function createTextAnalyzer(nlp: TextNlp): TextAnalyzer {
  return {
    analyze(text) {
      const { tokens, sentences } = nlp.tokenise(text);
      const letters = text.replace(/[^A-Za-z]/g, '');
      const shouting = letters.length > 0 && letters === letters.toUpperCase();
      let total = 0;
      const themeScores = new Map<TextTheme, number[]>();

      for (const [first, last] of sentences) {
        if (last < first || tokens[first] === undefined) continue;
        // 1. Sentiment-bearing units of the sentence.
        const units: Unit[] = [];
        for (let i = first; i <= last;) {
          const phrase = matchAt(tokens, i, last, valenceIndex.phrases);
          if (phrase) {
            units.push({ start: i, length: phrase[0], valence: phrase[1] });
            i += phrase[0];
            continue;
          }
          const t = tokens[i] as TextToken;
          if (isQualityCheap(tokens, i, first)) {
            units.push({ start: i, length: 1, valence: CHEAP_QUALITY_VALENCE });
            i += 1;
            continue;
          }
          if (t.kind === 'word' || t.kind === 'emoticon' || t.kind === 'emoji') {
            if (
              !NEGATORS.has(t.norm) &&
              !HALF_NEGATORS.has(t.norm) &&
              !BOOSTERS.has(t.norm) &&
              !DAMPENERS.has(t.norm)
            ) {
              const v = nlp.valence(t.norm);
              if (v !== 0) units.push({ start: i, length: 1, valence: v });
            }
          }
          i += 1;
        }

        // 2. Modifiers: boosters, dampeners, negation (within the clause), capitals.
        const contribution = new Float64Array(last - first + 1);
        for (const u of units) {
          let v = u.valence;
          for (let d = 1; d <= WINDOW; d++) {
            const j = u.start - d;
            if (j < first) break;
            const t = tokens[j] as TextToken;
            if (isBoundary(t)) break;
            const decay = DECAY[d - 1] as number;
            if (BOOSTERS.has(t.norm)) v *= 1 + BOOST * decay;
            else if (DAMPENERS.has(t.norm)) v *= 1 - BOOST * decay;
          }
          const head = tokens[u.start] as TextToken;
          const negation = negationAt(tokens, u.start, first);
          v *= negation;
          if (!shouting && head.raw.length > 1 && /^[A-Z]+$/.test(head.raw)) v *= CAPS_SCALAR;
          contribution[u.start - first] = v;
        }

        // 3. Contrast: "X but Y" weighs X by 0.5 and Y by 1.5; "Although X, Y" likewise.
        const weight = new Float64Array(last - first + 1).fill(1);
        let contrastAt = -1;
        for (let i = first; i <= last; i++) {
          const n = (tokens[i] as TextToken).norm;
          if (n === 'but' || n === 'however' || ((n === 'though' || n === 'although') && i > first)) {
            contrastAt = i;
            break;
          }
        }
        const lead = (tokens[first] as TextToken).norm;
        if (contrastAt < 0 && (lead === 'although' || lead === 'though')) {
          for (let i = first + 1; i <= last; i++) {
            if ((tokens[i] as TextToken).norm === ',') {
              contrastAt = i;
              break;
            }
          }
        }
        if (contrastAt >= 0) {
          for (let i = first; i <= last; i++) weight[i - first] = i < contrastAt ? 0.5 : 1.5;
        }

        let sentenceSum = 0;
        for (let i = 0; i < contribution.length; i++)
          sentenceSum += (contribution[i] as number) * (weight[i] as number);
        let exclamations = 0;
        for (let i = first; i <= last; i++) if ((tokens[i] as TextToken).norm === '!') exclamations++;
        if (sentenceSum !== 0)
          sentenceSum += Math.sign(sentenceSum) * EXCLAMATION * Math.min(4, exclamations);
        total += sentenceSum;

        // 4. Themes, each with the polarity of its clause.
        let clauseStart = first;
        const closeClause = (end: number): void => {
          if (end < clauseStart) return;
          let clauseSum = 0;
          let bearing = false;
          for (let i = clauseStart; i <= end; i++) {
            const c = contribution[i - first] as number;
            if (c !== 0) bearing = true;
            clauseSum += c;
          }
          // A clause without sentiment of its own ("the shipping, though, was slow") takes its
          // sentence's, unless the sentence turns on a contrast: then its side is unknown.
          const score = normaliseScore(bearing ? clauseSum : contrastAt >= 0 ? 0 : sentenceSum);
          for (let i = clauseStart; i <= end;) {
            const m: readonly [number, TextTheme] | null = isQualityCheap(tokens, i, clauseStart)
              ? [1, 'quality']
              : matchAt(tokens, i, end, themeIndex);
            if (m) {
              const list = themeScores.get(m[1]) ?? [];
              list.push(score);
              themeScores.set(m[1], list);
              i += m[0];
            } else i += 1;
          }
        };
        for (let i = first; i <= last; i++) {
          const t = tokens[i] as TextToken;
          const next = tokens[i + 1];
          const split =
            isBoundary(t) || (t.norm === 'and' && next !== undefined && NEW_SUBJECT.has(next.norm));
          if (split) {
            closeClause(i - 1);
            clauseStart = i + 1;
          }
        }
        closeClause(last);
      }

      const score = round(normaliseScore(total));
      const themes: ThemeSentiment[] = [];
      for (const [theme, scores] of themeScores) {
        const mean = round(scores.reduce((a, b) => a + b, 0) / scores.length);
        themes.push({ theme, polarity: labelOf(mean), score: mean });
      }
      return { score, label: labelOf(score), themes };
    },
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export { THEMES };
export type { TextTheme };
