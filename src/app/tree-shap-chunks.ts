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

/** Explains the next chunk of rows; false when none is left. */
function takeShapChunk(
  explainer: FastTreeShapExplainer,
  job: ShapJob,
  scratch: Float64Array | null,
): boolean {
  const { values, rows, cols, output, next, done, chunkRows } = job;
  const chunk = Atomics.add(next, 0, 1);
  const begin = chunk * chunkRows;
  if (begin >= rows) return false;
  const end = Math.min(rows, begin + chunkRows);
  if (output.type === 'contributions')
    explainer.explainRows(values, begin, end, output.out.subarray(begin * cols, end * cols));
  else rankChurnRows(explainer, output.columns, job, begin, end, output.ranking, scratch!);
  Atomics.store(done, chunk, 1);
  return true;
}

const scratchFor = (job: ShapJob): Float64Array | null =>
  job.output.type === 'churn' ? new Float64Array(Math.min(job.rows, job.chunkRows) * job.cols) : null;

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
  const scratch = scratchFor(job);
  while (takeShapChunk(explainer, job, scratch)) afterChunk();
}

/**
 * {@link takeShapChunks} for the main thread beside workers: after each chunk (and `afterChunk`)
 * it lets the event loop run, so that whatever consumes the finished rows — a store writing the
 * scores — takes them as they come instead of finding them all at the end.
 */
export async function takeShapChunksYielding(
  explainer: FastTreeShapExplainer,
  job: ShapJob,
  afterChunk: () => void = () => {},
): Promise<void> {
  const scratch = scratchFor(job);
  while (takeShapChunk(explainer, job, scratch)) {
    afterChunk();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
