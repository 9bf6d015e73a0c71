/**
 * An experiment's report: attribute each exposed customer's orders in the window after the
 * exposure (purchases, retention = an order in the window's last `retainedDays`, revenue net of
 * refunds, redemptions = orders with a coupon or a discount)
 * and hand the outcomes to the pure report. Only exposures whose window has closed count — an
 * open window would bias the arms exposed later — the rest are reported as pending. Also: the
 * effect the test can detect at its current size, and how many more weeks a target effect needs
 * at the rate customers are entering; for bandits, each arm's posterior and P(best).
 */
import { CONTROL } from '../domain/experiments/assignment.js';
import { posteriorMean, probabilityBest } from '../domain/experiments/bandit.js';
import {
  buildExperimentReport,
  type ExperimentReport,
  type ExposureOutcome,
} from '../domain/experiments/report.js';
import { minimumDetectableEffect, weeksToRun } from '../domain/experiments/stats.js';
import { createRandom } from '../domain/random.js';
import type { Tx } from '../store/transaction.js';
import { inList } from '../store/transaction.js';
import {
  banditPosteriors,
  ensureGlobalControlExperiment,
  GLOBAL_CONTROL_EXPERIMENT_ID,
  loadExperiment,
  type Experiment,
} from './experiments.js';

const DAY = 86_400_000;

export interface ExperimentReportView {
  readonly experiment: Experiment;
  readonly asOf: string;
  readonly exposures: { readonly total: number; readonly mature: number; readonly pending: number };
  readonly report: ExperimentReport;
  readonly power: {
    readonly baselinePurchaseRate: number | null;
    /** Smallest absolute lift in purchase rate detectable now (α 0.05, power 0.8). */
    readonly detectableLiftNow: number | null;
    readonly targetLift: number;
    /** Weeks in total the target lift needs at the observed rate of new exposures. */
    readonly weeksNeededForTarget: number | null;
    readonly weeksSoFar: number;
  };
  readonly bandit: ReadonlyArray<{
    arm: string;
    pulls: number;
    successes: number;
    posteriorMean: number;
    probabilityBest: number;
  }> | null;
}

interface ExposureRow {
  customer_id: string;
  variant: string;
  exposed_at: string;
  at_risk: number;
}

/** Outcomes of the exposures whose window closed by `now`. */
export async function attributeOutcomes(
  db: Tx,
  experiment: Pick<Experiment, 'id' | 'windowDays' | 'retainedDays'>,
  now: Date,
): Promise<{
  outcomes: ExposureOutcome[];
  total: number;
  firstExposure: string | null;
  rows: ExposureRow[];
}> {
  const rows = await db
    .selectFrom('experiment_exposures')
    .select(['customer_id', 'variant', 'exposed_at', 'at_risk'])
    .where('experiment_id', '=', experiment.id)
    .execute();
  const windowMs = experiment.windowDays * DAY;
  const retainedMs = retainedDaysOf(experiment) * DAY;
  const mature = rows.filter((r) => Date.parse(r.exposed_at) + windowMs <= now.getTime());
  const outcomes: ExposureOutcome[] = [];
  const chunk = 500;
  for (let i = 0; i < mature.length; i += chunk) {
    const part = mature.slice(i, i + chunk);
    const ids = inList(part.map((r) => r.customer_id));
    const [orders, refunds] = await Promise.all([
      db
        .selectFrom('orders')
        .select(['customer_id', 'placed_at', 'base_total_minor', 'coupon', 'base_discount_minor'])
        .where('customer_id', 'in', ids)
        .execute(),
      db
        .selectFrom('order_updates')
        .select(['customer_id', 'at', 'base_amount_minor'])
        .where('customer_id', 'in', ids)
        .where('kind', '=', 'refunded')
        .execute(),
    ]);
    const byCustomer = new Map<string, typeof orders>();
    for (const o of orders) {
      const l = byCustomer.get(o.customer_id);
      if (l) l.push(o);
      else byCustomer.set(o.customer_id, [o]);
    }
    const refundsBy = new Map<string, typeof refunds>();
    for (const r of refunds) {
      const l = refundsBy.get(r.customer_id);
      if (l) l.push(r);
      else refundsBy.set(r.customer_id, [r]);
    }
    for (const e of part) {
      const from = e.exposed_at;
      const to = new Date(Date.parse(e.exposed_at) + windowMs).toISOString();
      const activeFrom = new Date(Date.parse(e.exposed_at) + windowMs - retainedMs).toISOString();
      const inWindow = (byCustomer.get(e.customer_id) ?? []).filter(
        (o) => o.placed_at >= from && o.placed_at < to,
      );
      const refunded = (refundsBy.get(e.customer_id) ?? [])
        .filter((r) => r.at >= from && r.at < to)
        .reduce((s, r) => s + (r.base_amount_minor ?? 0), 0);
      outcomes.push({
        variant: e.variant,
        atRisk: e.at_risk === 1,
        purchased: inWindow.length > 0,
        retained: inWindow.some((o) => o.placed_at >= activeFrom),
        revenueMinor: inWindow.reduce((s, o) => s + o.base_total_minor, 0) - refunded,
        redeemed: inWindow.some((o) => o.coupon !== null || o.base_discount_minor > 0),
      });
    }
  }
  const firstExposure = rows.reduce<string | null>(
    (m, r) => (m === null || r.exposed_at < m ? r.exposed_at : m),
    null,
  );
  return { outcomes, total: rows.length, firstExposure, rows };
}

