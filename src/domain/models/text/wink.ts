/**
 * The one place that speaks wink-nlp: sentence boundaries, tokens (normalised: "wasn't" → "was",
 * "not"), their kind (word, emoticon, emoji, punctuation), wink's negation flags, and the valence
 * of a single token from wink's sentiment lexicon (AFINN-based, with emoji and emoticons).
 *
 * The wink instance is created by the shell (`src/app/text-analyzer.ts`) and passed in; only its
 * type is imported here.
 */
import type { WinkMethods } from 'wink-nlp';

export interface TextToken {
  /** Normalised form: lower case, contractions expanded ("n't" → "not"). */
  readonly norm: string;
  /** As written (for ALL-CAPS emphasis). */
  readonly raw: string;
  readonly kind: 'word' | 'number' | 'punctuation' | 'emoticon' | 'emoji' | 'other';
  /** wink-nlp's negation flag: the token lies in the scope of a negation. */
  readonly negated: boolean;
}

export interface TokenisedText {
  readonly tokens: readonly TextToken[];
  /** Sentences as [first, last] token indices, inclusive. */
  readonly sentences: ReadonlyArray<readonly [number, number]>;
}

/** What the analyser needs from an NLP library. */
export interface TextNlp {
  tokenise(text: string): TokenisedText;
  /** Valence of one normalised token in [-1, 1] in the library's lexicon (0 when unknown). */
  valence(norm: string): number;
}

const KINDS = new Set(['word', 'number', 'punctuation', 'emoticon', 'emoji']);
const CACHE_LIMIT = 100_000;

/** Adapts a wink-nlp instance (made with `winkNLP(model, ['sbd', 'negation', 'sentiment'])`). */
export function winkTextNlp(nlp: WinkMethods): TextNlp {
  const its = nlp.its;
  const cache = new Map<string, number>();
  return {
    tokenise(text) {
      const doc = nlp.readDoc(text);
      const norms = doc.tokens().out(its.normal) as string[];
      const raws = doc.tokens().out(its.value) as string[];
      const types = doc.tokens().out(its.type) as string[];
      const flags = doc.tokens().out(its.negationFlag) as unknown as boolean[];
      const tokens: TextToken[] = norms.map((norm, i) => {
        const t = types[i] ?? 'word';
        return {
          norm,
          raw: raws[i] ?? norm,
          kind: (KINDS.has(t) ? t : 'other') as TextToken['kind'],
          negated: flags[i] === true,
        };
      });
      const spans = doc.sentences().out(its.span) as unknown as Array<[number, number]>;
      return { tokens, sentences: spans.map(([a, b]) => [a, b] as const) };
    },
    valence(norm) {
      let v = cache.get(norm);
      if (v === undefined) {
        v = nlp.readDoc(norm).out(its.sentiment) as unknown as number;
        if (!Number.isFinite(v)) v = 0;
        if (cache.size < CACHE_LIMIT) cache.set(norm, v);
      }
      return v;
    },
  };
}
