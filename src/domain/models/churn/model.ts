/**
 * The churn model: gradient-boosted trees (log-loss) with early stopping on a validation split,
 * calibrated on rows neither used to grow nor to stop the trees, a logistic-regression baseline
 * beside it, exact TreeSHAP contributions per prediction (Fast TreeSHAP tables), plain-words reasons and a driver.
 */
import {
  CHURN_DRIVERS,
  CHURN_FEATURES,
  type ChurnDriver,
  type HistoryAsOf,
  type SignalFamily,
} from '../../features/churn/features.js';
import { createRandom } from '../../random.js';
import { applyIsotonic, fitIsotonic, type IsotonicRegression } from '../calibration/isotonic.js';
import { applyPlatt, fitPlatt, type PlattScaling } from '../calibration/platt.js';
import {
  averagePrecision,
  brierScore,
  calibrationTable,
  f1AtThreshold,
  populationStabilityIndex,
  precisionAtK,
  recallAtK,
  rocAuc,
  topDecileLift,
  type CalibrationBin,
} from '../evaluate/metrics.js';
import {
  fitLogisticRegression,
  predictProbability,
  type LogisticRegressionModel,
} from '../linear/logistic-regression.js';
import type { FeatureMatrix } from '../trees/feature-matrix.js';
import { trainGradientBoosting, type BoostingOptions } from '../trees/gbdt.js';
import {
  fromJSON,
  predictRaw,
  toJSON,
  type GradientBoostedModel,
  type GradientBoostedModelJson,
} from '../trees/model.js';
import { FastTreeShapExplainer } from '../trees/fast-tree-shap.js';

/** The trained churn model as stored (JSON-safe: missing reference values are null). */
export interface ChurnModelJson {
  readonly type: 'churn-gbdt';
  readonly featureNames: readonly string[];
  readonly windowDays: number;
  readonly trees: GradientBoostedModelJson;
  readonly calibration: IsotonicRegression | PlattScaling;
  readonly baseline: LogisticRegressionModel;
  /** A sample of the training rows per feature, the reference of the drift check. */
  readonly reference: ReadonlyArray<ReadonlyArray<number | null>>;
}

export interface ChurnModel {
  readonly featureNames: readonly string[];
  readonly windowDays: number;
  readonly trees: GradientBoostedModel;
  readonly calibration: IsotonicRegression | PlattScaling;
  readonly baseline: LogisticRegressionModel;
  readonly reference: readonly Float64Array[];
}

export interface ChurnTrainingOptions {
  readonly seed?: number;
  readonly windowDays: number;
  /** Overrides of the learner's settings (rounds, depth…). */
  readonly boosting?: Partial<BoostingOptions>;
}

export interface ChurnTrainingResult {
  readonly model: ChurnModel;
  readonly trees: number;
  readonly stoppedEarly: boolean;
  readonly rows: { readonly fit: number; readonly validation: number; readonly calibration: number };
}

/**
 * Default learner settings for churn: shallow trees, shrinkage 0.1, row and column subsampling.
 * Up to 200 trees at η 0.1 rather than 400 at 0.05: measured on CDNOW and the synthetic store
 * (docs/MODELS.md) the accuracy is the same within the holdouts' noise, and every customer's
 * TreeSHAP reasons cost half as much to compute (scoring time is linear in the trees).
 */
export const CHURN_BOOSTING: Omit<BoostingOptions, 'validation'> = {
  objective: 'logloss',
  rounds: 200,
  learningRate: 0.1,
  maxDepth: 4,
  minChildWeight: 5,
  subsample: 0.8,
  colsampleByTree: 0.8,
  maxBins: 64,
  lambda: 1,
  earlyStoppingRounds: 15,
};

/** From this many rows that grow the trees, {@link sizedBoosting} samples them by GOSS. */
export const GOSS_MIN_ROWS = 200_000;

