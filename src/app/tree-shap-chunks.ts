/** The job the main thread and the TreeSHAP workers share: rows handed out a chunk at a time. */
import type { FastTreeShapExplainer } from '../domain/models/trees/fast-tree-shap.js';
import type { GradientBoostedModel } from '../domain/models/trees/model.js';

export interface ShapJob {
  readonly model: GradientBoostedModel;
  /** Row-major values, `cols` per row (a view of shared memory). */
  readonly values: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** rows × cols contributions (a view of shared memory). */
  readonly out: Float64Array;
  /** [0]: the next chunk to take. */
  readonly next: Int32Array;
  readonly chunkRows: number;
}

/**
 * Explains chunks of rows until none are left. Which thread takes which chunk depends on timing,
 * but each row's contributions are computed the same way by any thread, so the output does not.
 */
export function takeShapChunks(explainer: FastTreeShapExplainer, job: ShapJob): void {
  const { values, rows, cols, out, next, chunkRows } = job;
  for (;;) {
    const begin = Atomics.add(next, 0, 1) * chunkRows;
    if (begin >= rows) return;
    const end = Math.min(rows, begin + chunkRows);
    explainer.explainRows(values, begin, end, out.subarray(begin * cols, end * cols));
  }
}
