/**
 * `patron score`: fit the CLV models on all history up to the as-of day and write each customer's
 * predictions — P(alive), expected purchases in 30/90/365 days, P(no purchase in 90 days), the
 * expected next order date, the expected order value, discounted CLV and the learned CLV — replacing
 * the previous scores. The pure part is {@link scoreHistory}; nothing here reads the clock.
 */
import {
  bgNbd,
  conditionalExpectedAverageValue,
  discountedClv,
  fitBgNbd,
  fitGammaGamma,
  InsufficientDataError,
  summarizeTransactions,
  type GammaGammaParams,
} from '../domain/models/clv/index.js';
import type { PurchaseHistory } from '../domain/features/purchase-features.js';
import { err, ok, type Result } from '../domain/result.js';
import {
  formatDay,
  learnExpectedPurchases,
  parseDay,
  type ClvError,
  type OrderHistorySource,
} from './evaluate-models.js';

export const CLV_MODEL_VERSION = 'clv-bgnbd-gg-learned-v1';

/** Days per week: scoring fits in weeks (the unit of the textbook parameters). */
const WEEK = 7;
const DAYS_PER_MONTH = 365.25 / 12;
/** Below this P(alive) the customer has no meaningful "next order date". */
const MIN_ALIVE_FOR_NEXT_ORDER = 0.01;
/** Next-order dates further out than this (days) are not reported. */
const MAX_NEXT_ORDER_DAYS = 3650;

export interface ScoreOptions {
  /** YYYY-MM-DD; default: the day of the latest order in the store. */
  readonly asOf?: string;
  /** CLV horizon in days (default 365). */
  readonly horizonDays?: number;
  /** Profit margin in [0, 1] (default 0.3). */
  readonly margin?: number;
  /** Annual discount rate (default 0.1). */
  readonly discountRate?: number;
  /** When the scores are written (ISO timestamp, passed in by the shell). */
  readonly scoredAt: string;
  readonly currency: string;
}

/** One customer's predictions, as stored (money in base minor units). */
export interface CustomerScore {
  customer_id: string;
  as_of: string;
  scored_at: string;
  model_version: string;
  params: string;
  currency: string;
  probability_alive: number;
  expected_purchases_30d: number;
  expected_purchases_90d: number;
  expected_purchases_365d: number;
  probability_no_purchase_90d: number;
  expected_next_order_on: string | null;
  expected_order_value_minor: number;
  horizon_days: number;
  clv_minor: number;
  learned_expected_purchases: number | null;
  learned_clv_minor: number | null;
}

export interface ScoreSummary {
  readonly asOf: string;
  readonly customers: number;
  readonly modelVersion: string;
  readonly params: Record<string, unknown>;
  /** Sum of the customers' discounted CLV over the horizon, minor units. */
  readonly totalClvMinor: number;
  readonly totalLearnedClvMinor: number | null;
  readonly warnings: readonly string[];
}

export interface ClvScoreWriter {
  replaceAll(rows: readonly CustomerScore[]): Promise<void>;
}

export async function scoreCustomers(
  orders: OrderHistorySource,
  scores: ClvScoreWriter,
  options: ScoreOptions,
): Promise<Result<ScoreSummary, ClvError>> {
  let asOf = options.asOf;
  if (asOf === undefined) {
    const latest = await orders.latestOrderDay();
    if (latest === null)
      return err({ type: 'InsufficientData', message: 'the store has no orders to score' });
    asOf = latest;
  } else if (parseDay(asOf) === null) {
    return err({ type: 'InvalidDate', message: `--as-of: "${asOf}" is not a calendar date (YYYY-MM-DD)` });
  }
  const history = await orders.load({ throughDay: asOf });
  const result = scoreHistory(history, { ...options, asOf });
  if (!result.ok) return result;
  await scores.replaceAll(result.value.rows);
  return ok(result.value.summary);
}