/**
 * Settings that depend on the number of rows: on small stores (under 5,000 rows) stumps of depth
 * 2 generalise better (CDNOW: holdout AUC 0.77 at depth 2 against 0.75 at depth 4); a child needs
 * at least 1% of the rows (5 to 50) of hessian weight. On large stores (≥ 200,000 rows) each tree
 * grows on a GOSS sample (the 20% largest gradients and 10% of the rest, reweighted) with
 * quantised gradients instead of 80% of the rows: the trees 1.45× faster on 1M customers, holdout
 * AUC −0.0007 on average over four seeds (−0.0038 to +0.0009; docs/MODELS.md, "Large stores");
 * below 200k rows the GOSS models stopped earlier and were worse (105k rows: AUC 0.814 against
 * 0.821).
 */
export function sizedBoosting(rows: number): Partial<BoostingOptions> {
  return {
    maxDepth: rows < 5000 ? 2 : 4,
    minChildWeight: Math.min(50, Math.max(5, Math.round(rows / 100))),
    ...(rows >= GOSS_MIN_ROWS
      ? { subsample: 1, goss: { topRate: 0.2, otherRate: 0.1 }, quantizedGradients: true }
      : {}),
  };
}

/** Isotonic calibration needs this many held-out rows; with fewer, Platt scaling (2 parameters). */
export const ISOTONIC_MIN_ROWS = 2000;
const REFERENCE_ROWS = 2000;

/** The given rows of `m`, in that order, in an array of `m`'s own type (the same numbers). */
function take(m: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const { cols, values: from } = m;
  const values =
    from instanceof Float32Array
      ? new Float32Array(rows.length * cols)
      : new Float64Array(rows.length * cols);
  for (let i = 0, o = 0; i < rows.length; i++) {
    for (let k = rows[i]! * cols, end = k + cols; k < end; k++, o++) values[o] = from[k]!;
  }
  return { values, rows: rows.length, cols, featureNames: m.featureNames };
}

/**
 * Trains on `data`/`labels` (one row per customer at the training cut-off): a seeded 70/15/15
 * split into rows that grow the trees, rows that stop them early (validation log-loss) and rows
 * that calibrate the margins (isotonic with ≥ 2,000 of them, else Platt). The baseline is fitted
 * on the fit and validation rows.
 */
export function trainChurnModel(
  data: FeatureMatrix,
  labels: Float64Array,
  options: ChurnTrainingOptions,
): ChurnTrainingResult {
  const seed = options.seed ?? 0;
  const rng = createRandom(seed);
  const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nFit = Math.floor(data.rows * 0.7);
  const nVal = Math.floor(data.rows * 0.15);
  const fitRows = order.subarray(0, nFit);
  const valRows = order.subarray(nFit, nFit + nVal);
  const calRows = order.subarray(nFit + nVal);
  if (fitRows.length < 10 || valRows.length < 5 || calRows.length < 5) {
    throw new RangeError(`too few rows to train a churn model (${data.rows})`);
  }
  const pick = (rows: Uint32Array): Float64Array => Float64Array.from(rows, (r) => labels[r]!);
  const fit = take(data, fitRows);
  const val = take(data, valRows);
  const cal = take(data, calRows);
  const trained = trainGradientBoosting(fit, pick(fitRows), {
    ...CHURN_BOOSTING,
    ...sizedBoosting(fitRows.length),
    ...options.boosting,
    seed,
    validation: { data: val, labels: pick(valRows) },
  });
  const margins = predictRaw(trained.model, cal);
  const calLabels = pick(calRows);
  const calibration =
    calRows.length >= ISOTONIC_MIN_ROWS ? fitIsotonic(margins, calLabels) : fitPlatt(margins, calLabels);
  const baseRows = order.subarray(0, nFit + nVal);
  const baseline = fitLogisticRegression(take(data, baseRows), pick(baseRows), { l2: 1 });
  const refRows = order.subarray(0, Math.min(REFERENCE_ROWS, order.length));
  const reference = data.featureNames.map((_, j) =>
    Float64Array.from(refRows, (r) => data.values[r * data.cols + j]!),
  );
  return {
    model: {
      featureNames: data.featureNames,
      windowDays: options.windowDays,
      trees: trained.model,
      calibration,
      baseline,
      reference,
    },
    trees: trained.bestRounds,
    stoppedEarly: trained.stoppedEarly,
    rows: { fit: fitRows.length, validation: valRows.length, calibration: calRows.length },
  };
}

