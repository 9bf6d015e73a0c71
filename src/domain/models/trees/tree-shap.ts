import { assertMatrix, type FeatureMatrix } from './feature-matrix.js';
import type { GradientBoostedModel } from './model.js';
import { treeDepth, type RegressionTree } from './tree.js';

/** Per-feature contributions to one row's raw margin: bias + Σ contributions = margin. */
export interface Explanation {
  /** The expected margin over the training data (baseScore + each tree's cover-weighted mean). */
  readonly bias: number;
  /** One SHAP value per feature, in the model's feature order (log-odds for logloss). */
  readonly contributions: Float64Array;
}

/** Expected output of a tree: leaf values weighted by cover. */
export function treeExpectedValue(tree: RegressionTree): number {
  const walk = (node: number): number => {
    if (tree.feature[node]! < 0) return tree.value[node]!;
    const l = tree.left[node]!;
    const r = tree.right[node]!;
    const c = tree.cover[node]!;
    if (!(c > 0)) return 0.5 * (walk(l) + walk(r));
    return (tree.cover[l]! * walk(l) + tree.cover[r]! * walk(r)) / c;
  };
  return walk(0);
}

/**
 * Exact TreeSHAP, Lundberg, Erion & Lee (2018), "Consistent individualized feature attribution
 * for tree ensembles", Algorithm 2: Shapley values of v(S) = E[f(x) | x_S] where the expectation
 * over a feature outside S follows both children in proportion to their cover. O(L·D²) per tree.
 * The path is kept in flat typed arrays, one segment per recursion depth.
 */
export class TreeShapExplainer {
  private readonly bias: number;
  private readonly maxDepth: number;
  private readonly fi: Int32Array;
  private readonly zf: Float64Array;
  private readonly of: Float64Array;
  private readonly pw: Float64Array;
  private values: ArrayLike<number> = [];
  private offset = 0;
  private phi: Float64Array = new Float64Array(0);
  private tree: RegressionTree | null = null;

  constructor(private readonly model: GradientBoostedModel) {
    let bias = model.baseScore;
    let depth = 0;
    for (const t of model.trees) {
      bias += treeExpectedValue(t);
      depth = Math.max(depth, treeDepth(t));
    }
    this.bias = bias;
    this.maxDepth = depth;
    const size = ((depth + 2) * (depth + 3)) / 2;
    this.fi = new Int32Array(size);
    this.zf = new Float64Array(size);
    this.of = new Float64Array(size);
    this.pw = new Float64Array(size);
  }

  /** Expected margin (the bias of every explanation). */
  get expectedValue(): number {
    return this.bias;
  }

  /** Explain the row of raw values starting at `offset` in `values`; adds into `phi` if given. */
  explainRow(values: ArrayLike<number>, offset = 0, phi?: Float64Array): Explanation {
    const cols = this.model.featureNames.length;
    const out = phi ?? new Float64Array(cols);
    this.values = values;
    this.offset = offset;
    this.phi = out;
    for (const t of this.model.trees) {
      this.tree = t;
      this.recurse(0, 0, 0, 1, 1, -1);
    }
    this.tree = null;
    return { bias: this.bias, contributions: out };
  }

  /**
   * `pathStart` is where the parent's path segment begins; this node's segment starts right
   * after the parent's `depth + 1` elements.
   */
  private recurse(node: number, pathStart: number, depth: number, pz: number, po: number, pi: number): void {
    const tree = this.tree!;
    const { fi, zf, of, pw } = this;
    const start = depth === 0 ? 0 : pathStart + depth;
    // Tiny copies: a loop beats copyWithin's call overhead.
    for (let i = 0; i < depth; i++) {
      fi[start + i] = fi[pathStart + i]!;
      zf[start + i] = zf[pathStart + i]!;
      of[start + i] = of[pathStart + i]!;
      pw[start + i] = pw[pathStart + i]!;
    }
    // EXTEND
    fi[start + depth] = pi;
    zf[start + depth] = pz;
    of[start + depth] = po;
    pw[start + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      pw[start + i + 1]! += (po * pw[start + i]! * (i + 1)) / (depth + 1);
      pw[start + i] = (pz * pw[start + i]! * (depth - i)) / (depth + 1);
    }

    const f = tree.feature[node]!;
    if (f < 0) {
      const v = tree.value[node]!;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(start, depth, i);
        this.phi[fi[start + i]!]! += w * (of[start + i]! - zf[start + i]!) * v;
      }
      return;
    }

