/** The churn feature matrix: one row per customer as of a cut-off, one column per feature. */
import type { FeatureMatrix } from '../../models/trees/feature-matrix.js';
import type { ActivityKind } from './history.js';
import { CHURN_FEATURES, type HistoryAsOf } from './features.js';

/**
 * Rows in the order of `views`, columns in the order of {@link CHURN_FEATURES}. A feature that
 * `needs` an activity kind no customer in `views` has is NaN throughout: the store does not send it.
 */
export function churnFeatureMatrix(views: readonly HistoryAsOf[]): FeatureMatrix {
  const cols = CHURN_FEATURES.length;
  const measured = new Set<ActivityKind>();
  for (const h of views) for (const a of h.activity) measured.add(a.kind);
  // In shared memory: scoring's worker threads read the matrix without a copy of it.
  const values = new Float64Array(new SharedArrayBuffer(8 * views.length * cols));
  views.forEach((h, i) => {
    CHURN_FEATURES.forEach((f, j) => {
      const v = f.needs === undefined || measured.has(f.needs) ? f.compute(h) : NaN;
      values[i * cols + j] = Number.isFinite(v) ? v : NaN;
    });
  });
  return { values, rows: views.length, cols, featureNames: CHURN_FEATURES.map((f) => f.name) };
}
