/**
 * `patron evaluate`: backtest the CLV models on the store's own history. Fit BG/NBD, Pareto/NBD,
 * MBG/NBD and Gamma–Gamma on orders up to the calibration end (inclusive day), then compare each
 * customer's predicted repeat purchases in the holdout (calibration end, holdout end] with what
 * happened — together with a naive x/T extrapolation and the learned (gradient-boosted) CLV.
 *
 * The learned model is trained on an earlier, time-shifted split inside the calibration period
 * ({@link learnExpectedPurchases}); the holdout is only read to score the predictions.
 */
import {
  bgNbd,
  conditionalExpectedAverageValue,
  daysPerUnit,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  InsufficientDataError,
  mbgNbd,
  paretoNbd,
  summarizeTransactions,
  type BgNbdParams,
  type GammaGammaParams,
  type ParetoNbdParams,
  type SummaryColumns,
  type TimeUnit,
} from '../domain/models/clv/index.js';
import { trainGradientBoosting } from '../domain/models/trees/gbdt.js';
import { featureImportance, predict } from '../domain/models/trees/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import {
  meanAbsoluteError,
  pearsonCorrelation,
  rootMeanSquaredError,
} from '../domain/models/evaluate/metrics.js';
import {
  purchaseDaysBetween,
  purchaseFeatures,
  spendBetween,
  type PurchaseColumns,
  type PurchaseHistory,
} from '../domain/features/purchase-features.js';
import { minorUnitDigits } from '../domain/money/money.js';
import { err, ok, type Result } from '../domain/result.js';

const DAY_MS = 86_400_000;

/** What the CLV use cases need from the order history (implemented in store/order-history-repository.ts). */
export interface OrderHistorySource {
  /** Purchases (cancelled orders excluded, gross amounts) through `throughDay` (inclusive, YYYY-MM-DD). */
  load(query?: { throughDay?: string }): Promise<PurchaseHistory>;
  /** The day of the latest order, or null without orders. */
  latestOrderDay(): Promise<string | null>;
}

export type ClvError =
  | { type: 'InvalidDate'; message: string }
  | { type: 'InvalidOption'; message: string }
  | { type: 'InsufficientData'; message: string };

export interface EvaluateOptions {
  /** Last day of the calibration period, YYYY-MM-DD (inclusive). */
  readonly calibrationEnd: string;
  /** Last day of the holdout, YYYY-MM-DD (inclusive); the holdout is (calibrationEnd, holdoutEnd]. */
  readonly holdoutEnd: string;
  readonly timeUnit?: TimeUnit;
  /** The store's base currency: amounts are reported in its major units (dollars, euros…). */
  readonly currency: string;
}

export interface ModelFit<P> {
  readonly params: P;
  readonly logLikelihood: number;
  readonly converged: boolean;
}

/** Per-model figures, keyed like `predicted`. */
export interface ByModel<T> {
  readonly bgnbd: T;
  readonly paretoNbd: T;
  readonly mbgnbd: T;
  readonly learned: T | null;
  readonly naive: T;
}

export interface EvaluationReport {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  readonly timeUnit: TimeUnit;
  /** Holdout length in time units. */
  readonly holdoutLength: number;
  readonly currency: string;
  readonly calibration: {
    readonly customers: number;
    readonly repeatCustomers: number;
    readonly repeatTransactions: number;
  };
  readonly clv: {
    readonly bgnbd: ModelFit<BgNbdParams>;
    readonly paretoNbd: ModelFit<ParetoNbdParams>;
    readonly mbgnbd: ModelFit<BgNbdParams>;
    /** Fitted on repeat customers' mean repeat-day value in major units of `currency`. */
    readonly gammaGamma: ModelFit<GammaGammaParams> & { readonly customers: number };
  };
  readonly holdout: {
    readonly customers: number;
    /** Purchase days in the holdout, summed over the customers. */
    readonly actualRepeatPurchases: number;
    /** Predicted holdout purchases, summed over the customers. */
    readonly predicted: ByModel<number>;
    readonly mae: ByModel<number>;
    readonly rmse: ByModel<number>;
    /** Pearson correlation of predicted and actual per customer (null when undefined). */
    readonly correlation: ByModel<number | null>;
    /** Gamma–Gamma check on customers who bought in both periods: mean value per purchase day. */
    readonly spend: {
      readonly customers: number;
      readonly actualMeanValue: number;
      readonly predictedMeanValue: number;
      /** Baseline: the customer's own calibration mean repeat value. */
      readonly naiveMeanValue: number;
      readonly mae: { readonly gammaGamma: number; readonly naive: number };
    } | null;
  };
  readonly learned: LearnedSummary;
  readonly warnings: readonly string[];
}

