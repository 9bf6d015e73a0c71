/**
 * Churn use cases: build the rolling-origin data set from the store's history, train and evaluate
 * the model on it (`patron churn train|evaluate`), version it in the database, and score every
 * customer with reasons and a driver (`patron churn score`), reporting feature drift.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CHURN_FEATURES,
  CHURN_FEATURE_NAMES,
  historyAsOf,
  type ChurnDriver,
  type HistoryAsOf,
} from '../domain/features/churn/features.js';
import type { CustomerHistory } from '../domain/features/churn/history.js';
import { churnFeatureMatrix } from '../domain/features/churn/matrix.js';
import { btydAtCutoff } from '../domain/models/churn/btyd.js';
import {
  activeBefore,
  churnLabel,
  DAY_MS,
  defaultChurnWindowDays,
  planChurnSplit,
  type ChurnSplit,
} from '../domain/models/churn/label.js';
import {
  churnMetrics,
  churnModelFromJSON,
  churnModelToJSON,
  allocateChurnRanking,
  describeScore,
  featureDrift,
  trainChurnModel,
  type ChurnMetrics,
  type ChurnModel,
  type ChurnModelJson,
  type ChurnReason,
  type ChurnScore,
  type FeatureDrift,
} from '../domain/models/churn/model.js';
import type { BoostingOptions } from '../domain/models/trees/gbdt.js';
import { featureImportance } from '../domain/models/trees/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import { err, ok, type Result } from '../domain/result.js';
import { formatDay, parseDay } from './evaluate-models.js';
import { startHistogramWorkers } from './histogram-workers.js';
import { rankChurnInWorkers } from './tree-shap-workers.js';

/** From this many customers, training and scoring use every core (worker threads). */
export const PARALLEL_MIN_CUSTOMERS = 50_000;

/** {@link runChurnEvaluation}, building the histograms on every core for a large store. */
async function runChurnEvaluationOnCores(
  histories: readonly CustomerHistory[],
  options: ChurnSplitOptions,
): Promise<Result<ChurnRun, ChurnError>> {
  if (histories.length < PARALLEL_MIN_CUSTOMERS || options.boosting?.histogramBuilder !== undefined)
    return runChurnEvaluation(histories, options);
  const histograms = startHistogramWorkers();
  try {
    return runChurnEvaluation(histories, {
      ...options,
      boosting: { ...options.boosting, histogramBuilder: histograms },
    });
  } finally {
    await histograms.close();
  }
}

/** Where the churn use cases read histories from (store/churn-history-repository.ts). */
export interface ChurnHistorySource {
  load(options?: { before?: string }): Promise<CustomerHistory[]>;
}

/** Where models and scores are kept (store/churn-repository.ts). */
/** A trained churn model version as stored: immutable, JSON as text. */
export interface ChurnModelRow {
  id: string;
  trained_at: string;
  window_days: number;
  metrics: string;
  features: string;
  model: string;
}

/** One customer's latest churn score as stored; reasons are JSON text. */
export interface ChurnScoreRow {
  customer_id: string;
  model_version: string;
  scored_at: string;
  as_of: string;
  probability: number;
  driver: string | null;
  reasons: string;
  /** Latest order, visit, product view, email open or click before the cut-off; null when the store sends no such events. */
  last_seen_at: string | null;
}

export interface ChurnModelStore {
  saveModel(row: ChurnModelRow): Promise<void>;
  latestModel(): Promise<{ id: string; window_days: number; model: string } | null>;
  /**
   * Replaces every stored score with the rows of `pages`, all or nothing: each page is written as
   * it arrives, inside one transaction, so the scores of a big store are never all held at once.
   */
  replaceScores(pages: AsyncIterable<readonly ChurnScoreRow[]>): Promise<void>;
}

export type ChurnError =
  | { type: 'InvalidDate'; message: string }
  | { type: 'InsufficientData'; message: string }
  | { type: 'NoModel'; message: string };

