/**
 * The shared text analyser: wink-nlp with its English lite model (sentence boundaries, negation
 * and sentiment only — no part-of-speech or entities, which the analyser does not use), made once
 * per process (the model takes about 0.1 s to load) and handed to the pure core.
 */
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { createTextAnalyzer, type TextAnalyzer } from '../domain/models/text/analyze.js';
import { winkTextNlp } from '../domain/models/text/wink.js';

let shared: TextAnalyzer | undefined;

export function textAnalyzer(): TextAnalyzer {
  shared ??= createTextAnalyzer(winkTextNlp(winkNLP(model, ['sbd', 'negation', 'sentiment'])));
  return shared;
}