export type LearnedSummary =
  | {
      readonly available: true;
      readonly trainingCutoff: string;
      readonly labelEnd: string;
      readonly labelDays: number;
      readonly trainingCustomers: number;
      readonly trees: number;
      readonly topFeatures: ReadonlyArray<{ readonly feature: string; readonly gain: number }>;
    }
  | { readonly available: false; readonly reason: string };

/** Parses a YYYY-MM-DD calendar date to a UTC day number, or null. */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  const day = t / DAY_MS;
  return new Date(t).toISOString().slice(0, 10) === text ? day : null;
}

export const formatDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Loads the orders and runs {@link evaluateHistory}. */
export async function evaluateModels(
  orders: OrderHistorySource,
  options: EvaluateOptions,
): Promise<Result<EvaluationReport, ClvError>> {
  const cal = parseDay(options.calibrationEnd);
  const hold = parseDay(options.holdoutEnd);
  if (cal === null) return err(invalidDate('--calibration-end', options.calibrationEnd));
  if (hold === null) return err(invalidDate('--holdout-end', options.holdoutEnd));
  if (hold <= cal) {
    return err({
      type: 'InvalidDate',
      message: `the holdout end (${options.holdoutEnd}) must come after the calibration end (${options.calibrationEnd})`,
    });
  }
  const [history, latest] = await Promise.all([
    orders.load({ throughDay: options.holdoutEnd }),
    orders.latestOrderDay(),
  ]);
  const warnings: string[] = [];
  if (latest !== null && latest < options.holdoutEnd) {
    warnings.push(
      `the last order is on ${latest}, before the holdout end ${options.holdoutEnd}: the holdout's tail has no data, so actual purchases are undercounted`,
    );
  }
  const result = evaluateHistory(history, options);
  if (!result.ok) return result;
  return ok({ ...result.value, warnings: [...warnings, ...result.value.warnings] });
}

const invalidDate = (flag: string, value: string): ClvError => ({
  type: 'InvalidDate',
  message: `${flag}: "${value}" is not a calendar date (YYYY-MM-DD)`,
});