export interface ChurnSplitOptions {
  /** Last day of the feature period (YYYY-MM-DD, inclusive). Default: one window before the last order day. */
  readonly calibrationEnd?: string;
  /** Last day of the label window (YYYY-MM-DD, inclusive). Default: the last order day. */
  readonly holdoutEnd?: string;
  /** Churn window in days when the dates are not given (default: 90th percentile of gaps). */
  readonly windowDays?: number;
  readonly seed?: number;
  /**
   * Training cut-offs stacked into one training set: the split's training cut-off and this many − 1
   * earlier ones, `trainingStepDays` apart, each labelled over a window of the same length (default
   * 4 × 14 days). A customer's risk moves within weeks of an order (a refund, a ticket, a fading
   * interest); one cut-off sees each such moment once, four see it four times as often. A cut-off
   * with fewer than 90 % of the customers of the first is not used: the store was still acquiring
   * its population then (CDNOW's cohort, acquired in 12 weeks, trains on one cut-off).
   */
  readonly trainingCutoffs?: number;
  readonly trainingStepDays?: number;
  /** Learner overrides (tests use fewer, smaller trees). */
  readonly boosting?: Partial<BoostingOptions>;
}

/** Rows of one side of the split: customers active before the cut-off. */
export interface ChurnRows {
  readonly cutoff: number;
  readonly customerIds: readonly string[];
  readonly views: readonly HistoryAsOf[];
  readonly matrix: FeatureMatrix;
  readonly labels: Float64Array;
}

export interface ChurnDataset {
  readonly split: ChurnSplit;
  readonly windowDays: number;
  /** How many training cut-offs `train` stacks. */
  readonly trainingCutoffs: number;
  readonly train: ChurnRows;
  readonly test: ChurnRows;
}

/** Features (and BTYD views) of every customer active before `cutoff`. */
export function churnRowsAt(
  histories: readonly CustomerHistory[],
  cutoff: number,
  windowDays: number,
  labelEnd: number | null,
): ChurnRows {
  const active = histories.filter((h) => activeBefore(h, cutoff));
  const bare = active.map((h) => historyAsOf(h, cutoff));
  const btyd = btydAtCutoff(bare, windowDays);
  const views = bare.map((v, i) => ({ ...v, btyd: btyd[i] ?? null }));
  const labelDays = labelEnd === null ? windowDays : (labelEnd - cutoff) / DAY_MS;
  return {
    cutoff,
    customerIds: active.map((h) => h.customerId),
    views,
    matrix: churnFeatureMatrix(views),
    labels: Float64Array.from(active, (h) => (labelEnd === null ? NaN : churnLabel(h, cutoff, labelDays))),
  };
}

/** The customer's latest order or activity in a view (ISO UTC); every scored customer has an order. */
function lastSeenAt(v: HistoryAsOf): string {
  const order = v.orders[v.orders.length - 1]?.at ?? -Infinity;
  const activity = v.activity[v.activity.length - 1]?.at ?? -Infinity;
  return new Date(Math.max(order, activity)).toISOString();
}

/** Rows of several cut-offs as one training set (the first cut-off's time stands for them). */
function stackRows(parts: readonly ChurnRows[]): ChurnRows {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const rows = parts.reduce((n, p) => n + p.matrix.rows, 0);
  const cols = first.matrix.cols;
  const values = new Float64Array(rows * cols);
  const labels = new Float64Array(rows);
  let at = 0;
  for (const p of parts) {
    values.set(p.matrix.values, at * cols);
    labels.set(p.labels, at);
    at += p.matrix.rows;
  }
  return {
    cutoff: first.cutoff,
    customerIds: parts.flatMap((p) => p.customerIds),
    views: parts.flatMap((p) => p.views),
    matrix: { values, rows, cols, featureNames: first.matrix.featureNames },
    labels,
  };
}

const nextDay = (day: number): number => (day + 1) * DAY_MS;

/** The last order day in the histories (UTC day number), or null. */
function lastOrderDay(histories: readonly CustomerHistory[]): number | null {
  let last = -Infinity;
  for (const h of histories) {
    const o = h.orders[h.orders.length - 1];
    if (o && o.at > last) last = o.at;
  }
  return Number.isFinite(last) ? Math.floor(last / DAY_MS) : null;
}

