/**
 * Unconstrained minimisation for the model fits, which work on log-parameters.
 * BFGS (Nocedal & Wright 2006, algorithm 6.1) with a backtracking line search satisfying the
 * Armijo condition (interpolating quadratically), and a Nelder–Mead fallback for objectives
 * whose gradient is unavailable or for when BFGS fails.
 */

/** An objective that returns f(x) and writes ∇f(x) into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  /** Maximum iterations (default 200 for BFGS, 2000 for Nelder–Mead). */
  maxIterations?: number;
  /**
   * Stop when the largest gradient component is below this (default 1e-6; the fits minimise the mean negative log-likelihood). When rounding noise
   * in a large sum stalls the line search first, a gradient below 100× this still counts as
   * converged.
   */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f over an iteration is below this (default 1e-14). */
  functionTolerance?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/** BFGS with an inverse-Hessian update and a backtracking Armijo line search. */
export function minimizeBfgs(
  fn: ObjectiveWithGradient,
  x0: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 200;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.functionTolerance ?? 1e-14;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const p = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const hy = new Float64Array(n);
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) H[i * n + i] = 1;

  let evaluations = 1;
  let f = fn(x, g);
  if (!Number.isFinite(f)) return { x, value: f, iterations: 0, evaluations, converged: false };
  let converged = maxAbs(g) < gtol;
  let iterations = 0;
  let firstStep = true;
  let smallDecreases = 0;

  while (!converged && iterations < maxIterations) {
    iterations++;
    // p = −H g
    let slope = 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= (H[i * n + j] as number) * (g[j] as number);
      p[i] = v;
      slope += v * (g[i] as number);
    }
    if (!(slope < 0)) {
      // Not a descent direction: reset to steepest descent.
      H.fill(0);
      for (let i = 0; i < n; i++) H[i * n + i] = 1;
      slope = 0;
      for (let i = 0; i < n; i++) {
        p[i] = -(g[i] as number);
        slope -= (g[i] as number) * (g[i] as number);
      }
      firstStep = true;
    }
    // On the first step scale so that the step is at most 1 in log-parameter space.
    let step = firstStep ? Math.min(1, 1 / Math.max(1e-12, maxAbs(p))) : 1;
    let fNew = NaN;
    let accepted = false;
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (p[i] as number);
      fNew = fn(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      // Quadratic interpolation of the step, kept within [0.1, 0.5] of the previous one.
      const denom = 2 * (fNew - f - slope * step);
      let next = Number.isFinite(fNew) && denom > 0 ? (-slope * step * step) / denom : 0.5 * step;
      next = Math.min(0.5 * step, Math.max(0.1 * step, next));
      step = next;
      if (step * maxAbs(p) < 1e-12) break; // below rounding: no progress possible
    }
    if (!accepted) {
      converged = maxAbs(g) < 100 * gtol;
      break;
    }

    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
      sy += (s[i] as number) * (y[i] as number);
    }
    const decrease = f - fNew;
    x.set(xNew);
    g.set(gNew);
    f = fNew;

    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (firstStep) {
        // Shanno–Phua scaling of the initial inverse Hessian.
        const scale = sy / dot(y, y);
        H.fill(0);
        for (let i = 0; i < n; i++) H[i * n + i] = scale;
        firstStep = false;
      }
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      let yhy = 0;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += (H[i * n + j] as number) * (y[j] as number);
        hy[i] = v;
        yhy += v * (y[i] as number);
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          H[i * n + j] =
            (H[i * n + j] as number) -
            rho * ((hy[i] as number) * (s[j] as number) + (s[i] as number) * (hy[j] as number)) +
            (rho * rho * yhy + rho) * (s[i] as number) * (s[j] as number);
        }
      }
    }

    if (maxAbs(g) < gtol) converged = true;
    else if (decrease <= ftol * Math.max(1, Math.abs(f))) {
      smallDecreases++;
      if (smallDecreases >= 3) {
        converged = maxAbs(g) < 100 * gtol;
        break;
      }
    } else smallDecreases = 0;
  }
  return { x, value: f, iterations, evaluations, converged };
}

