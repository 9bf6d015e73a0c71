/** The churn feature matrix: one row per customer as of a cut-off, one column per feature. */
import type { FeatureMatrix } from '../../models/trees/feature-matrix.js';
import { CHURN_FEATURES, type HistoryAsOf } from './features.js';

/** Rows in the order of `views`, columns in the order of {@link CHURN_FEATURES}. */
export function churnFeatureMatrix(views: readonly HistoryAsOf[]): FeatureMatrix {
  const cols = CHURN_FEATURES.length;
  const values = new Float64Array(views.length * cols);
  views.forEach((h, i) => {
    CHURN_FEATURES.forEach((f, j) => {
      const v = f.compute(h);
      values[i * cols + j] = Number.isFinite(v) ? v : NaN;
    });
  });
  return { values, rows: views.length, cols, featureNames: CHURN_FEATURES.map((f) => f.name) };
}