/** Fits every model on the calibration period and scores the holdout. Pure. */
export function evaluateHistory(
  history: PurchaseHistory,
  options: EvaluateOptions,
): Result<EvaluationReport, ClvError> {
  const unit = options.timeUnit ?? 'week';
  const cal = parseDay(options.calibrationEnd);
  const hold = parseDay(options.holdoutEnd);
  if (cal === null || hold === null || hold <= cal) {
    return err({ type: 'InvalidDate', message: 'calibration end and holdout end must be dates in order' });
  }
  const customers = history.customerIds.length;
  const summary = summarizeTransactions(history.customer, history.day, history.amount, cal, unit);
  const n = summary.customer.length;
  if (n === 0) {
    return err({
      type: 'InsufficientData',
      message: `no customer bought on or before the calibration end ${options.calibrationEnd}`,
    });
  }
  const perUnit = daysPerUnit(unit);
  const horizon = (hold - cal) / perUnit;
  const majorPerMinor = 10 ** -(minorUnitDigits(options.currency) ?? 2);

  let bg, pareto, mbg, gg;
  try {
    const rfm = { frequency: summary.frequency, recency: summary.recency, T: summary.T };
    bg = fitBgNbd(rfm);
    pareto = fitParetoNbd(rfm);
    mbg = fitMbgNbd(rfm);
    gg = fitGammaGamma({
      frequency: summary.frequency,
      monetaryValue: Float64Array.from(summary.monetaryValue, (v) => v * majorPerMinor),
    });
  } catch (e) {
    if (e instanceof InsufficientDataError) {
      return err({
        type: 'InsufficientData',
        message: `not enough purchases before ${options.calibrationEnd} to fit the models: ${e.message}`,
      });
    }
    throw e;
  }

  // Actual holdout purchase days, per calibration customer.
  const holdoutAll = purchaseDaysBetween(history, customers, cal, hold);
  const actual = Float64Array.from(summary.customer, (c) => holdoutAll[c] as number);
  const predictions = {
    bgnbd: new Float64Array(n),
    paretoNbd: new Float64Array(n),
    mbgnbd: new Float64Array(n),
    naive: new Float64Array(n),
  };
  let repeatCustomers = 0;
  let repeatTransactions = 0;
  for (let i = 0; i < n; i++) {
    const x = summary.frequency[i] as number;
    const tx = summary.recency[i] as number;
    const T = summary.T[i] as number;
    if (x > 0) repeatCustomers++;
    repeatTransactions += x;
    predictions.bgnbd[i] = bgNbd.expectedPurchases(bg.params, horizon, x, tx, T);
    predictions.paretoNbd[i] = paretoNbd.expectedPurchases(pareto.params, horizon, x, tx, T);
    predictions.mbgnbd[i] = mbgNbd.expectedPurchases(mbg.params, horizon, x, tx, T);
    predictions.naive[i] = T > 0 ? (x / T) * horizon : 0;
  }

  const warnings: string[] = [];
  const learnedRun = learnExpectedPurchases(history, cal, hold - cal, unit, summary, bg.params);
  const learned = learnedRun.ok ? learnedRun.value.predictions : null;
  if (!learnedRun.ok) warnings.push(`learned CLV not trained: ${learnedRun.error}`);

  const metric = (f: (a: Float64Array, p: Float64Array) => number): ByModel<number> => ({
    bgnbd: f(actual, predictions.bgnbd),
    paretoNbd: f(actual, predictions.paretoNbd),
    mbgnbd: f(actual, predictions.mbgnbd),
    learned: learned ? f(actual, learned) : null,
    naive: f(actual, predictions.naive),
  });
  const corr = (a: Float64Array, p: Float64Array): number | null => {
    const c = pearsonCorrelation(a, p);
    return Number.isFinite(c) ? c : null;
  };

  return ok({
    calibrationEnd: options.calibrationEnd,
    holdoutEnd: options.holdoutEnd,
    timeUnit: unit,
    holdoutLength: horizon,
    currency: options.currency,
    calibration: { customers: n, repeatCustomers, repeatTransactions },
    clv: {
      bgnbd: fitOf(bg),
      paretoNbd: fitOf(pareto),
      mbgnbd: fitOf(mbg),
      gammaGamma: { ...fitOf(gg), customers: repeatCustomers },
    },
    holdout: {
      customers: n,
      actualRepeatPurchases: sum(actual),
      predicted: metric((_a, p) => sum(p)),
      mae: metric(meanAbsoluteError),
      rmse: metric(rootMeanSquaredError),
      correlation: {
        bgnbd: corr(actual, predictions.bgnbd),
        paretoNbd: corr(actual, predictions.paretoNbd),
        mbgnbd: corr(actual, predictions.mbgnbd),
        learned: learned ? corr(actual, learned) : null,
        naive: corr(actual, predictions.naive),
      },
      spend: spendCheck(history, customers, summary, cal, hold, gg.params, majorPerMinor),
    },
    learned: learnedRun.ok
      ? {
          available: true,
          trainingCutoff: formatDay(learnedRun.value.trainingCutoffDay),
          labelEnd: options.calibrationEnd,
          labelDays: cal - learnedRun.value.trainingCutoffDay,
          trainingCustomers: learnedRun.value.trainingCustomers,
          trees: learnedRun.value.trees,
          topFeatures: learnedRun.value.importance.slice(0, 5),
        }
      : { available: false, reason: learnedRun.error },
    warnings,
  });
}

