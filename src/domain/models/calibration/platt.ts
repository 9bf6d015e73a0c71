/** Platt scaling: P(y = 1 | s) = σ(slope·s + intercept), fitted on held-out scores. */
export interface PlattScaling {
  readonly type: 'platt';
  readonly slope: number;
  readonly intercept: number;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Fit Platt scaling (Platt 1999) by Newton's method with step halving, as in Lin, Lin & Weng
 * (2007), "A note on Platt's probabilistic outputs". With `smoothTargets` (default true) the
 * targets are Platt's (N₊+1)/(N₊+2) and 1/(N₋+2) instead of 1 and 0, which keeps the fit finite
 * on separable data. Pass raw margins (log-odds), not probabilities, for the usual fit.
 */
export function fitPlatt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { smoothTargets?: boolean; maxIterations?: number } = {},
): PlattScaling {
  const n = scores.length;
  if (n === 0 || labels.length !== n)
    throw new RangeError('fitPlatt needs as many labels as scores, at least one');
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`label ${i} is not 0 or 1`);
    if (!Number.isFinite(scores[i]!)) throw new RangeError(`score ${i} is not finite`);
    pos += labels[i]!;
  }
  const neg = n - pos;
  const smooth = options.smoothTargets ?? true;
  const hi = smooth ? (pos + 1) / (pos + 2) : 1;
  const lo = smooth ? 1 / (neg + 2) : 0;
  const t = Float64Array.from({ length: n }, (_, i) => (labels[i] === 1 ? hi : lo));

  const loss = (a: number, b: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = a * scores[i]! + b;
      // −[t log σ(z) + (1−t) log(1−σ(z))] = softplus(z) − t·z
      f += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t[i]! * z;
    }
    return f;
  };
  let a = 0;
  let b = Math.log((pos + 1) / (neg + 1));
  let f = loss(a, b);
  const maxIterations = options.maxIterations ?? 100;
  for (let it = 0; it < maxIterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      const p = sigmoid(a * s + b);
      const d = p - t[i]!;
      const w = p * (1 - p);
      ga += d * s;
      gb += d;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-10 * n && Math.abs(gb) < 1e-10 * n) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let step = 1;
    let improved = false;
    while (step > 1e-10) {
      const fNew = loss(a + step * da, b + step * db);
      if (fNew < f + 1e-4 * step * (ga * da + gb * db)) {
        a += step * da;
        b += step * db;
        f = fNew;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  return { type: 'platt', slope: a, intercept: b };
}

/** The calibrated probability of a score. */
export function applyPlatt(model: PlattScaling, score: number): number {
  return sigmoid(model.slope * score + model.intercept);
}
