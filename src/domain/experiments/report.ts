/**
 * The report of an experiment, from each exposed customer's outcomes in the attribution window
 * (pure: the app attributes orders to exposures and passes the outcomes in).
 *
 * Per arm: customers, purchase rate (Wilson interval), retention rate (share still active at the
 * end of the window: an order in its last part — the churn outcome), revenue per customer,
 * redemption rate, and among the customers who were at risk when exposed, the save rate (share of
 * them retained). A save shows in retention rather than in "bought at all in the window": an
 * at-risk customer often buys once more before leaving, with or without the message, and the
 * difference a save makes is that they are still buying after their churn time. Per treated arm
 * against control: uplift in purchase rate, retention rate and save rate (Newcombe interval), revenue per customer difference (Welch interval), incremental revenue
 * (that difference × treated customers) and retention ROI = (incremental revenue × margin − cost) / cost,
 * with the interval carried through from the revenue interval (cost is fixed). An effect is called
 * `significant` only when its interval excludes 0.
 */
import { CONTROL } from './assignment.js';
import { moments, newcombeDifference, welchDifference, wilsonInterval, type Interval } from './stats.js';

export interface ExposureOutcome {
  readonly variant: string;
  readonly atRisk: boolean;
  /** At least one order in the window. */
  readonly purchased: boolean;
  /** At least one order in the last part of the window (still active at its end: not churned). */
  readonly retained: boolean;
  /** Revenue in the window (base currency, minor units), net of refunds in the window. */
  readonly revenueMinor: number;
  /** Used an offer (an order with a coupon or discount) in the window. */
  readonly redeemed: boolean;
}

export interface ReportOptions {
  readonly confidence?: number;
  readonly margin: number;
  readonly costPerTreatedMinor: number;
}

export interface RateSummary extends Interval {
  readonly count: number;
}

export interface ArmReport {
  readonly variant: string;
  readonly customers: number;
  readonly purchaseRate: RateSummary;
  /** Share still active at the end of the window (not churned). */
  readonly retentionRate: RateSummary;
  readonly revenuePerCustomerMinor: number;
  readonly redemptionRate: RateSummary;
  readonly atRisk: { readonly customers: number; readonly saveRate: RateSummary };
}

export interface Effect extends Interval {
  readonly significant: boolean;
}

export interface Comparison {
  readonly variant: string;
  readonly against: string;
  readonly purchaseUplift: Effect;
  /** Relative lift of the purchase rate (treated / control − 1); null when control converts 0. */
  readonly relativeLift: number | null;
  /** Uplift in the retention rate (treated − control): the churn the treatment prevented. */
  readonly retentionUplift: Effect;
  /** Uplift in the save rate: the retention uplift among the customers at risk when exposed. */
  readonly saveRateUplift: Effect | null;
  readonly revenuePerCustomerMinor: Effect;
  readonly incrementalRevenueMinor: Effect;
  readonly costMinor: number;
  /** null without a cost (ROI is undefined). */
  readonly retentionRoi: Interval | null;
}

export interface ExperimentReport {
  readonly confidence: number;
  readonly arms: readonly ArmReport[];
  readonly comparisons: readonly Comparison[];
}

const rate = (count: number, n: number, confidence: number): RateSummary => ({
  count,
  ...wilsonInterval(count, n, confidence),
});

const effect = (i: Interval): Effect => ({
  ...i,
  significant: Number.isFinite(i.lower) && Number.isFinite(i.upper) && (i.lower > 0 || i.upper < 0),
});

export function buildExperimentReport(
  outcomes: readonly ExposureOutcome[],
  options: ReportOptions,
): ExperimentReport {
  const confidence = options.confidence ?? 0.95;
  const byArm = new Map<string, ExposureOutcome[]>();
  for (const o of outcomes) {
    const list = byArm.get(o.variant);
    if (list) list.push(o);
    else byArm.set(o.variant, [o]);
  }
  const names = [...byArm.keys()].sort((a, b) =>
    a === CONTROL ? -1 : b === CONTROL ? 1 : a.localeCompare(b),
  );
  const stats = new Map(
    names.map((name) => {
      const list = byArm.get(name) as ExposureOutcome[];
      const atRisk = list.filter((o) => o.atRisk);
      return [
        name,
        {
          list,
          n: list.length,
          purchased: list.filter((o) => o.purchased).length,
          retained: list.filter((o) => o.retained).length,
          redeemed: list.filter((o) => o.redeemed).length,
          revenue: moments(list.map((o) => o.revenueMinor)),
          atRiskN: atRisk.length,
          saved: atRisk.filter((o) => o.retained).length,
        },
      ] as const;
    }),
  );
  const arms: ArmReport[] = names.map((name) => {
    const s = stats.get(name)!;
    return {
      variant: name,
      customers: s.n,
      purchaseRate: rate(s.purchased, s.n, confidence),
      retentionRate: rate(s.retained, s.n, confidence),
      revenuePerCustomerMinor: s.revenue.mean,
      redemptionRate: rate(s.redeemed, s.n, confidence),
      atRisk: { customers: s.atRiskN, saveRate: rate(s.saved, s.atRiskN, confidence) },
    };
  });
  const control = stats.get(CONTROL);
  const comparisons: Comparison[] = [];
  if (control && control.n > 0) {
    for (const name of names) {
      if (name === CONTROL) continue;
      const s = stats.get(name)!;
      const purchase = newcombeDifference(s.purchased, s.n, control.purchased, control.n, confidence);
      const revenue = welchDifference(s.revenue, control.revenue, confidence);
      const incremental: Interval = {
        estimate: revenue.estimate * s.n,
        lower: revenue.lower * s.n,
        upper: revenue.upper * s.n,
      };
      const cost = options.costPerTreatedMinor * s.n;
      const roi = (x: number) => (x * options.margin - cost) / cost;
      const pc = control.purchased / control.n;
      comparisons.push({
        variant: name,
        against: CONTROL,
        purchaseUplift: effect(purchase),
        relativeLift: pc > 0 ? s.purchased / s.n / pc - 1 : null,
        retentionUplift: effect(newcombeDifference(s.retained, s.n, control.retained, control.n, confidence)),
        saveRateUplift:
          s.atRiskN > 0 && control.atRiskN > 0
            ? effect(newcombeDifference(s.saved, s.atRiskN, control.saved, control.atRiskN, confidence))
            : null,
        revenuePerCustomerMinor: effect(revenue),
        incrementalRevenueMinor: effect(incremental),
        costMinor: cost,
        retentionRoi:
          cost > 0
            ? {
                estimate: roi(incremental.estimate),
                lower: roi(incremental.lower),
                upper: roi(incremental.upper),
              }
            : null,
      });
    }
  }
  return { confidence, arms, comparisons };
}