/** Fits BG/NBD, Gamma–Gamma and the learned CLV on `history` up to `asOf` and scores every customer. Pure. */
export function scoreHistory(
  history: PurchaseHistory,
  options: ScoreOptions & { asOf: string },
): Result<{ rows: CustomerScore[]; summary: ScoreSummary }, ClvError> {
  const asOfDay = parseDay(options.asOf);
  if (asOfDay === null) return err({ type: 'InvalidDate', message: `"${options.asOf}" is not a date` });
  const horizonDays = options.horizonDays ?? 365;
  const margin = options.margin ?? 0.3;
  const annualRate = options.discountRate ?? 0.1;
  if (!(horizonDays > 0) || !(margin >= 0 && margin <= 1) || !(annualRate > -1)) {
    return err({
      type: 'InvalidOption',
      message: 'horizon must be > 0 days, margin in [0, 1] and the discount rate > −1',
    });
  }
  const summary = summarizeTransactions(history.customer, history.day, history.amount, asOfDay, 'week');
  const n = summary.customer.length;
  if (n === 0) return err({ type: 'InsufficientData', message: `no orders on or before ${options.asOf}` });

  let bg;
  try {
    bg = fitBgNbd({ frequency: summary.frequency, recency: summary.recency, T: summary.T });
  } catch (e) {
    if (e instanceof InsufficientDataError) return err({ type: 'InsufficientData', message: e.message });
    throw e;
  }
  const warnings: string[] = [];
  if (!bg.converged) warnings.push('the BG/NBD fit did not converge; predictions may be off');

  // Spend: Gamma–Gamma on minor units; without enough repeat buyers, the mean first-order value.
  let gg: GammaGammaParams | null = null;
  try {
    gg = fitGammaGamma({ frequency: summary.frequency, monetaryValue: summary.monetaryValue }).params;
  } catch (e) {
    if (!(e instanceof InsufficientDataError)) throw e;
    warnings.push(`Gamma-Gamma not fitted (${e.message}); every customer's order value is the store's mean`);
  }
  const meanOrderValue = storeMeanDayValue(history, asOfDay);

  const learned = learnExpectedPurchases(history, asOfDay, horizonDays, 'week', summary, bg.params);
  if (!learned.ok) warnings.push(`learned CLV not trained: ${learned.error}`);

  const steps = Math.max(1, Math.round(horizonDays / DAYS_PER_MONTH));
  const stepDays = horizonDays / steps;
  const clvOptions = {
    steps,
    stepLength: stepDays / WEEK,
    discountRate: (1 + annualRate) ** (stepDays / 365.25) - 1,
    margin,
  };
  const params = {
    timeUnit: 'week',
    bgnbd: bg.params,
    gammaGamma: gg ? { ...gg, amounts: 'minor units' } : null,
    learned: learned.ok
      ? { trainingCutoff: formatDay(learned.value.trainingCutoffDay), trees: learned.value.trees }
      : null,
    horizonDays,
    margin,
    discountRate: annualRate,
  };
  const paramsJson = JSON.stringify(params);

  const rows: CustomerScore[] = new Array(n);
  let totalClv = 0;
  let totalLearned = 0;
  for (let i = 0; i < n; i++) {
    const x = summary.frequency[i] as number;
    const tx = summary.recency[i] as number;
    const T = summary.T[i] as number;
    const p = bg.params;
    const pAlive = bgNbd.probabilityAlive(p, x, tx, T);
    const expected = (days: number) => bgNbd.expectedPurchases(p, days / WEEK, x, tx, T);
    let value = gg
      ? conditionalExpectedAverageValue(gg, x, summary.monetaryValue[i] as number)
      : meanOrderValue;
    if (!Number.isFinite(value)) value = meanOrderValue;
    const clv = discountedClv((t) => bgNbd.expectedPurchases(p, t, x, tx, T), value, clvOptions);
    const medianDays = bgNbd.medianTimeToNextPurchase(p, x, tx, T) * WEEK;
    const nextOrder =
      pAlive >= MIN_ALIVE_FOR_NEXT_ORDER && medianDays <= MAX_NEXT_ORDER_DAYS
        ? formatDay(asOfDay + Math.max(1, Math.round(medianDays)))
        : null;
    const bgHorizon = expected(horizonDays);
    const learnedN = learned.ok ? (learned.value.predictions[i] as number) : null;
    // The learned model rescales the BG/NBD forecast, so its CLV rescales the BG/NBD's CLV alike.
    const learnedClv = learnedN === null ? null : bgHorizon > 0 ? (clv * learnedN) / bgHorizon : 0;
    totalClv += Math.round(clv);
    if (learnedClv !== null) totalLearned += Math.round(learnedClv);
    rows[i] = {
      customer_id: history.customerIds[summary.customer[i] as number] as string,
      as_of: options.asOf,
      scored_at: options.scoredAt,
      model_version: CLV_MODEL_VERSION,
      params: paramsJson,
      currency: options.currency,
      probability_alive: pAlive,
      expected_purchases_30d: expected(30),
      expected_purchases_90d: expected(90),
      expected_purchases_365d: expected(365),
      probability_no_purchase_90d: bgNbd.probabilityNoPurchase(p, 90 / WEEK, x, tx, T),
      expected_next_order_on: nextOrder,
      expected_order_value_minor: Math.round(value),
      horizon_days: horizonDays,
      clv_minor: Math.round(clv),
      learned_expected_purchases: learnedN,
      learned_clv_minor: learnedClv === null ? null : Math.round(learnedClv),
    };
  }
  return ok({
    rows,
    summary: {
      asOf: options.asOf,
      customers: n,
      modelVersion: CLV_MODEL_VERSION,
      params,
      totalClvMinor: totalClv,
      totalLearnedClvMinor: learned.ok ? totalLearned : null,
      warnings,
    },
  });
}

/** Mean value of a purchase day (all customers, up to and including `day`), minor units. */
function storeMeanDayValue(history: PurchaseHistory, day: number): number {
  let total = 0;
  let days = 0;
  for (let i = 0; i < history.day.length; i++) {
    const d = history.day[i] as number;
    if (d > day) continue;
    total += history.amount[i] as number;
    const sameDay = i > 0 && history.customer[i - 1] === history.customer[i] && history.day[i - 1] === d;
    if (!sameDay) days++;
  }
  return days > 0 ? total / days : 0;
}
