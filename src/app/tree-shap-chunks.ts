/** The job the main thread and the TreeSHAP workers share: rows handed out a chunk at a time. */
import { rankChurnRows, type ChurnColumns, type ChurnRanking } from '../domain/models/churn/model.js';
import type { FastTreeShapExplainer } from '../domain/models/trees/fast-tree-shap.js';
import type { GradientBoostedModel } from '../domain/models/trees/model.js';

export interface ShapJob {
  readonly model: GradientBoostedModel;
  /** Row-major values, `cols` per row (a view of shared memory). */
  readonly values: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
  /**
   * What is kept of each row (views of shared memory): its rows × cols contributions, or only
   * the churn ranking (margin, top reasons, driver weights), ranked right after its TreeSHAP
   * values, so that no contributions cross threads.
   */
  readonly output:
    | { readonly type: 'contributions'; readonly out: Float64Array }
    | { readonly type: 'churn'; readonly ranking: ChurnRanking; readonly columns: ChurnColumns };
  /** [0]: the next chunk to take. */
  readonly next: Int32Array;
  /** Per chunk: 1 once its rows are written (the main thread uses them meanwhile). */
  readonly done: Int32Array;
  readonly chunkRows: number;
}

/**
 * Explains chunks of rows until none are left, calling `afterChunk` after each. Which thread
 * takes which chunk depends on timing, but each row is computed the same way by any thread, so
 * the output does not.
 */
export function takeShapChunks(
  explainer: FastTreeShapExplainer,
  job: ShapJob,
  afterChunk: () => void = () => {},
): void {
  const { values, rows, cols, output, next, done, chunkRows } = job;
  const scratch = output.type === 'churn' ? new Float64Array(Math.min(rows, chunkRows) * cols) : null;
  for (;;) {
    const chunk = Atomics.add(next, 0, 1);
    const begin = chunk * chunkRows;
    if (begin >= rows) return;
    const end = Math.min(rows, begin + chunkRows);
    if (output.type === 'contributions')
      explainer.explainRows(values, begin, end, output.out.subarray(begin * cols, end * cols));
    else rankChurnRows(explainer, output.columns, job, begin, end, output.ranking, scratch!);
    Atomics.store(done, chunk, 1);
    afterChunk();
  }
}