function fitOf<P>(fit: { params: P; logLikelihood: number; converged: boolean }): ModelFit<P> {
  return { params: fit.params, logLikelihood: fit.logLikelihood, converged: fit.converged };
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s;
}

/**
 * The Gamma–Gamma check: for customers who made repeat purchases in the calibration period and
 * bought again in the holdout, the conditional expected value per purchase day E[M | x, m̄]
 * against the actual mean holdout value per purchase day.
 */
function spendCheck(
  history: PurchaseColumns,
  customers: number,
  summary: SummaryColumns,
  cal: number,
  hold: number,
  params: GammaGammaParams,
  majorPerMinor: number,
): EvaluationReport['holdout']['spend'] {
  const spend = spendBetween(history, customers, cal, hold);
  let count = 0;
  let actualSum = 0;
  let predictedSum = 0;
  let naiveSum = 0;
  let maeGg = 0;
  let maeNaive = 0;
  for (let i = 0; i < summary.customer.length; i++) {
    const c = summary.customer[i] as number;
    const x = summary.frequency[i] as number;
    const days = spend.days[c] as number;
    if (x === 0 || days === 0) continue;
    const actual = ((spend.total[c] as number) / days) * majorPerMinor;
    const own = (summary.monetaryValue[i] as number) * majorPerMinor;
    const predicted = conditionalExpectedAverageValue(params, x, own);
    count++;
    actualSum += actual;
    predictedSum += predicted;
    naiveSum += own;
    maeGg += Math.abs(predicted - actual);
    maeNaive += Math.abs(own - actual);
  }
  if (count === 0) return null;
  return {
    customers: count,
    actualMeanValue: actualSum / count,
    predictedMeanValue: predictedSum / count,
    naiveMeanValue: naiveSum / count,
    mae: { gammaGamma: maeGg / count, naive: maeNaive / count },
  };
}

/** Feature names of the learned CLV: the purchase features plus the BG/NBD's own view. */
const BG_FEATURES = ['bgnbdProbabilityAlive', 'bgnbdExpectedPurchases'] as const;

export interface LearnedPurchases {
  /** Expected purchase days in the next `horizonDays`, one per row of the summary at the cut-off. */
  readonly predictions: Float64Array;
  /** Features as of this day, labels in (trainingCutoffDay, cutoffDay]. */
  readonly trainingCutoffDay: number;
  readonly trainingCustomers: number;
  readonly trees: number;
  readonly importance: ReadonlyArray<{ feature: string; gain: number }>;
}

/** Share of today's customers who must have bought by the training cut-off. */
const ACQUIRED_SHARE = 0.9;
/** Floor of the BG/NBD expectation the learned ratio multiplies (in purchases over the horizon). */
const MIN_BASE = 0.05;
/** Smallest label window (days) the learned model is trained on. */
const MIN_LABEL_DAYS = 28;
/** Fewest customers the learned model is trained on. */
const MIN_TRAINING_CUSTOMERS = 50;

