import { experimentReport, refreshBanditArms, retainedDaysOf } from '../../app/experiment-report.js';
import { defineExperiment, parseExperiment, InvalidExperimentError } from '../../app/experiments.js';
import { weeksToRun } from '../../domain/experiments/stats.js';
import type { Store } from '../../store/database.js';
import { print, UsageError } from '../context.js';

const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(digits)}%`;
const money = (minor: number): string => (Number.isFinite(minor) ? (minor / 100).toFixed(2) : 'n/a');
const ci = (i: { estimate: number; lower: number; upper: number }, f: (x: number) => string): string =>
  `${f(i.estimate)} [${f(i.lower)}, ${f(i.upper)}]`;

/** `patron experiments report ID`: the report as a table (or JSON). */
export async function runExperimentReport(
  store: Store,
  id: string,
  o: { json?: boolean; targetLift?: number },
): Promise<void> {
  const view = await experimentReport(
    store.db,
    id,
    new Date(),
    o.targetLift !== undefined ? { targetLift: o.targetLift } : {},
  );
  if (!view) throw new UsageError(`no experiment with id ${id}`);
  if (o.json) return print(JSON.stringify(view, null, 2));
  const e = view.experiment;
  print(
    `${e.id} "${e.name}" (${e.kind}, holdout ${pct(e.holdout, 0)}, window ${e.windowDays} days, retained = an order in its last ${retainedDaysOf(e)} days, ${e.status})`,
  );
  print(
    `Exposures: ${view.exposures.total} (${view.exposures.mature} with a closed window, ${view.exposures.pending} pending)`,
  );
  print('');
  print(
    'arm              customers  purchase rate [95% CI]     retained  revenue/customer  redeemed  at risk  save rate',
  );
  for (const a of view.report.arms) {
    print(
      `${a.variant.padEnd(16)} ${String(a.customers).padStart(9)}  ${ci(a.purchaseRate, (x) => pct(x)).padEnd(25)} ${pct(a.retentionRate.estimate).padStart(9)} ${money(a.revenuePerCustomerMinor).padStart(16)}  ${pct(a.redemptionRate.estimate).padStart(8)}  ${String(a.atRisk.customers).padStart(7)}  ${pct(a.atRisk.saveRate.estimate)}`,
    );
  }
  for (const c of view.report.comparisons) {
    print('');
    print(`${c.variant} vs ${c.against}:`);
    print(
      `  purchase uplift      ${ci(c.purchaseUplift, (x) => pct(x, 2))}${c.purchaseUplift.significant ? '  significant' : '  not significant'}`,
    );
    print(
      `  retention uplift     ${ci(c.retentionUplift, (x) => pct(x, 2))}${c.retentionUplift.significant ? '  significant' : '  not significant'}`,
    );
    if (c.saveRateUplift)
      print(
        `  save-rate uplift     ${ci(c.saveRateUplift, (x) => pct(x, 2))}${c.saveRateUplift.significant ? '  significant' : '  not significant'}`,
      );
    print(`  revenue / customer   ${ci(c.revenuePerCustomerMinor, money)}`);
    print(`  incremental revenue  ${ci(c.incrementalRevenueMinor, money)} (cost ${money(c.costMinor)})`);
    if (c.retentionRoi) print(`  retention ROI        ${ci(c.retentionRoi, (x) => `${x.toFixed(2)}x`)}`);
  }
  const p = view.power;
  print('');
  print(
    `Power: baseline ${pct(p.baselinePurchaseRate)}; detectable lift now ${pct(p.detectableLiftNow, 2)}; a ${pct(p.targetLift, 1)} lift needs ${p.weeksNeededForTarget ?? 'n/a'} weeks at this traffic (${p.weeksSoFar} so far).`,
  );
  if (view.bandit) {
    print('');
    for (const b of view.bandit)
      print(
        `  arm ${b.arm.padEnd(16)} pulls ${b.pulls}  successes ${b.successes}  mean ${pct(b.posteriorMean)}  P(best) ${pct(b.probabilityBest)}`,
      );
  }
}

/** `patron experiments create`: define an experiment from flags. */
export async function runExperimentCreate(
  store: Store,
  o: {
    id: string;
    name: string;
    kind: string;
    holdout: number;
    variants?: string;
    windowDays: number;
    retainedDays?: number;
    costMinor: number;
    margin: number;
    json?: boolean;
  },
): Promise<void> {
  let def;
  try {
    def = parseExperiment({
      id: o.id,
      name: o.name,
      kind: o.kind as 'holdout',
      holdout: o.holdout,
      ...(o.variants
        ? { variants: o.variants.split(',').map((name) => ({ name: name.trim(), weight: 1 })) }
        : {}),
      windowDays: o.windowDays,
      ...(o.retainedDays !== undefined ? { retainedDays: o.retainedDays } : {}),
      costPerTreatedMinor: o.costMinor,
      margin: o.margin,
    });
  } catch (e) {
    if (e instanceof InvalidExperimentError) throw new UsageError(e.message);
    throw e;
  }
  const e = await defineExperiment(store.db, def, new Date());
  print(o.json ? JSON.stringify(e) : `Experiment ${e.id} (${e.kind}) is ${e.status}.`);
}

/** `patron experiments refresh ID`: update a bandit's posteriors from matured outcomes. */
export async function runBanditRefresh(store: Store, id: string): Promise<void> {
  try {
    await refreshBanditArms(store.db, id, new Date());
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  print(`Refreshed the arms of ${id}.`);
}

/** `patron experiments power`: how many customers and weeks a test needs. */
export function runPower(o: {
  baseline: number;
  lift: number;
  holdout: number;
  perWeek: number;
  json?: boolean;
}): void {
  let r;
  try {
    r = weeksToRun({ baseline: o.baseline, mde: o.lift, holdout: o.holdout, eligiblePerWeek: o.perWeek });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (o.json) return print(JSON.stringify(r));
  print(
    `To detect ${pct(o.baseline)} → ${pct(o.baseline + o.lift)} (α 0.05 two-sided, power 80%) with a ${pct(o.holdout, 0)} holdout: ${r.treated} treated + ${r.control} control customers, ${r.weeks} weeks at ${o.perWeek} eligible customers a week.`,
  );
}
