/**
 * `patron features export`: the exact churn matrix and split Patron trains and evaluates on, as
 * CSV, so the learner can be checked against another tool on the same data. Rows of the training
 * cut-offs come first (`split` = train; the latest cut-off's rows, then each earlier one's), then
 * the holdout (`split` = test); a customer active at several cut-offs has one row at each. Missing
 * values are empty cells.
 */
import fs from 'node:fs';
import { buildChurnDataset, type ChurnError, type ChurnHistorySource, type ChurnRows } from './churn.js';
import { err, ok, type Result } from '../domain/result.js';

export interface ExportSummary {
  readonly path: string;
  readonly trainRows: number;
  readonly testRows: number;
  readonly features: readonly string[];
  readonly trainingCutoff: string;
  readonly windowDays: number;
}

const cell = (v: number): string => (Number.isNaN(v) ? '' : String(v));

function lines(rows: ChurnRows, split: 'train' | 'test'): string[] {
  const out: string[] = [];
  const { matrix } = rows;
  for (let i = 0; i < matrix.rows; i++) {
    const vals: string[] = [];
    for (let j = 0; j < matrix.cols; j++) vals.push(cell(matrix.values[i * matrix.cols + j]!));
    out.push(`${rows.customerIds[i]},${split},${rows.labels[i]},${vals.join(',')}`);
  }
  return out;
}

export async function exportChurnFeatures(
  source: ChurnHistorySource,
  options: { calibrationEnd: string; holdoutEnd: string; out: string },
): Promise<Result<ExportSummary, ChurnError>> {
  if (!options.calibrationEnd || !options.holdoutEnd) {
    return err({ type: 'InvalidDate', message: '--calibration-end and --holdout-end are required' });
  }
  const built = buildChurnDataset(await source.load(), options);
  if (!built.ok) return built;
  const { train, test, split, windowDays } = built.value;
  const header = ['customer_id', 'split', 'label', ...train.matrix.featureNames].join(',');
  fs.writeFileSync(options.out, [header, ...lines(train, 'train'), ...lines(test, 'test')].join('\n') + '\n');
  return ok({
    path: options.out,
    trainRows: train.matrix.rows,
    testRows: test.matrix.rows,
    features: train.matrix.featureNames,
    trainingCutoff: new Date(split.trainingCutoff - 86_400_000).toISOString().slice(0, 10),
    windowDays,
  });
}
