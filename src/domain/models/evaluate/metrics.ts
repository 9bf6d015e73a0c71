/**
 * Evaluation metrics for scores and predictions. Binary labels are 0 or 1; a higher score means
 * "more likely positive". Where a ranking cuts through tied scores, metrics count the tied group
 * fractionally — the expectation over random orderings of the ties — so results never depend on
 * the input order.
 */

type Numbers = ArrayLike<number>;

function checkPair(a: Numbers, b: Numbers, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} labels vs ${b.length} scores`);
  if (a.length === 0) throw new RangeError(`${what}: no rows`);
}

function checkBinary(labels: Numbers, what: string): number {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new RangeError(`${what}: label ${i} = ${y} is not 0 or 1`);
    pos += y;
  }
  return pos;
}

/** Indices ordered by descending score (stable). */
function orderDescending(scores: Numbers): Uint32Array {
  const idx = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * ROC AUC by Mann–Whitney: the probability that a random positive outscores a random negative,
 * ties counting one half. Computed from mid-ranks: AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋).
 * NaN when one class is absent.
 */
export function rocAuc(labels: Numbers, scores: Numbers): number {
  checkPair(labels, scores, 'rocAuc');
  const pos = checkBinary(labels, 'rocAuc');
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  const idx = Uint32Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]!,
  );
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision (area under the precision–recall curve, step-wise as scikit-learn's
 * `average_precision_score`): Σ over distinct score thresholds of (R_k − R_{k−1})·P_k.
 * NaN without positives.
 */
export function averagePrecision(labels: Numbers, scores: Numbers): number {
  checkPair(labels, scores, 'averagePrecision');
  const pos = checkBinary(labels, 'averagePrecision');
  if (pos === 0) return NaN;
  const idx = orderDescending(scores);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) {
      tp += labels[idx[j]!]!;
      seen++;
      j++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j;
  }
  return ap;
}

/** Brier score: mean of (p − y)². */
export function brierScore(labels: Numbers, probabilities: Numbers): number {
  checkPair(labels, probabilities, 'brierScore');
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (probabilities[i]! - labels[i]!) ** 2;
  return s / labels.length;
}

/** Mean negative log-likelihood −[y ln p + (1−y) ln(1−p)], p clipped to [ε, 1−ε]. */
export function logLoss(labels: Numbers, probabilities: Numbers, eps = 1e-15): number {
  checkPair(labels, probabilities, 'logLoss');
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, eps), 1 - eps);
    const y = labels[i]!;
    s -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return s / labels.length;
}

/**
 * Expected number of positives among the k highest scores; a tied group straddling the cut
 * contributes (places taken / group size) × its positives.
 */
function positivesInTop(labels: Numbers, scores: Numbers, k: number): number {
  const idx = orderDescending(scores);
  let taken = 0;
  let positives = 0;
  for (let i = 0; i < idx.length && taken < k;) {
    let j = i;
    let groupPos = 0;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) groupPos += labels[idx[j++]!]!;
    const size = j - i;
    const take = Math.min(size, k - taken);
    positives += (groupPos * take) / size;
    taken += take;
    i = j;
  }
  return positives;
}

function checkK(k: number, n: number, what: string): void {
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw new RangeError(`${what}: k = ${k} must be in [1, ${n}]`);
}

/** Share of the k highest-scored rows that are positive. */
export function precisionAtK(labels: Numbers, scores: Numbers, k: number): number {
  checkPair(labels, scores, 'precisionAtK');
  checkBinary(labels, 'precisionAtK');
  checkK(k, labels.length, 'precisionAtK');
  return positivesInTop(labels, scores, k) / k;
}

/** Share of all positives found among the k highest-scored rows (NaN without positives). */
export function recallAtK(labels: Numbers, scores: Numbers, k: number): number {
  checkPair(labels, scores, 'recallAtK');
  const pos = checkBinary(labels, 'recallAtK');
  checkK(k, labels.length, 'recallAtK');
  return pos === 0 ? NaN : positivesInTop(labels, scores, k) / pos;
}

/**
 * Lift of the top fraction (default the top decile, k = ⌈n/10⌉ rows): the positive rate among
 * them divided by the overall positive rate. NaN without positives.
 */
export function topDecileLift(labels: Numbers, scores: Numbers, fraction = 0.1): number {
  checkPair(labels, scores, 'topDecileLift');
  const pos = checkBinary(labels, 'topDecileLift');
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError('topDecileLift: fraction must be in (0, 1]');
  if (pos === 0) return NaN;
  const k = Math.max(1, Math.ceil(fraction * labels.length - 1e-9));
  return positivesInTop(labels, scores, k) / k / (pos / labels.length);
}

export interface ThresholdScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/** Precision, recall and F1 when predicting positive for score ≥ threshold (0 where undefined). */
export function f1AtThreshold(labels: Numbers, scores: Numbers, threshold: number): ThresholdScores {
  checkPair(labels, scores, 'f1AtThreshold');
  checkBinary(labels, 'f1AtThreshold');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i]! >= threshold;
    if (predicted && labels[i] === 1) tp++;
    else if (predicted) fp++;
    else if (labels[i] === 1) fn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

export interface CalibrationBin {
  readonly bin: number;
  readonly count: number;
  readonly minPredicted: number;
  readonly maxPredicted: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/**
 * Reliability table: rows sorted by predicted probability and cut into `bins` groups of equal
 * count (deciles by default; group b holds sorted positions ⌊b·n/bins⌋ … ⌊(b+1)·n/bins⌋ − 1),
 * each with its mean prediction and observed positive rate. Empty groups are left out.
 */
export function calibrationTable(labels: Numbers, probabilities: Numbers, bins = 10): CalibrationBin[] {
  checkPair(labels, probabilities, 'calibrationTable');
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError('calibrationTable: bins must be a positive integer');
  const n = labels.length;
  const idx = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => probabilities[a]! - probabilities[b]! || a - b,
  );
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * n) / bins);
    const hi = Math.floor(((b + 1) * n) / bins);
    if (hi <= lo) continue;
    let sp = 0;
    let sy = 0;
    for (let k = lo; k < hi; k++) {
      sp += probabilities[idx[k]!]!;
      sy += labels[idx[k]!]!;
    }
    out.push({
      bin: b,
      count: hi - lo,
      minPredicted: probabilities[idx[lo]!]!,
      maxPredicted: probabilities[idx[hi - 1]!]!,
      meanPredicted: sp / (hi - lo),
      observedRate: sy / (hi - lo),
    });
  }
  return out;
}

/** Mean absolute error. */
export function meanAbsoluteError(actual: Numbers, predicted: Numbers): number {
  checkPair(actual, predicted, 'meanAbsoluteError');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(predicted[i]! - actual[i]!);
  return s / actual.length;
}

/** Root mean squared error. */
export function rootMeanSquaredError(actual: Numbers, predicted: Numbers): number {
  checkPair(actual, predicted, 'rootMeanSquaredError');
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (predicted[i]! - actual[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Pearson correlation coefficient (two-pass); NaN when either side is constant. */
export function pearsonCorrelation(x: Numbers, y: Numbers): number {
  checkPair(x, y, 'pearsonCorrelation');
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Population stability index of `current` against `reference`:
 * PSI = Σ_b (a_b − e_b)·ln(a_b / e_b), with e_b, a_b the shares of the reference and current
 * samples in bin b. Bins are cut at the reference's quantiles k/bins (distinct cut points only,
 * a value equal to a cut falls in the lower bin); missing values (NaN) form one extra bin when
 * present. Shares are floored at `epsilon` so an empty bin does not give an infinite index.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 some shift, > 0.25 a major shift.
 */
export function populationStabilityIndex(
  reference: Numbers,
  current: Numbers,
  options: { bins?: number; epsilon?: number } = {},
): number {
  const bins = options.bins ?? 10;
  const eps = options.epsilon ?? 1e-4;
  if (reference.length === 0 || current.length === 0)
    throw new RangeError('populationStabilityIndex: empty sample');
  const sorted = Float64Array.from(reference)
    .filter((v) => v === v)
    .sort();
  const cuts: number[] = [];
  for (let k = 1; k < bins && sorted.length > 0; k++) {
    const q = quantileSorted(sorted, k / bins);
    if (cuts.length === 0 || q > cuts[cuts.length - 1]!) cuts.push(q);
  }
  const shares = (sample: Numbers): Float64Array => {
    const counts = new Float64Array(cuts.length + 2);
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i]!;
      if (v !== v) {
        counts[cuts.length + 1]! += 1;
        continue;
      }
      let lo = 0;
      let hi = cuts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v <= cuts[mid]!) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]! += 1;
    }
    return counts.map((c) => c / sample.length);
  };
  const e = shares(reference);
  const a = shares(current);
  let psi = 0;
  for (let b = 0; b < e.length; b++) {
    if (e[b] === 0 && a[b] === 0) continue;
    const eb = Math.max(e[b]!, eps);
    const ab = Math.max(a[b]!, eps);
    psi += (ab - eb) * Math.log(ab / eb);
  }
  return psi;
}

/** Linear-interpolation quantile (type 7, as numpy's default) of a sorted sample. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
