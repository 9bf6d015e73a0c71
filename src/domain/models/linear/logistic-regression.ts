import { createRandom } from '../../random.js';
import { assertMatrix, type FeatureMatrix } from '../trees/feature-matrix.js';

/**
 * L2-regularised logistic regression, the churn baseline. Coefficients are reported on the
 * original feature scale; `means` and `scales` are the internal standardisation (a missing
 * value is replaced by the training mean, i.e. contributes nothing).
 */
export interface LogisticRegressionModel {
  readonly type: 'logistic-regression';
  readonly featureNames: readonly string[];
  readonly intercept: number;
  readonly coefficients: readonly number[];
  readonly means: readonly number[];
  readonly scales: readonly number[];
  /** Penalty λ used, on the standardised coefficients. */
  readonly l2: number;
  readonly iterations: number;
  readonly converged: boolean;
}

export interface LogisticRegressionOptions {
  /** λ in Σ wᵢ·logloss + (λ/2)·‖β‖², β on standardised features, intercept free. Default 1. */
  readonly l2?: number;
  readonly weights?: Float64Array;
  readonly maxIterations?: number;
  /** Stop when the Newton decrement ½·gᵀH⁻¹g falls below this. Default 1e-10. */
  readonly tolerance?: number;
  /**
   * With more rows than this, the Hessian of each step is estimated on a fixed seeded sample of
   * this many rows (scaled up to all of them); the gradient is always exact. Default 32,768.
   */
  readonly hessianRows?: number;
}

/** Default `hessianRows`: the Hessian's relative error is then about √(p/m) ≈ 3.5% for 40 features. */
export const HESSIAN_ROWS = 32_768;

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Fit by Newton's method (IRLS) with backtracking on the penalised negative log-likelihood
 * L(b, β) = Σ wᵢ[softplus(zᵢ) − yᵢzᵢ] + (λ/2)‖β‖², zᵢ = b + Σⱼ βⱼ(xᵢⱼ − μⱼ)/σⱼ.
 * Each step solves (XᵀWX + λI)Δ = −∇L by Cholesky; cost O(n·p²) per iteration.
 *
 * On many rows (n > `hessianRows` = m) XᵀWX is estimated on a fixed seeded sample of m rows and
 * scaled by n/m (a subsampled Newton method: Byrd, Chin, Neveitt & Nocedal 2011; Roosta-Khorasani
 * & Mahoney 2019). The gradient stays exact, so the fixed point — the penalised optimum — is the
 * same; only the rate becomes linear (each step shrinks the error by about the Hessian's relative
 * error, √(p/m)), and a step costs O(n·p + m·p²).
 */
