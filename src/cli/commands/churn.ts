/** `patron churn train|score|evaluate` and `patron features export`. Errors exit 1 with the message. */
import {
  evaluateChurn,
  scoreChurn,
  trainChurn,
  type ChurnEvaluation,
  type ChurnSplitOptions,
} from '../../app/churn.js';
import { exportChurnFeatures } from '../../app/export-features.js';
import type { Store } from '../../store/database.js';
import { churnHistoryStore } from '../../store/churn-history-repository.js';
import { churnStore } from '../../store/churn-repository.js';
import { print } from '../context.js';

export interface ChurnSplitFlags {
  calibrationEnd?: string;
  holdoutEnd?: string;
  windowDays?: number;
  seed?: number;
  json?: boolean;
}

function splitOptions(f: ChurnSplitFlags): ChurnSplitOptions {
  return {
    ...(f.calibrationEnd !== undefined ? { calibrationEnd: f.calibrationEnd } : {}),
    ...(f.holdoutEnd !== undefined ? { holdoutEnd: f.holdoutEnd } : {}),
    ...(f.windowDays !== undefined ? { windowDays: f.windowDays } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
  };
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');

export function printChurnEvaluation(e: ChurnEvaluation): void {
  print(
    `Churn = no order in ${e.windowDays} days. Trained on features to ${e.trainingCutoff} (${e.trainingLabelDays}-day labels, ${e.training.rows.toLocaleString('en-US')} customers, ${e.training.trees} trees, ${e.training.calibrationMethod} calibration); holdout: features to ${e.calibrationEnd}, labels to ${e.holdoutEnd}, ${e.rows.toLocaleString('en-US')} customers, ${(e.positiveRate * 100).toFixed(1)}% churned.`,
  );
  print(
    `  AUC ${f3(e.auc)} (logistic baseline ${f3(e.baselineAuc)})  PR-AUC ${f3(e.prAuc)}  Brier ${f3(e.brier)}  top-decile lift ${f3(e.topDecileLift)} (buyers ${f3(e.buyerTopDecileLift)})`,
  );
  print(`  precision@${e.k} ${f3(e.precisionAtK)}  recall@${e.k} ${f3(e.recallAtK)}  F1@0.5 ${f3(e.f1)}`);
  print(
    '  calibration (decile: predicted → observed): ' +
      e.calibration.map((c) => `${f3(c.meanPredicted)}→${f3(c.observedRate)}`).join('  '),
  );
  print(`  top features: ${e.topFeatures.map((t) => t.feature).join(', ')}`);
}

export async function runChurnTrain(store: Store, flags: ChurnSplitFlags): Promise<void> {
  const r = await trainChurn(churnHistoryStore(store), churnStore(store), {
    ...splitOptions(flags),
    now: new Date(),
  });
  if (!r.ok) throw new Error(r.error.message);
  if (flags.json) print(JSON.stringify(r.value, null, 2));
  else {
    print(`Trained churn model ${r.value.modelVersion}.`);
    printChurnEvaluation(r.value.evaluation);
  }
}

export async function runChurnEvaluate(store: Store, flags: ChurnSplitFlags): Promise<void> {
  const r = await evaluateChurn(churnHistoryStore(store), splitOptions(flags));
  if (!r.ok) throw new Error(r.error.message);
  if (flags.json) print(JSON.stringify({ churn: r.value }, null, 2));
  else printChurnEvaluation(r.value);
}

export async function runChurnScore(store: Store, flags: { asOf?: string; json?: boolean }): Promise<void> {
  const r = await scoreChurn(churnHistoryStore(store), churnStore(store), {
    ...(flags.asOf !== undefined ? { asOf: flags.asOf } : {}),
    now: new Date(),
  });
  if (!r.ok) throw new Error(r.error.message);
  const s = r.value;
  if (flags.json) {
    print(JSON.stringify(s, null, 2));
    return;
  }
  print(
    `Scored ${s.customers.toLocaleString('en-US')} customers as of ${s.asOf} with ${s.modelVersion}: mean churn probability ${f3(s.meanProbability)}, ${s.atRisk.toLocaleString('en-US')} at risk (≥ 0.5).`,
  );
  print(
    `  at-risk drivers: ${Object.entries(s.atRiskByDriver)
      .map(([d, n]) => `${d} ${n}`)
      .join(', ')}`,
  );
  const drifted = s.drift.filter((d) => d.level !== 'stable');
  print(
    drifted.length === 0
      ? '  feature drift: all features stable (PSI < 0.1)'
      : `  feature drift (PSI vs training): ${drifted.map((d) => `${d.feature} ${f3(d.psi)} (${d.level})`).join(', ')}`,
  );
}

export async function runFeaturesExport(
  store: Store,
  flags: { calibrationEnd: string; holdoutEnd: string; out: string; json?: boolean },
): Promise<void> {
  const r = await exportChurnFeatures(churnHistoryStore(store), flags);
  if (!r.ok) throw new Error(r.error.message);
  if (flags.json) print(JSON.stringify(r.value));
  else
    print(
      `Wrote ${r.value.path}: ${r.value.trainRows.toLocaleString('en-US')} training rows (features to ${r.value.trainingCutoff}) and ${r.value.testRows.toLocaleString('en-US')} test rows, ${r.value.features.length} features.`,
    );
}
