/**
 * Isotonic calibration: the non-decreasing step function closest (weighted least squares) to
 * the labels, as knots (x ascending, y non-decreasing). Between knots of neighbouring blocks
 * the prediction is interpolated linearly (as scikit-learn's IsotonicRegression); outside the
 * fitted range it is clamped.
 */
export interface IsotonicRegression {
  readonly type: 'isotonic';
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/**
 * Fit by pool-adjacent-violators (Ayer et al. 1955; Barlow et al. 1972): sort by score, pool
 * equal scores, then merge neighbouring blocks while a block's mean exceeds the next one's.
 * O(n log n) for the sort, O(n) for the pooling.
 */
export function fitIsotonic(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): IsotonicRegression {
  const n = scores.length;
  if (n === 0 || labels.length !== n || (weights !== undefined && weights.length !== n)) {
    throw new RangeError('fitIsotonic needs matching non-empty scores, labels (and weights)');
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!) || !Number.isFinite(labels[i]!))
      throw new RangeError(`row ${i} is not finite`);
    if (weights !== undefined && !(weights[i]! > 0)) throw new RangeError(`weight ${i} must be > 0`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]! || i - j);
  // Blocks as a stack: weighted sum, weight, first and last score.
  const sum: number[] = [];
  const wt: number[] = [];
  const xLo: number[] = [];
  const xHi: number[] = [];
  for (const i of order) {
    const w = weights === undefined ? 1 : weights[i]!;
    const x = scores[i]!;
    const top = sum.length - 1;
    if (top >= 0 && xHi[top] === x) {
      sum[top]! += w * labels[i]!;
      wt[top]! += w;
    } else {
      sum.push(w * labels[i]!);
      wt.push(w);
      xLo.push(x);
      xHi.push(x);
    }
    while (sum.length >= 2) {
      const k = sum.length - 1;
      if (sum[k - 1]! / wt[k - 1]! <= sum[k]! / wt[k]!) break;
      sum[k - 1]! += sum[k]!;
      wt[k - 1]! += wt[k]!;
      xHi[k - 1] = xHi[k]!;
      sum.pop();
      wt.pop();
      xLo.pop();
      xHi.pop();
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < sum.length; k++) {
    const v = sum[k]! / wt[k]!;
    x.push(xLo[k]!);
    y.push(v);
    if (xHi[k]! > xLo[k]!) {
      x.push(xHi[k]!);
      y.push(v);
    }
  }
  return { type: 'isotonic', x, y };
}

/** The calibrated value of a score. */
export function applyIsotonic(model: IsotonicRegression, score: number): number {
  const { x, y } = model;
  const last = x.length - 1;
  if (score <= x[0]!) return y[0]!;
  if (score >= x[last]!) return y[last]!;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! <= score) lo = mid;
    else hi = mid;
  }
  const t = (score - x[lo]!) / (x[hi]! - x[lo]!);
  return y[lo]! + t * (y[hi]! - y[lo]!);
}
