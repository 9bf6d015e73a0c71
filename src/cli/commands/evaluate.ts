/** `patron evaluate`: the CLV backtest, as a table or JSON. Errors (bad dates, too little data) exit 1. */
import { evaluateModels, type ByModel, type EvaluationReport } from '../../app/evaluate-models.js';
import type { TimeUnit } from '../../domain/models/clv/index.js';
import type { Store } from '../../store/database.js';
import { orderHistoryStore } from '../../store/order-history-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { print, UsageError } from '../context.js';
import { evaluateChurn } from '../../app/churn.js';
import { churnHistoryStore } from '../../store/churn-history-repository.js';
import { printChurnEvaluation } from './churn.js';

export interface EvaluateFlags {
  calibrationEnd: string;
  holdoutEnd: string;
  timeUnit: string;
  json?: boolean;
}

export function parseTimeUnit(raw: string): TimeUnit {
  if (raw !== 'day' && raw !== 'week' && raw !== 'month') {
    throw new UsageError(`--time-unit: "${raw}" is not one of day, week, month`);
  }
  return raw;
}

export async function runEvaluate(store: Store, flags: EvaluateFlags): Promise<void> {
  const timeUnit = parseTimeUnit(flags.timeUnit);
  const currency = (await settingsStore(store).currencySettings()).baseCurrency;
  const result = await evaluateModels(orderHistoryStore(store), {
    calibrationEnd: flags.calibrationEnd,
    holdoutEnd: flags.holdoutEnd,
    timeUnit,
    currency,
  });
  if (!result.ok) throw new Error(result.error.message);
  // The churn model on the same split (issue 4); a store too small for it reports why instead.
  const churn = await evaluateChurn(churnHistoryStore(store), {
    calibrationEnd: flags.calibrationEnd,
    holdoutEnd: flags.holdoutEnd,
  });
  if (flags.json) {
    print(
      JSON.stringify(
        { ...result.value, churn: churn.ok ? churn.value : { error: churn.error.message } },
        null,
        2,
      ),
    );
  } else {
    printReport(result.value);
    print('');
    if (churn.ok) printChurnEvaluation(churn.value);
    else print(`Churn model not evaluated: ${churn.error.message}`);
  }
}

const f = (v: number | null, digits = 3): string => (v === null ? '—' : v.toFixed(digits));

function printReport(r: EvaluationReport): void {
  const { clv, holdout, calibration } = r;
  print(
    `Calibration to ${r.calibrationEnd}: ${calibration.customers.toLocaleString('en-US')} customers, ${calibration.repeatCustomers.toLocaleString('en-US')} repeat buyers, ${calibration.repeatTransactions.toLocaleString('en-US')} repeat purchases (time unit: ${r.timeUnit}).`,
  );
  print('');
  print('Model fits');
  print(
    `  BG/NBD       r ${f(clv.bgnbd.params.r)}  α ${f(clv.bgnbd.params.alpha)}  a ${f(clv.bgnbd.params.a)}  b ${f(clv.bgnbd.params.b)}   log-likelihood ${f(clv.bgnbd.logLikelihood, 1)}`,
  );
  print(
    `  Pareto/NBD   r ${f(clv.paretoNbd.params.r)}  α ${f(clv.paretoNbd.params.alpha)}  s ${f(clv.paretoNbd.params.s)}  β ${f(clv.paretoNbd.params.beta)}   log-likelihood ${f(clv.paretoNbd.logLikelihood, 1)}`,
  );
  print(
    `  MBG/NBD      r ${f(clv.mbgnbd.params.r)}  α ${f(clv.mbgnbd.params.alpha)}  a ${f(clv.mbgnbd.params.a)}  b ${f(clv.mbgnbd.params.b)}   log-likelihood ${f(clv.mbgnbd.logLikelihood, 1)}`,
  );
  print(
    `  Gamma-Gamma  p ${f(clv.gammaGamma.params.p)}  q ${f(clv.gammaGamma.params.q)}  γ ${f(clv.gammaGamma.params.gamma)} (${r.currency})   on ${clv.gammaGamma.customers.toLocaleString('en-US')} repeat buyers`,
  );
  print('');
  print(
    `Holdout ${r.calibrationEnd} → ${r.holdoutEnd} (${f(r.holdoutLength, 1)} ${r.timeUnit}s): ${holdout.customers.toLocaleString('en-US')} customers made ${holdout.actualRepeatPurchases.toLocaleString('en-US')} repeat purchases.`,
  );
  print('');
  print('  model         predicted   per-customer MAE   RMSE    correlation');
  const rows: Array<[string, keyof ByModel<number>]> = [
    ['BG/NBD', 'bgnbd'],
    ['Pareto/NBD', 'paretoNbd'],
    ['MBG/NBD', 'mbgnbd'],
    ['learned (GBM)', 'learned'],
    ['naive x/T', 'naive'],
  ];
  for (const [label, key] of rows) {
    print(
      `  ${label.padEnd(13)} ${f(holdout.predicted[key], 0).padStart(9)}   ${f(holdout.mae[key]).padStart(16)}   ${f(holdout.rmse[key]).padStart(5)}   ${f(holdout.correlation[key]).padStart(11)}`,
    );
  }
  if (holdout.spend) {
    const s = holdout.spend;
    print('');
    print(
      `Spend check (${s.customers.toLocaleString('en-US')} customers who bought in both periods, mean value per purchase day, ${r.currency}):`,
    );
    print(
      `  actual ${f(s.actualMeanValue, 2)}   Gamma-Gamma ${f(s.predictedMeanValue, 2)} (MAE ${f(s.mae.gammaGamma, 2)})   own past mean ${f(s.naiveMeanValue, 2)} (MAE ${f(s.mae.naive, 2)})`,
    );
  }
  if (r.learned.available) {
    print('');
    print(
      `Learned CLV: trained on features as of ${r.learned.trainingCutoff} and purchases to ${r.learned.labelEnd} (${r.learned.trainingCustomers.toLocaleString('en-US')} customers, ${r.learned.trees} trees); top features: ${r.learned.topFeatures.map((t) => t.feature).join(', ')}.`,
    );
  }
  for (const w of r.warnings) print(`warning: ${w}`);
}