export function fitLogisticRegression(
  data: FeatureMatrix,
  labels: Float64Array,
  options: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  assertMatrix(data);
  const { rows: n, cols: p, values } = data;
  const lambda = options.l2 ?? 1;
  const weights = options.weights;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-10;
  const hessianRows = options.hessianRows ?? HESSIAN_ROWS;
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} rows`);
  if (!(lambda >= 0)) throw new RangeError('l2 must be >= 0');
  if (!(Number.isInteger(hessianRows) && hessianRows >= 1))
    throw new RangeError('hessianRows must be a positive integer');
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`label ${i} is not 0 or 1`);
  }

  // Weighted means and standard deviations, ignoring missing values (one pass over the rows).
  const sw = new Float64Array(p);
  const sx = new Float64Array(p);
  const sxx = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    for (let j = 0, k = i * p; j < p; j++, k++) {
      const x = values[k]!;
      if (x !== x) continue;
      sw[j]! += w;
      sx[j]! += w * x;
      sxx[j]! += w * x * x;
    }
  }
  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(1);
  for (let j = 0; j < p; j++) {
    if (sw[j]! > 0) {
      const m = sx[j]! / sw[j]!;
      const v = Math.max(sxx[j]! / sw[j]! - m * m, 0);
      means[j] = m;
      scales[j] = v > 1e-24 ? Math.sqrt(v) : 1;
    }
  }
  // Standardised design with a leading column of ones.
  const d = p + 1;
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    z[i * d] = 1;
    for (let j = 0; j < p; j++) {
      const x = values[i * p + j]!;
      z[i * d + j + 1] = x !== x ? 0 : (x - means[j]!) / scales[j]!;
    }
  }

  /** The objective at `beta` and, in the same pass over the rows, its gradient into `grad`. */
  const evaluate = (beta: Float64Array, grad: Float64Array): number => {
    let f = 0;
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let eta = 0;
      for (let k = 0; k < d; k++) eta += z[o + k]! * beta[k]!;
      const w = weights === undefined ? 1 : weights[i]!;
      const y = labels[i]!;
      f += w * (Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta))) - y * eta);
      const r = w * (sigmoid(eta) - y);
      for (let k = 0; k < d; k++) grad[k]! += r * z[o + k]!;
    }
    for (let k = 1; k < d; k++) {
      f += 0.5 * lambda * beta[k]! ** 2;
      grad[k]! += lambda * beta[k]!;
    }
    return f;
  };

  // The rows whose curvature estimates the Hessian: all of them, or a seeded sample in row order
  // (a partial Fisher–Yates shuffle picks m distinct rows), each standing for n/m rows.
  let hessRows: Uint32Array | null = null;
  let hessScale = 1;
  if (n > hessianRows) {
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    const random = createRandom(0x4e57);
    for (let i = 0; i < hessianRows; i++) {
      const j = i + random.int(n - i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    hessRows = order.subarray(0, hessianRows).sort();
    let all = 0;
    let some = 0;
    for (let i = 0; i < n; i++) all += weights === undefined ? 1 : weights[i]!;
    for (const i of hessRows) some += weights === undefined ? 1 : weights[i]!;
    hessScale = some > 0 ? all / some : 1;
  }

  const beta = new Float64Array(d);
  const grad = new Float64Array(d);
  const trialGrad = new Float64Array(d);
  let f = evaluate(beta, grad);
  let iterations = 0;
  let converged = false;
  const hess = new Float64Array(d * d);
  const addCurvature = (i: number): void => {
    const o = i * d;
    let eta = 0;
    for (let k = 0; k < d; k++) eta += z[o + k]! * beta[k]!;
    const pr = sigmoid(eta);
    const h = (weights === undefined ? 1 : weights[i]!) * pr * (1 - pr);
    for (let k = 0; k < d; k++) {
      const hz = h * z[o + k]!;
      for (let l = 0; l <= k; l++) hess[k * d + l]! += hz * z[o + l]!;
    }
  };
  for (; iterations < maxIterations; iterations++) {
    hess.fill(0);
    if (hessRows === null) for (let i = 0; i < n; i++) addCurvature(i);
    else {
      for (const i of hessRows) addCurvature(i);
      for (let k = 0; k < d * d; k++) hess[k]! *= hessScale;
    }
    for (let k = 1; k < d; k++) hess[k * d + k]! += lambda;
    hess[0]! += 1e-10; // keeps the system solvable when every label is equal
    const step = choleskySolve(hess, grad, d);
    let decrement = 0;
    for (let k = 0; k < d; k++) decrement += grad[k]! * step[k]!;
    // Relative to the objective as well: a sum over n rows resolves changes of about n·ε only, and
    // a subsampled Hessian approaches the optimum linearly, not in one quadratic jump.
    if (decrement / 2 < Math.max(tolerance, 1e-13 * Math.abs(f))) {
      // One last full step: with the exact Hessian it squares the remaining error, with a sampled
      // one it shrinks it by about √(p/m).
      for (let k = 0; k < d; k++) beta[k]! -= step[k]!;
      converged = true;
      iterations++;
      break;
    }
    let t = 1;
    const trial = new Float64Array(d);
    for (;;) {
      for (let k = 0; k < d; k++) trial[k] = beta[k]! - t * step[k]!;
      const fNew = evaluate(trial, trialGrad);
      // Armijo's sufficient decrease, up to the rounding of the sum (64·ε·|f|).
      if (fNew <= f - 1e-4 * t * decrement + 64 * Number.EPSILON * Math.abs(f) || t < 1e-10) {
        beta.set(trial);
        grad.set(trialGrad);
        f = fNew;
        break;
      }
      t /= 2;
    }
  }

  const coefficients = Array.from({ length: p }, (_, j) => beta[j + 1]! / scales[j]!);
  let intercept = beta[0]!;
  for (let j = 0; j < p; j++) intercept -= coefficients[j]! * means[j]!;
  return {
    type: 'logistic-regression',
    featureNames: [...data.featureNames],
    intercept,
    coefficients,
    means,
    scales,
    l2: lambda,
    iterations,
    converged,
  };
}

/** Solve A·x = b for symmetric positive-definite A given by its lower triangle (row-major d×d). */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('logistic regression Hessian is not positive definite');
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j]!;
      }
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * y[k]!;
    y[i] = s / l[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  return x;
}

/** Log-odds for every row; a missing value counts as the training mean. */
export function predictLogit(model: LogisticRegressionModel, data: FeatureMatrix): Float64Array {
  assertMatrix(data);
  const p = model.coefficients.length;
  if (data.cols !== p) throw new RangeError(`model has ${p} features, matrix has ${data.cols}`);
  const out = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) {
    let eta = model.intercept;
    for (let j = 0; j < p; j++) {
      const x = data.values[i * p + j]!;
      eta += model.coefficients[j]! * (x !== x ? model.means[j]! : x);
    }
    out[i] = eta;
  }
  return out;
}

/** Probability of the positive class for every row. */
export function predictProbability(model: LogisticRegressionModel, data: FeatureMatrix): Float64Array {
  return predictLogit(model, data).map(sigmoid);
}