/**
 * The learned CLV: gradient-boosted regression (squared error) that corrects the BG/NBD's
 * forecast customer by customer. The target is the ratio of actual purchase days to the BG/NBD
 * expectation E_BG, weighted by E_BG — i.e. the loss Σ (y − E_BG·f(features))² / E_BG — so the
 * trees learn for whom the probabilistic model is too high or too low from the features of
 * purchase-features.ts and the BG/NBD's P(alive) and E_BG; the prediction is E_BG · f.
 *
 * Training never looks past `cutoffDay`: features (and a BG/NBD fit) are taken as of a training
 * cut-off c₀ = cutoffDay − horizonDays and the label is the purchase days in (c₀, cutoffDay].
 * When fewer than 90% of today's customers had bought by then (a young store; CDNOW, whose
 * customers were all acquired in one quarter), c₀ moves forward to the day by which 90% had
 * bought — so the training customers resemble the ones predicted — and the label, purchase days in
 * a window of L < horizonDays days, is scaled by horizonDays / L (E_BG uses the window L, scaled
 * alike). `bgParams`, fitted up to `cutoffDay`, gives the prediction rows' E_BG over the horizon.
 * Returns an error message when the training split is too small.
 */
export function learnExpectedPurchases(
  history: PurchaseHistory,
  cutoffDay: number,
  horizonDays: number,
  unit: TimeUnit,
  summaryAtCutoff: SummaryColumns,
  bgParams: BgNbdParams,
  options: { seed?: number } = {},
): Result<LearnedPurchases, string> {
  const customers = history.customerIds.length;
  const n = summaryAtCutoff.customer.length;
  // First purchase days of the customers known at the cut-off, sorted, for the acquisition quantile.
  const firstDays = new Float64Array(n);
  for (let i = 0; i < n; i++) firstDays[i] = cutoffDay - (summaryAtCutoff.T[i] as number) * daysPerUnit(unit);
  firstDays.sort();
  const acquired = Math.round(firstDays[Math.floor(ACQUIRED_SHARE * (n - 1))] as number);
  let c0 = cutoffDay - horizonDays;
  if (countAtMost(firstDays, c0) < ACQUIRED_SHARE * n) c0 = Math.max(c0, acquired);
  const labelDays = cutoffDay - c0;
  if (labelDays < MIN_LABEL_DAYS) {
    return err(
      `the customers are too new: ${Math.round(100 * (1 - ACQUIRED_SHARE))}% of them first bought after ${formatDay(acquired)}, leaving ${labelDays} days of labels (at least ${MIN_LABEL_DAYS} needed)`,
    );
  }
  const trainFeatures = purchaseFeatures(history, customers, c0);
  if (trainFeatures.rows < MIN_TRAINING_CUSTOMERS) {
    return err(
      `only ${trainFeatures.rows} customers had bought by ${formatDay(c0)} (${MIN_TRAINING_CUSTOMERS} needed)`,
    );
  }
  const trainSummary = summarizeTransactions(history.customer, history.day, history.amount, c0, unit);
  let trainBg: BgNbdParams | null = null;
  try {
    trainBg = fitBgNbd({
      frequency: trainSummary.frequency,
      recency: trainSummary.recency,
      T: trainSummary.T,
    }).params;
  } catch (e) {
    if (!(e instanceof InsufficientDataError)) throw e;
  }
  const perUnit = daysPerUnit(unit);
  const horizon = horizonDays / perUnit;
  const labelWindow = labelDays / perUnit;
  const scale = horizonDays / labelDays;
  const train = withModelFeatures(trainFeatures, trainSummary, trainBg, labelWindow, scale);
  const labelsAll = purchaseDaysBetween(history, customers, c0, cutoffDay);
  const trainBase = bgColumn(train);
  // Ratio target y / E_BG with weight E_BG: the squared loss Σ (y − E_BG·f)² / E_BG.
  const weights = Float64Array.from(trainBase, (b) => Math.max(b, MIN_BASE));
  const labels = Float64Array.from(
    trainFeatures.customer,
    (c, i) => ((labelsAll[c] as number) * scale) / (weights[i] as number),
  );

  const split = canonicalSplit(train, labels, weights);
  const result = trainGradientBoosting(split.train.data, split.train.labels, {
    objective: 'squared-error',
    rounds: 400,
    learningRate: 0.05,
    maxDepth: 3,
    minChildWeight: 20,
    lambda: 5,
    weights: split.train.weights,
    validation: split.validation,
    earlyStoppingRounds: 40,
    seed: options.seed ?? 1,
  });

  const nowFeatures = purchaseFeatures(history, customers, cutoffDay);
  const matrix = withModelFeatures(nowFeatures, summaryAtCutoff, bgParams, horizon, 1);
  const predictions = predict(result.model, matrix);
  const base = bgColumn(matrix);
  for (let i = 0; i < predictions.length; i++) {
    predictions[i] = Math.max(0, (predictions[i] as number) * Math.max(base[i] as number, MIN_BASE));
  }
  return ok({
    predictions,
    trainingCutoffDay: c0,
    trainingCustomers: trainFeatures.rows,
    trees: result.model.trees.length,
    importance: featureImportance(result.model).map((f) => ({ feature: f.feature, gain: f.gain })),
  });
}