    const x = this.values[this.offset + f]!;
    const goLeft = x !== x ? tree.defaultLeft[node] === 1 : x <= tree.threshold[node]!;
    const l = tree.left[node]!;
    const r = tree.right[node]!;
    const hot = goLeft ? l : r;
    const cold = goLeft ? r : l;
    const c = tree.cover[node]!;
    const hotZero = c > 0 ? tree.cover[hot]! / c : 0.5;
    const coldZero = c > 0 ? tree.cover[cold]! / c : 0.5;
    let inZero = 1;
    let inOne = 1;
    let d = depth;
    let k = 1;
    for (; k <= d; k++) if (fi[start + k] === f) break;
    if (k <= d) {
      inZero = zf[start + k]!;
      inOne = of[start + k]!;
      this.unwind(start, d, k);
      d -= 1;
    }
    // Children copy this segment (d + 1 elements) into their own, so the segment stays intact.
    this.recurse(hot, start, d + 1, hotZero * inZero, inOne, f);
    this.recurse(cold, start, d + 1, coldZero * inZero, 0, f);
  }

  private unwind(start: number, depth: number, index: number): void {
    const { fi, zf, of, pw } = this;
    const one = of[start + index]!;
    const zero = zf[start + index]!;
    let next = pw[start + depth]!;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = pw[start + i]!;
        pw[start + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = tmp - (pw[start + i]! * zero * (depth - i)) / (depth + 1);
      } else {
        pw[start + i] = (pw[start + i]! * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      fi[start + i] = fi[start + i + 1]!;
      zf[start + i] = zf[start + i + 1]!;
      of[start + i] = of[start + i + 1]!;
    }
  }

  private unwoundSum(start: number, depth: number, index: number): number {
    const { zf, of, pw } = this;
    const one = of[start + index]!;
    const zero = zf[start + index]!;
    let next = pw[start + depth]!;
    let total = 0;
    if (one !== 0) {
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = next / ((i + 1) * one);
        total += tmp;
        next = pw[start + i]! - tmp * zero * (depth - i);
      }
    } else {
      for (let i = depth - 1; i >= 0; i--) total += pw[start + i]! / (zero * (depth - i));
    }
    return total * (depth + 1);
  }
}

/** SHAP values for one row of a matrix. */
export function explainRow(model: GradientBoostedModel, data: FeatureMatrix, row: number): Explanation {
  assertMatrix(data);
  if (!(Number.isInteger(row) && row >= 0 && row < data.rows))
    throw new RangeError(`row ${row} out of range`);
  return new TreeShapExplainer(model).explainRow(data.values, row * data.cols);
}

/** SHAP values for every row: `contributions[i * cols + j]` is feature j's share of row i's margin. */
export function explainAll(
  model: GradientBoostedModel,
  data: FeatureMatrix,
): { bias: number; contributions: Float64Array } {
  assertMatrix(data);
  if (data.cols !== model.featureNames.length)
    throw new RangeError('matrix and model have different feature counts');
  const ex = new TreeShapExplainer(model);
  const out = new Float64Array(data.rows * data.cols);
  for (let i = 0; i < data.rows; i++)
    ex.explainRow(data.values, i * data.cols, out.subarray(i * data.cols, (i + 1) * data.cols));
  return { bias: ex.expectedValue, contributions: out };
}