export function churnModelToJSON(m: ChurnModel): ChurnModelJson {
  return {
    type: 'churn-gbdt',
    featureNames: m.featureNames,
    windowDays: m.windowDays,
    trees: toJSON(m.trees),
    calibration: m.calibration,
    baseline: m.baseline,
    reference: m.reference.map((col) => Array.from(col, (v) => (Number.isNaN(v) ? null : v))),
  };
}

export function churnModelFromJSON(json: ChurnModelJson): ChurnModel {
  if (json.type !== 'churn-gbdt') throw new RangeError(`not a churn model: ${String(json.type)}`);
  return {
    featureNames: json.featureNames,
    windowDays: json.windowDays,
    trees: fromJSON(json.trees),
    calibration: json.calibration,
    baseline: json.baseline,
    reference: json.reference.map((col) => Float64Array.from(col, (v) => (v === null ? NaN : v))),
  };
}

/** Calibrated churn probabilities, one per row. */
export function predictChurn(model: ChurnModel, data: FeatureMatrix): Float64Array {
  return predictRaw(model.trees, data).map((z) => calibrate(model, z));
}

/**
 * One reason: a feature's push on the risk (log-odds, > 0 raises it) in plain words; `value` and
 * `contribution` to 4 decimals.
 */
export interface ChurnReason {
  readonly feature: string;
  readonly family: SignalFamily;
  readonly value: number | null;
  readonly contribution: number;
  readonly text: string;
}

export interface ChurnExplanation {
  /** Features raising the risk, strongest first (at most `top`). */
  readonly reasons: readonly ChurnReason[];
  /** The driver whose features raise the risk most (null when none raises it). */
  readonly driver: ChurnDriver | null;
}

/** A row's score: calibrated probability, reasons and driver. */
export type ChurnScore = { readonly probability: number } & ChurnExplanation;

/** The churn features by name (what a TreeSHAP column is explained with). */
const FEATURE_BY_NAME = new Map(CHURN_FEATURES.map((f) => [f.name, f]));

/** Contributions below this (log-odds) are not worth a reason. */
export const MIN_REASON_CONTRIBUTION = 0.01;

/**
 * What ranking a row's contributions needs to know of each column, as numbers (so that worker
 * threads can rank rows without the feature definitions): `driver[j]` is the index in
 * `CHURN_DRIVERS` of column j's driver, −1 for a churn feature without one, −2 for a column that
 * is not a churn feature (never a reason); `nameRank[j]` orders the columns by name (ties).
 */
export interface ChurnColumns {
  readonly driver: Int8Array;
  readonly nameRank: Int32Array;
}