/** Nelder–Mead simplex (standard coefficients 1, 2, ½, ½) on f, for objectives without gradient. */
export function minimizeNelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: MinimizeOptions & { initialStep?: number } = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 2000;
  const ftol = options.functionTolerance ?? 1e-12;
  const stepSize = options.initialStep ?? 0.5;
  const safe = (x: Float64Array): number => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const points: Float64Array[] = [];
  const values: number[] = [];
  for (let k = 0; k <= n; k++) {
    const pt = Float64Array.from(x0);
    if (k > 0) pt[k - 1] = (pt[k - 1] as number) + stepSize;
    points.push(pt);
    values.push(safe(pt));
  }
  let evaluations = n + 1;
  let iterations = 0;
  let converged = false;
  const centroid = new Float64Array(n);
  const trial = new Float64Array(n);
  const trial2 = new Float64Array(n);
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  while (iterations < maxIterations) {
    iterations++;
    order.sort((a, b) => (values[a] as number) - (values[b] as number));
    const best = order[0] as number;
    const worst = order[n] as number;
    const second = order[n - 1] as number;
    const fBest = values[best] as number;
    const fWorst = values[worst] as number;
    if (Math.abs(fWorst - fBest) <= ftol * (Math.abs(fBest) + 1e-300) + 1e-300) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (const k of order.slice(0, n)) {
      const pt = points[k] as Float64Array;
      for (let i = 0; i < n; i++) centroid[i] = (centroid[i] as number) + (pt[i] as number) / n;
    }
    const w = points[worst] as Float64Array;
    const along = (coef: number, out: Float64Array): number => {
      for (let i = 0; i < n; i++)
        out[i] = (centroid[i] as number) + coef * ((w[i] as number) - (centroid[i] as number));
      evaluations++;
      return safe(out);
    };
    const fr = along(-1, trial);
    if (fr < fBest) {
      const fe = along(-2, trial2);
      if (fe < fr) {
        w.set(trial2);
        values[worst] = fe;
      } else {
        w.set(trial);
        values[worst] = fr;
      }
    } else if (fr < (values[second] as number)) {
      w.set(trial);
      values[worst] = fr;
    } else {
      const fc = fr < fWorst ? along(-0.5, trial2) : along(0.5, trial2);
      if (fc < Math.min(fr, fWorst)) {
        w.set(trial2);
        values[worst] = fc;
      } else {
        const b = points[best] as Float64Array;
        for (const k of order.slice(1)) {
          const pt = points[k] as Float64Array;
          for (let i = 0; i < n; i++) pt[i] = (b[i] as number) + 0.5 * ((pt[i] as number) - (b[i] as number));
          values[k] = safe(pt);
          evaluations++;
        }
      }
    }
  }
  let bestIdx = 0;
  for (let k = 1; k <= n; k++) if ((values[k] as number) < (values[bestIdx] as number)) bestIdx = k;
  return {
    x: Float64Array.from(points[bestIdx] as Float64Array),
    value: values[bestIdx] as number,
    iterations,
    evaluations,
    converged,
  };
}

/**
 * Minimise with BFGS and, if it fails to converge or produces a non-finite value, polish with
 * Nelder–Mead from the best point found and finish with BFGS again.
 */
export function minimize(
  fn: ObjectiveWithGradient,
  x0: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const first = minimizeBfgs(fn, x0, options);
  if (first.converged && Number.isFinite(first.value)) return first;
  const start = Number.isFinite(first.value) ? first.x : Float64Array.from(x0);
  const scratch = new Float64Array(x0.length);
  const nm = minimizeNelderMead((x) => fn(x, scratch), start, {
    maxIterations: 4000,
    functionTolerance: 1e-13,
  });
  const second = minimizeBfgs(fn, nm.x, options);
  const best =
    Number.isFinite(second.value) && second.value <= nm.value ? second : { ...nm, converged: false };
  return {
    ...best,
    iterations: first.iterations + nm.iterations + (best === second ? second.iterations : 0),
    evaluations: first.evaluations + nm.evaluations + second.evaluations,
  };
}

/** Central-difference gradient of f at x with relative step h (default 1e-6). */
export function centralDifferenceGradient(
  f: (x: Float64Array) => number,
  x: Float64Array,
  grad: Float64Array,
  h = 1e-6,
): void {
  const xp = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const step = h * Math.max(1, Math.abs(xi));
    xp[i] = xi + step;
    const fp = f(xp);
    xp[i] = xi - step;
    const fm = f(xp);
    xp[i] = xi;
    grad[i] = (fp - fm) / (2 * step);
  }
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