/** Resolves the dates and builds the training (earlier cut-off) and test rows. */
export function buildChurnDataset(
  histories: readonly CustomerHistory[],
  options: ChurnSplitOptions,
): Result<ChurnDataset, ChurnError> {
  let testCutoff: number;
  let testLabelEnd: number;
  if (options.calibrationEnd !== undefined || options.holdoutEnd !== undefined) {
    const cal = options.calibrationEnd === undefined ? null : parseDay(options.calibrationEnd);
    const hold = options.holdoutEnd === undefined ? null : parseDay(options.holdoutEnd);
    if (cal === null || hold === null) {
      return err({
        type: 'InvalidDate',
        message: '--calibration-end and --holdout-end must both be calendar dates (YYYY-MM-DD)',
      });
    }
    if (hold <= cal)
      return err({ type: 'InvalidDate', message: 'the holdout end must come after the calibration end' });
    testCutoff = nextDay(cal);
    testLabelEnd = nextDay(hold);
  } else {
    const last = lastOrderDay(histories);
    if (last === null) return err({ type: 'InsufficientData', message: 'the store has no orders' });
    testLabelEnd = nextDay(last);
    const w = options.windowDays ?? defaultChurnWindowDays(histories, testLabelEnd);
    testCutoff = testLabelEnd - w * DAY_MS;
  }
  const windowDays = Math.round((testLabelEnd - testCutoff) / DAY_MS);
  const split = planChurnSplit(
    testCutoff,
    testLabelEnd,
    histories.filter((h) => h.orders.length > 0).map((h) => h.orders[0]!.at),
  );
  const labelMs = split.trainingLabelEnd - split.trainingCutoff;
  const stepMs = (options.trainingStepDays ?? 14) * DAY_MS;
  const stacked: ChurnRows[] = [];
  for (let j = 0; j < Math.max(1, options.trainingCutoffs ?? 4); j++) {
    const cutoff = split.trainingCutoff - j * stepMs;
    const rows = churnRowsAt(histories, cutoff, windowDays, cutoff + labelMs);
    if (j > 0 && rows.matrix.rows < 0.9 * stacked[0]!.matrix.rows) break;
    stacked.push(rows);
  }
  const train = stackRows(stacked);
  const test = churnRowsAt(histories, split.testCutoff, windowDays, split.testLabelEnd);
  const classes = (y: Float64Array): number => new Set(y).size;
  if (train.matrix.rows < 100 || classes(train.labels) < 2) {
    return err({
      type: 'InsufficientData',
      message: `too little history before ${formatDay(split.trainingCutoff / DAY_MS)} to train (${train.matrix.rows} customers, need 100 with churners and non-churners)`,
    });
  }
  if (test.matrix.rows < 10 || classes(test.labels) < 2) {
    return err({ type: 'InsufficientData', message: `too few customers to evaluate (${test.matrix.rows})` });
  }
  return ok({ split, windowDays, trainingCutoffs: stacked.length, train, test });
}

/** The `churn` section of `patron evaluate` (holdout metrics) with the split that produced it. */
export interface ChurnEvaluation extends ChurnMetrics {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  readonly windowDays: number;
  readonly trainingCutoff: string;
  readonly trainingLabelDays: number;
  readonly training: {
    /** Training cut-offs stacked (see `trainingCutoffs`); `trainingCutoff` is the latest. */
    readonly cutoffs: number;
    readonly rows: number;
    readonly positiveRate: number;
    readonly trees: number;
    readonly stoppedEarly: boolean;
    readonly calibrationMethod: 'isotonic' | 'platt';
  };
  readonly topFeatures: ReadonlyArray<{ readonly feature: string; readonly gain: number }>;
}

export interface ChurnRun {
  readonly evaluation: ChurnEvaluation;
  readonly model: ChurnModel;
  readonly dataset: ChurnDataset;
}

const mean = (y: Float64Array): number => y.reduce((s, v) => s + v, 0) / Math.max(1, y.length);
const isoDay = (ms: number): string => formatDay(Math.floor(ms / DAY_MS));

/** Trains on the earlier cut-off and scores the holdout. Pure once the histories are loaded. */
export function runChurnEvaluation(
  histories: readonly CustomerHistory[],
  options: ChurnSplitOptions,
): Result<ChurnRun, ChurnError> {
  const built = buildChurnDataset(histories, options);
  if (!built.ok) return built;
  const dataset = built.value;
  const { split, train, test, windowDays } = dataset;
  const trained = trainChurnModel(train.matrix, train.labels, {
    windowDays,
    seed: options.seed ?? 42,
    ...(options.boosting ? { boosting: options.boosting } : {}),
  });
  const metrics = churnMetrics(trained.model, test.matrix, test.labels);
  return ok({
    model: trained.model,
    dataset,
    evaluation: {
      calibrationEnd: isoDay(split.testCutoff - DAY_MS),
      holdoutEnd: isoDay(split.testLabelEnd - DAY_MS),
      windowDays,
      trainingCutoff: isoDay(split.trainingCutoff - DAY_MS),
      trainingLabelDays: Math.round((split.trainingLabelEnd - split.trainingCutoff) / DAY_MS),
      training: {
        cutoffs: dataset.trainingCutoffs,
        rows: train.matrix.rows,
        positiveRate: mean(train.labels),
        trees: trained.trees,
        stoppedEarly: trained.stoppedEarly,
        calibrationMethod: trained.model.calibration.type,
      },
      ...metrics,
      topFeatures: featureImportance(trained.model.trees)
        .slice(0, 8)
        .map((f) => ({ feature: f.feature, gain: f.gain })),
    },
  });
}