export function churnColumns(featureNames: readonly string[]): ChurnColumns {
  const driver = Int8Array.from(featureNames, (name) => {
    const f = FEATURE_BY_NAME.get(name);
    return f === undefined ? -2 : f.driver === null ? -1 : CHURN_DRIVERS.indexOf(f.driver);
  });
  const byName = featureNames.map((name, j) => ({ name, j })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const nameRank = new Int32Array(featureNames.length);
  byName.forEach(({ j }, rank) => (nameRank[j] = rank));
  return { driver, nameRank };
}

/**
 * The numbers behind a row's reasons, from its TreeSHAP values `contributions[at …]`: the
 * columns of the (at most) `top` churn features with the largest positive contributions of at
 * least {@link MIN_REASON_CONTRIBUTION}, strongest first (ties by name), into `reasons[slot …]`
 * padded with −1, and each driver's sum of positive contributions into `weights[4·row …]`. No
 * allocation: this runs once per scored customer, possibly on a worker thread.
 */
export function rankChurnContributions(
  columns: ChurnColumns,
  contributions: ArrayLike<number>,
  at: number,
  top: number,
  reasons: Int32Array,
  slot: number,
  weights: Float64Array,
  weightsAt: number,
): void {
  const { driver, nameRank } = columns;
  for (let d = 0; d < 4; d++) weights[weightsAt + d] = 0;
  let n = 0;
  for (let j = 0; j < driver.length; j++) {
    const c = contributions[at + j]!;
    const dj = driver[j]!;
    if (dj === -2 || !(c > 0)) continue;
    if (dj >= 0) weights[weightsAt + dj]! += c;
    if (c < MIN_REASON_CONTRIBUTION) continue;
    // Insert into the sorted top list (stronger first, then by name).
    let i = n < top ? n : top - 1;
    if (n === top) {
      const last = reasons[slot + i]!;
      const cl = contributions[at + last]!;
      if (c < cl || (c === cl && nameRank[j]! > nameRank[last]!)) continue;
    }
    while (i > 0) {
      const prev = reasons[slot + i - 1]!;
      const cp = contributions[at + prev]!;
      if (cp > c || (cp === c && nameRank[prev]! < nameRank[j]!)) break;
      reasons[slot + i] = prev;
      i--;
    }
    reasons[slot + i] = j;
    if (n < top) n++;
  }
  for (let i = n; i < top; i++) reasons[slot + i] = -1;
}

/** The driver whose weight (`weights[at …]`, in `CHURN_DRIVERS` order) is highest and positive. */
export function churnDriverOf(weights: ArrayLike<number>, at = 0): ChurnDriver | null {
  let best = -1;
  for (let d = 0; d < CHURN_DRIVERS.length; d++)
    if (weights[at + d]! > 0 && (best < 0 || weights[at + d]! > weights[at + best]!)) best = d;
  return best < 0 ? null : CHURN_DRIVERS[best]!;
}

/**
 * A reason's value and contribution to 4 decimals, as stored and shown: the digits after are noise to
 * a reader (the features are float32, the contributions a push in log-odds of at least
 * {@link MIN_REASON_CONTRIBUTION}), and a 17-digit number costs a third of serialising a reason.
 * The words are made from the unrounded value.
 */
const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * A row's reasons in plain words from its ranking ({@link rankChurnContributions}): column
 * `reasons[slot + i]` with its contribution `contribution[slot + i]` and raw value `values[j]`.
 */
export function describeChurnRanking(
  featureNames: readonly string[],
  values: ArrayLike<number>,
  valuesAt: number,
  view: HistoryAsOf,
  top: number,
  reasons: ArrayLike<number>,
  contribution: ArrayLike<number>,
  slot: number,
  weights: ArrayLike<number>,
  weightsAt: number,
): ChurnExplanation {
  const out: ChurnReason[] = [];
  for (let i = 0; i < top; i++) {
    const j = reasons[slot + i]!;
    if (j < 0) break;
    const name = featureNames[j]!;
    const f = FEATURE_BY_NAME.get(name)!;
    const v = values[valuesAt + j]!;
    out.push({
      feature: name,
      family: f.family,
      value: Number.isNaN(v) ? null : round4(v),
      contribution: round4(contribution[slot + i]!),
      text: Number.isNaN(v) ? `no ${f.description}` : f.reason(v, view),
    });
  }
  return {
    reasons: out,
    driver: churnDriverOf(weights, weightsAt),
  };
}

/**
 * Reasons and driver from one row's TreeSHAP values: the `top` features with the largest
 * positive contributions, each in the words of its definition; the driver is the one whose
 * features' positive contributions sum highest (price, service, quality or disengagement).
 * Features without a driver (recency, frequency, BTYD…) say how much risk there is, not why.
 */
export function explainChurn(
  featureNames: readonly string[],
  values: ArrayLike<number>,
  contributions: ArrayLike<number>,
  view: HistoryAsOf,
  top = 3,
): ChurnExplanation {
  const reasons = new Int32Array(top);
  const weights = new Float64Array(4);
  rankChurnContributions(churnColumns(featureNames), contributions, 0, top, reasons, 0, weights, 0);
  const contribution = Float64Array.from(reasons, (j) => (j < 0 ? 0 : contributions[j]!));
  return describeChurnRanking(featureNames, values, 0, view, top, reasons, contribution, 0, weights, 0);
}

/**
 * What scoring needs of every row, computed by {@link rankChurnRows} (or on worker threads):
 * the raw margin, the columns of the top reasons with their contributions, the driver weights.
 */
export interface ChurnRanking {
  readonly top: number;
  /** rows: the trees' raw margin (log-odds), bit for bit `predictRaw`. */
  readonly margins: Float64Array;
  /** rows × top: reason columns, strongest first, −1 after the last. */
  readonly reasons: Int32Array;
  /** rows × top: their contributions. */
  readonly contributions: Float64Array;
  /** rows × 4: the drivers' weights in `CHURN_DRIVERS` order. */
  readonly weights: Float64Array;
}

/** Allocates a ranking for `rows` rows (in shared memory when `shared`, for worker threads). */
export function allocateChurnRanking(rows: number, top: number, shared = false): ChurnRanking {
  const mem = (bytes: number): ArrayBufferLike =>
    shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    top,
    margins: new Float64Array(mem(8 * rows)),
    reasons: new Int32Array(mem(4 * rows * top)),
    contributions: new Float64Array(mem(8 * rows * top)),
    weights: new Float64Array(mem(8 * rows * 4)),
  };
}