/** The last part of the window in which an order means "still active" (default: its second half). */
export function retainedDaysOf(experiment: Pick<Experiment, 'windowDays' | 'retainedDays'>): number {
  return experiment.retainedDays ?? Math.ceil(experiment.windowDays / 2);
}

/** The full report of one experiment, or null when there is no such experiment. */
export async function experimentReport(
  db: Tx,
  experimentId: string,
  now: Date,
  options: { targetLift?: number; seed?: number } = {},
): Promise<ExperimentReportView | null> {
  const experiment =
    (await loadExperiment(db, experimentId)) ??
    (experimentId === GLOBAL_CONTROL_EXPERIMENT_ID ? await ensureGlobalControlExperiment(db, now) : null);
  if (!experiment) return null;
  const { outcomes, total, firstExposure, rows } = await attributeOutcomes(db, experiment, now);
  const report = buildExperimentReport(outcomes, {
    margin: experiment.margin,
    costPerTreatedMinor: experiment.costPerTreatedMinor,
  });
  const control = report.arms.find((a) => a.variant === CONTROL);
  const treated = report.arms.filter((a) => a.variant !== CONTROL);
  const targetLift = options.targetLift ?? 0.02;
  const weeksSoFar = firstExposure ? Math.max(0, (now.getTime() - Date.parse(firstExposure)) / (7 * DAY)) : 0;
  const baseline = control && control.customers > 0 ? control.purchaseRate.estimate : null;
  let detectableLiftNow: number | null = null;
  let weeksNeededForTarget: number | null = null;
  const usable = baseline !== null && baseline > 0 && baseline < 1;
  if (usable && control && treated.length > 0 && experiment.holdout > 0 && experiment.holdout < 1) {
    const perArm = Math.min(...treated.map((a) => a.customers));
    const ratio = control.customers / Math.max(1, perArm);
    const mde = minimumDetectableEffect({ baseline, treated: perArm, ratio });
    detectableLiftNow = Number.isFinite(mde) ? mde : null;
    if (weeksSoFar > 0 && baseline + targetLift < 1) {
      const perWeek = rows.length / weeksSoFar / treated.length;
      weeksNeededForTarget = weeksToRun({
        baseline,
        mde: targetLift,
        holdout: experiment.holdout,
        eligiblePerWeek: perWeek,
      }).weeks;
    }
  }
  let bandit: ExperimentReportView['bandit'] = null;
  if (experiment.kind === 'bandit') {
    const posts = await banditPosteriors(db, experiment.id);
    const arms = experiment.variants.map(
      (v) => posts.find((p) => p.arm === v.name) ?? { arm: v.name, pulls: 0, successes: 0 },
    );
    const pBest = probabilityBest(arms, createRandom(options.seed ?? 1), 5000);
    bandit = arms.map((a) => ({
      ...a,
      posteriorMean: posteriorMean(a),
      probabilityBest: pBest.get(a.arm) ?? 0,
    }));
  }
  return {
    experiment,
    asOf: now.toISOString(),
    exposures: { total, mature: outcomes.length, pending: total - outcomes.length },
    report,
    power: {
      baselinePurchaseRate: baseline,
      detectableLiftNow,
      targetLift,
      weeksNeededForTarget,
      weeksSoFar: Math.round(weeksSoFar * 10) / 10,
    },
    bandit,
  };
}

/**
 * Refreshes a bandit's arm posteriors from the outcomes of its matured exposures (what "learned
 * from outcomes" means here): pulls = matured exposures of the arm, successes = those that
 * purchased (or redeemed, per the experiment's `banditReward`). Control exposures are left out.
 */
export async function refreshBanditArms(db: Tx, experimentId: string, now: Date): Promise<void> {
  const experiment = await loadExperiment(db, experimentId);
  if (!experiment || experiment.kind !== 'bandit')
    throw new Error(`${experimentId} is not a bandit experiment`);
  const { outcomes } = await attributeOutcomes(db, experiment, now);
  const at = now.toISOString();
  for (const v of experiment.variants) {
    const mine = outcomes.filter((o) => o.variant === v.name);
    const successes = mine.filter((o) =>
      experiment.banditReward === 'redemption' ? o.redeemed : o.purchased,
    ).length;
    await db
      .insertInto('bandit_arms')
      .values({ experiment_id: experimentId, arm: v.name, pulls: mine.length, successes, updated_at: at })
      .onConflict((oc) =>
        oc.columns(['experiment_id', 'arm']).doUpdateSet({ pulls: mine.length, successes, updated_at: at }),
      )
      .execute();
  }
}