/** `patron evaluate`'s churn section: loads the histories and runs {@link runChurnEvaluation}. */
export async function evaluateChurn(
  source: ChurnHistorySource,
  options: ChurnSplitOptions,
): Promise<Result<ChurnEvaluation, ChurnError>> {
  const run = await runChurnEvaluationOnCores(await source.load(), options);
  return run.ok ? ok(run.value.evaluation) : run;
}

/** Trains, evaluates and stores a new model version; returns its id and holdout evaluation. */
export async function trainChurn(
  source: ChurnHistorySource,
  models: ChurnModelStore,
  options: ChurnSplitOptions & { now: Date },
): Promise<Result<{ modelVersion: string; evaluation: ChurnEvaluation }, ChurnError>> {
  const run = await runChurnEvaluationOnCores(await source.load(), options);
  if (!run.ok) return run;
  const json = JSON.stringify(churnModelToJSON(run.value.model));
  const trainedAt = options.now.toISOString();
  const id = `chm_${trainedAt.replace(/[-:.TZ]/g, '').slice(0, 14)}_${createHash('sha256').update(json).digest('hex').slice(0, 8)}`;
  await models.saveModel({
    id,
    trained_at: trainedAt,
    window_days: run.value.model.windowDays,
    metrics: JSON.stringify(run.value.evaluation),
    features: JSON.stringify(
      CHURN_FEATURES.map((f) => ({
        name: f.name,
        family: f.family,
        driver: f.driver,
        description: f.description,
      })),
    ),
    model: json,
  });
  return ok({ modelVersion: id, evaluation: run.value.evaluation });
}

/** A stored score's reasons (the `churn.reasons` of a profile). */
export type StoredChurnReason = ChurnReason;

export interface ChurnScoreSummary {
  readonly modelVersion: string;
  readonly asOf: string;
  readonly customers: number;
  readonly meanProbability: number;
  /** Customers with a churn probability ≥ 0.5, and their drivers. */
  readonly atRisk: number;
  readonly atRiskByDriver: Readonly<Record<ChurnDriver | 'none', number>>;
  /** PSI per feature, training reference vs this scoring run, largest first. */
  readonly drift: readonly FeatureDrift[];
}

/**
 * Every row's churn probability, top reasons in plain words and driver — `scoreWithReasons`, bit
 * for bit — handed to `consume(i, score)` in row order as soon as it is worded, so that a caller
 * keeps only what it stores (a million scores as objects cost more in garbage collection than
 * wording them). On every core from {@link PARALLEL_MIN_CUSTOMERS} rows (or `threads`; below, on
 * the main thread alone): the threads compute TreeSHAP values, margins and rankings by chunks of
 * rows, and the main thread words the reasons of finished chunks between its own.
 */
export async function scoreCustomersWithReasons(
  model: ChurnModel,
  matrix: FeatureMatrix,
  views: readonly HistoryAsOf[],
  consume: (i: number, score: ChurnScore) => void,
  options: { threads?: number; top?: number } = {},
): Promise<void> {
  const top = options.top ?? 3;
  const threads = options.threads ?? (matrix.rows < PARALLEL_MIN_CUSTOMERS ? 1 : undefined);
  const ranking = allocateChurnRanking(matrix.rows, top, threads !== 1);
  await rankChurnInWorkers(model.trees, matrix, ranking, {
    ...(threads !== undefined ? { threads } : {}),
    onRows: (begin, end) => {
      for (let i = begin; i < end; i++) consume(i, describeScore(model, matrix, views, ranking, i));
    },
  });
}

/** Rows stored per page by {@link churnScorePages}. */
export const CHURN_SCORE_PAGE_ROWS = 2048;

/**
 * Every row's score as `patron churn score` stores it (probability, driver, reasons as JSON text,
 * the model version and the customer's last sign of life), in pages of
 * {@link CHURN_SCORE_PAGE_ROWS} rows in row order, each page handed on as soon as its rows are
 * worded (`scoreCustomersWithReasons`): a consumer that writes them and lets them go keeps none of
 * a million texts. `onScore` sees each score first (for summaries); `done` settles when the last
 * page is out (rejecting with what failed, which also ends `pages` with that error).
 */