/**
 * Ranks rows [begin, end) of `data` into `ranking`: one pass of Fast TreeSHAP (contributions and
 * margin) per batch of rows, then each row's reasons from its contributions. `scratch` holds
 * (end − begin) × cols contributions at least. The same numbers whatever the batches.
 */
export function rankChurnRows(
  explainer: FastTreeShapExplainer,
  columns: ChurnColumns,
  data: Pick<FeatureMatrix, 'values' | 'cols'>,
  begin: number,
  end: number,
  ranking: ChurnRanking,
  scratch: Float64Array,
): void {
  const { cols } = data;
  const { top, reasons, contributions, weights, margins } = ranking;
  const phi = scratch.subarray(0, (end - begin) * cols);
  phi.fill(0);
  explainer.explainRows(data.values, begin, end, phi, margins.subarray(begin, end));
  for (let i = begin; i < end; i++) {
    const at = (i - begin) * cols;
    rankChurnContributions(columns, phi, at, top, reasons, i * top, weights, i * 4);
    for (let k = 0; k < top; k++) {
      const j = reasons[i * top + k]!;
      contributions[i * top + k] = j < 0 ? 0 : phi[at + j]!;
    }
  }
}

/** The calibrated probability of a raw margin. */
function calibrate(model: ChurnModel, margin: number): number {
  const c = model.calibration;
  return c.type === 'isotonic' ? applyIsotonic(c, margin) : applyPlatt(c, margin);
}

/**
 * A churn score with its reasons for every row of `data` (`views[i]` is row i's history): the
 * probability, the top reasons in plain words and the driver. The TreeSHAP values are computed
 * and ranked here, a chunk of rows at a time, unless `ranking` (as `rankChurnRows` gives, e.g.
 * from several threads) is passed in; either way the same as `predictChurn` and `explainChurn`.
 */
export function scoreWithReasons(
  model: ChurnModel,
  data: FeatureMatrix,
  views: readonly HistoryAsOf[],
  top = 3,
  ranking?: ChurnRanking,
): ChurnScore[] {
  const { rows, cols } = data;
  let r = ranking;
  if (r === undefined) {
    r = allocateChurnRanking(rows, top);
    const explainer = new FastTreeShapExplainer(model.trees);
    const columns = churnColumns(data.featureNames);
    const chunk = 4096;
    const scratch = new Float64Array(Math.min(rows, chunk) * cols);
    for (let begin = 0; begin < rows; begin += chunk)
      rankChurnRows(explainer, columns, data, begin, Math.min(rows, begin + chunk), r, scratch);
  } else if (r.margins.length !== rows || r.top !== top) throw new RangeError('ranking of other rows');
  const out = new Array<ChurnScore>(rows);
  for (let i = 0; i < rows; i++) out[i] = describeScore(model, data, views, r, i);
  return out;
}

