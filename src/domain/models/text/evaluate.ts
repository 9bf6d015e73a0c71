/**
 * Measuring the analyser: a confusion matrix of true against predicted labels, accuracy and
 * per-class / macro F1; the labelled-sentences format of the UCI "Sentiment Labelled Sentences"
 * files (`text<TAB>0|1`); and theme detection against a ground truth (precision, recall, F1 per
 * theme, and the share of detected themes whose polarity matches).
 */
import { labelOf, type SentimentLabel, type TextAnalyzer } from './analyze.js';

export const LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

/** counts[true][predicted]. */
export type Confusion = Record<SentimentLabel, Record<SentimentLabel, number>>;

export interface ClassificationReport {
  readonly n: number;
  readonly confusion: Confusion;
  /** Share of texts whose predicted label equals the true one (a neutral prediction of a
   * positive or negative text counts as wrong). */
  readonly accuracy: number;
  /** Per true class present: precision, recall, F1. */
  readonly perClass: Partial<Record<SentimentLabel, { precision: number; recall: number; f1: number }>>;
  /** Mean F1 over the classes that occur in the truth. */
  readonly macroF1: number;
  /** Share of texts predicted neutral. */
  readonly neutralShare: number;
  /** Accuracy among texts not predicted neutral. */
  readonly accuracyDecided: number;
}

function emptyConfusion(): Confusion {
  const row = (): Record<SentimentLabel, number> => ({ negative: 0, neutral: 0, positive: 0 });
  return { negative: row(), neutral: row(), positive: row() };
}

export function classificationReport(
  pairs: ReadonlyArray<{ truth: SentimentLabel; predicted: SentimentLabel }>,
): ClassificationReport {
  const confusion = emptyConfusion();
  for (const p of pairs) confusion[p.truth][p.predicted]++;
  const n = pairs.length;
  let correct = 0;
  let neutral = 0;
  for (const l of LABELS) {
    correct += confusion[l][l];
    for (const t of LABELS) if (l === 'neutral') neutral += confusion[t][l];
  }
  const perClass: ClassificationReport['perClass'] = {};
  const f1s: number[] = [];
  for (const l of LABELS) {
    const truthCount = LABELS.reduce((s, p) => s + confusion[l][p], 0);
    if (truthCount === 0) continue;
    const predictedCount = LABELS.reduce((s, t) => s + confusion[t][l], 0);
    const tp = confusion[l][l];
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = tp / truthCount;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[l] = { precision, recall, f1 };
    f1s.push(f1);
  }
  const decided = n - neutral;
  const decidedCorrect = correct - confusion.neutral.neutral;
  return {
    n,
    confusion,
    accuracy: n === 0 ? 0 : correct / n,
    perClass,
    macroF1: f1s.length === 0 ? 0 : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    neutralShare: n === 0 ? 0 : neutral / n,
    accuracyDecided: decided === 0 ? 0 : decidedCorrect / decided,
  };
}

export interface LabelledSentence {
  readonly text: string;
  readonly label: 'negative' | 'positive';
}

/** Parses `sentence<TAB>0|1` lines (1 positive, 0 negative); blank lines are skipped. */
export function parseLabelledSentences(content: string): LabelledSentence[] {
  const out: LabelledSentence[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^(.*)\t\s*([01])\s*$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: expected "sentence<TAB>0|1"`);
    out.push({ text: m[1] as string, label: m[2] === '1' ? 'positive' : 'negative' });
  });
  return out;
}

/** Runs the analyser over labelled sentences; the label is the analyser's own (±0.05 band). */
export function evaluateSentiment(
  analyzer: TextAnalyzer,
  sentences: readonly LabelledSentence[],
): ClassificationReport {
  return classificationReport(
    sentences.map((s) => ({ truth: s.label, predicted: analyzer.analyze(s.text).label })),
  );
}

/** The truth label of a star rating: 1–2 negative, 3 neutral, 4–5 positive. */
export function ratingLabel(rating: number): SentimentLabel {
  return rating <= 2 ? 'negative' : rating < 4 ? 'neutral' : 'positive';
}

/** The truth label of an NPS answer: detractor (0–6) negative, passive (7–8) neutral, promoter positive. */
export function npsLabel(nps: number): SentimentLabel {
  return nps <= 6 ? 'negative' : nps <= 8 ? 'neutral' : 'positive';
}

export interface ThemeDetectionReport {
  readonly perTheme: Record<
    string,
    { truth: number; detected: number; hits: number; precision: number; recall: number; f1: number }
  >;
  readonly microF1: number;
  /** Among hits whose true polarity is not neutral: share with the same polarity. */
  readonly polarityAgreement: number;
  readonly polarityChecked: number;
}

export function themeDetectionReport(
  items: ReadonlyArray<{
    truth: ReadonlyArray<{ theme: string; polarity: SentimentLabel }>;
    detected: ReadonlyArray<{ theme: string; polarity: SentimentLabel }>;
  }>,
): ThemeDetectionReport {
  const counts = new Map<string, { truth: number; detected: number; hits: number }>();
  const get = (t: string) => {
    let c = counts.get(t);
    if (!c) counts.set(t, (c = { truth: 0, detected: 0, hits: 0 }));
    return c;
  };
  let agree = 0;
  let checked = 0;
  for (const item of items) {
    const truth = new Map(item.truth.map((t) => [t.theme, t.polarity]));
    for (const t of item.truth) get(t.theme).truth++;
    for (const d of item.detected) {
      const c = get(d.theme);
      c.detected++;
      const tp = truth.get(d.theme);
      if (tp !== undefined) {
        c.hits++;
        if (tp !== 'neutral') {
          checked++;
          if (tp === d.polarity) agree++;
        }
      }
    }
  }
  const perTheme: ThemeDetectionReport['perTheme'] = {};
  let truthAll = 0;
  let detectedAll = 0;
  let hitsAll = 0;
  for (const [theme, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    const precision = c.detected === 0 ? 0 : c.hits / c.detected;
    const recall = c.truth === 0 ? 0 : c.hits / c.truth;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perTheme[theme] = { ...c, precision, recall, f1 };
    truthAll += c.truth;
    detectedAll += c.detected;
    hitsAll += c.hits;
  }
  const p = detectedAll === 0 ? 0 : hitsAll / detectedAll;
  const r = truthAll === 0 ? 0 : hitsAll / truthAll;
  return {
    perTheme,
    microF1: p + r === 0 ? 0 : (2 * p * r) / (p + r),
    polarityAgreement: checked === 0 ? 0 : agree / checked,
    polarityChecked: checked,
  };
}

export { labelOf };