export function churnScorePages(
  model: ChurnModel,
  rows: {
    readonly matrix: FeatureMatrix;
    readonly views: readonly HistoryAsOf[];
    readonly customerIds: readonly string[];
  },
  stamp: { readonly modelVersion: string; readonly scoredAt: string; readonly asOf: string },
  onScore: (score: ChurnScore) => void = () => undefined,
  options: { threads?: number } = {},
): { readonly pages: AsyncIterable<readonly ChurnScoreRow[]>; readonly done: Promise<void> } {
  // A stream in object mode holds the finished pages until the consumer takes them; scoring is not
  // paused when it falls behind (the worker threads run on), so at worst the pages wait as the
  // one array of scores used to.
  const pages = new Readable({ objectMode: true, highWaterMark: Number.MAX_SAFE_INTEGER, read() {} });
  const tracksActivity = rows.views.some((v) => v.activity.length > 0);
  let page: ChurnScoreRow[] = [];
  const done = scoreCustomersWithReasons(
    model,
    rows.matrix,
    rows.views,
    (i, s) => {
      onScore(s);
      page.push({
        customer_id: rows.customerIds[i]!,
        model_version: stamp.modelVersion,
        scored_at: stamp.scoredAt,
        as_of: stamp.asOf,
        probability: s.probability,
        driver: s.driver,
        reasons: JSON.stringify(s.reasons),
        last_seen_at: tracksActivity ? lastSeenAt(rows.views[i]!) : null,
      });
      if (page.length === CHURN_SCORE_PAGE_ROWS) {
        pages.push(page);
        page = [];
      }
    },
    options,
  ).then(
    () => {
      if (page.length) pages.push(page);
      pages.push(null);
    },
    (error: unknown) => {
      pages.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    },
  );
  return { pages, done };
}

/**
 * Scores every customer active before the as-of day's end with the latest model: probability,
 * top reasons and driver, replacing the previous scores; reports drift against training.
 */
export async function scoreChurn(
  source: ChurnHistorySource,
  models: ChurnModelStore,
  options: { asOf?: string; now: Date },
): Promise<Result<ChurnScoreSummary, ChurnError>> {
  const stored = await models.latestModel();
  if (!stored) return err({ type: 'NoModel', message: 'no churn model yet: run `patron churn train` first' });
  const model = churnModelFromJSON(JSON.parse(stored.model) as ChurnModelJson);
  // A model from an earlier version of the features reads its columns by position: refuse it.
  if (model.featureNames.join(',') !== CHURN_FEATURE_NAMES.join(','))
    return err({
      type: 'NoModel',
      message: `churn model ${stored.id} was trained on a different feature set than this version computes: run \`patron churn train\` again`,
    });
  let cutoffDay: number;
  let histories: CustomerHistory[];
  if (options.asOf !== undefined) {
    const d = parseDay(options.asOf);
    if (d === null)
      return err({
        type: 'InvalidDate',
        message: `--as-of: "${options.asOf}" is not a calendar date (YYYY-MM-DD)`,
      });
    cutoffDay = d + 1;
    histories = await source.load({ before: new Date(cutoffDay * DAY_MS).toISOString() });
  } else {
    histories = await source.load();
    const last = lastOrderDay(histories);
    if (last === null) return err({ type: 'InsufficientData', message: 'the store has no orders' });
    cutoffDay = last + 1;
  }
  const rows = churnRowsAt(histories, cutoffDay * DAY_MS, model.windowDays, null);
  const asOf = formatDay(cutoffDay - 1);
  const byDriver: Record<ChurnDriver | 'none', number> = {
    price: 0,
    service: 0,
    quality: 0,
    disengagement: 0,
    none: 0,
  };
  let atRisk = 0;
  let sum = 0;
  const scoring = churnScorePages(
    model,
    rows,
    { modelVersion: stored.id, scoredAt: options.now.toISOString(), asOf },
    (s) => {
      sum += s.probability;
      if (s.probability >= 0.5) {
        atRisk++;
        byDriver[s.driver ?? 'none']++;
      }
    },
  );
  await Promise.all([models.replaceScores(scoring.pages), scoring.done]);
  const customers = rows.matrix.rows;
  return ok({
    modelVersion: stored.id,
    asOf,
    customers,
    meanProbability: customers ? sum / customers : 0,
    atRisk,
    atRiskByDriver: byDriver,
    drift: featureDrift(model, rows.matrix).sort((a, b) => b.psi - a.psi),
  });
}