/** The BG/NBD expectation column (0 where undefined). */
function bgColumn(m: FeatureMatrix): Float64Array {
  const j = m.featureNames.indexOf('bgnbdExpectedPurchases');
  return Float64Array.from({ length: m.rows }, (_, i) => {
    const v = m.values[i * m.cols + j] as number;
    return Number.isFinite(v) ? v : 0;
  });
}

interface Rows {
  data: FeatureMatrix;
  labels: Float64Array;
  weights: Float64Array;
}

/**
 * Early-stopping split that does not depend on the order of the rows (customer ids are random,
 * so row order is arbitrary): rows are sorted by (label, features) and every fifth goes to
 * validation. Rows that tie are identical, so any order of them gives the same model.
 */
function canonicalSplit(
  m: FeatureMatrix,
  labels: Float64Array,
  weights: Float64Array,
): { train: Rows; validation: Rows } {
  const { cols, values } = m;
  const key = (a: number, b: number): number => {
    const d = (labels[a] as number) - (labels[b] as number);
    if (d !== 0) return d;
    for (let j = 0; j < cols; j++) {
      const x = values[a * cols + j] as number;
      const y = values[b * cols + j] as number;
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
      if (Number.isNaN(x)) return 1;
      if (Number.isNaN(y)) return -1;
      return x - y;
    }
    return 0;
  };
  const order = Array.from({ length: m.rows }, (_, i) => i).sort(key);
  const pick = (keep: (k: number) => boolean): Rows => {
    const idx = order.filter((_, k) => keep(k));
    const out = new Float64Array(idx.length * cols);
    idx.forEach((i, r) => out.set(values.subarray(i * cols, (i + 1) * cols), r * cols));
    return {
      data: { values: out, rows: idx.length, cols, featureNames: m.featureNames },
      labels: Float64Array.from(idx, (i) => labels[i] as number),
      weights: Float64Array.from(idx, (i) => weights[i] as number),
    };
  };
  return { train: pick((k) => k % 5 !== 4), validation: pick((k) => k % 5 === 4) };
}

function countAtMost(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The purchase features with the BG/NBD's P(alive) and E[purchases in the horizon] appended (NaN without a fit). */
function withModelFeatures(
  features: ReturnType<typeof purchaseFeatures>,
  summary: SummaryColumns,
  params: BgNbdParams | null,
  window: number,
  scale: number,
): FeatureMatrix {
  const base = features.names.length;
  const cols = base + BG_FEATURES.length;
  const values = new Float64Array(features.rows * cols);
  for (let i = 0; i < features.rows; i++) {
    values.set(features.values.subarray(i * base, (i + 1) * base), i * cols);
    const x = summary.frequency[i] as number;
    const tx = summary.recency[i] as number;
    const T = summary.T[i] as number;
    values[i * cols + base] = params ? bgNbd.probabilityAlive(params, x, tx, T) : NaN;
    values[i * cols + base + 1] = params ? bgNbd.expectedPurchases(params, window, x, tx, T) * scale : NaN;
  }
  return { values, rows: features.rows, cols, featureNames: [...features.names, ...BG_FEATURES] };
}