/** Row i's score in words from its ranking (what `scoreWithReasons` returns for it). */
export function describeScore(
  model: ChurnModel,
  data: FeatureMatrix,
  views: readonly HistoryAsOf[],
  ranking: ChurnRanking,
  i: number,
): ChurnScore {
  const { top } = ranking;
  const { reasons, driver } = describeChurnRanking(
    data.featureNames,
    data.values,
    i * data.cols,
    views[i]!,
    top,
    ranking.reasons,
    ranking.contributions,
    i * top,
    ranking.weights,
    i * 4,
  );
  return { probability: calibrate(model, ranking.margins[i]!), reasons, driver };
}

/** Holdout metrics of the churn model (the `churn` section of `patron evaluate`). */
export interface ChurnMetrics {
  readonly rows: number;
  readonly positiveRate: number;
  readonly auc: number;
  readonly prAuc: number;
  readonly brier: number;
  readonly topDecileLift: number;
  /** k = the top decile (⌈n/10⌉ customers). */
  readonly k: number;
  readonly precisionAtK: number;
  readonly recallAtK: number;
  /** F1 predicting churn at a calibrated probability ≥ 0.5. */
  readonly f1: number;
  readonly calibration: readonly CalibrationBin[];
  readonly baselineAuc: number;
  readonly baselineTopDecileLift: number;
  /**
   * Lift of the top decile of the *least* likely churners among the customers who did buy — the
   * way the CDNOW literature reports it (who will buy again), comparable with its 2.8.
   */
  readonly buyerTopDecileLift: number;
}

/** Scores the holdout matrix with the model and its baseline. */
export function churnMetrics(model: ChurnModel, data: FeatureMatrix, labels: Float64Array): ChurnMetrics {
  const p = predictChurn(model, data);
  const b = predictProbability(model.baseline, data);
  const k = Math.max(1, Math.ceil(data.rows / 10));
  let pos = 0;
  for (const y of labels) pos += y;
  return {
    rows: data.rows,
    positiveRate: pos / data.rows,
    auc: rocAuc(labels, p),
    prAuc: averagePrecision(labels, p),
    brier: brierScore(labels, p),
    topDecileLift: topDecileLift(labels, p),
    k,
    precisionAtK: precisionAtK(labels, p, k),
    recallAtK: recallAtK(labels, p, k),
    f1: f1AtThreshold(labels, p, 0.5).f1,
    calibration: calibrationTable(labels, p, 10),
    baselineAuc: rocAuc(labels, b),
    baselineTopDecileLift: topDecileLift(labels, b),
    buyerTopDecileLift: topDecileLift(
      labels.map((y) => 1 - y),
      p.map((v) => 1 - v),
    ),
  };
}

export interface FeatureDrift {
  readonly feature: string;
  readonly psi: number;
  readonly level: 'stable' | 'shift' | 'major';
}

/** Population stability index of each feature, training reference vs the rows being scored. */
export function featureDrift(model: ChurnModel, data: FeatureMatrix): FeatureDrift[] {
  return model.featureNames.map((feature, j) => {
    const current = new Float64Array(data.rows);
    for (let i = 0; i < data.rows; i++) current[i] = data.values[i * data.cols + j]!;
    const ref = model.reference[j]!;
    const psi = ref.length === 0 || current.length === 0 ? 0 : populationStabilityIndex(ref, current);
    return { feature, psi, level: psi < 0.1 ? 'stable' : psi <= 0.25 ? 'shift' : 'major' };
  });
}
