/**
 * k-means (Lloyd's algorithm with k-means++ seeding, Arthur & Vassilvitskii 2007) and the
 * silhouette coefficient (Rousseeuw 1987) on row-major Float64Array matrices. Pure and seeded:
 * the same data and seed give the same clusters.
 */
import type { Random } from '../../random.js';

export interface Matrix {
  /** Row-major values, `cols` per row. */
  readonly values: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export interface KMeansResult {
  readonly k: number;
  /** Row-major centroids, k × cols. */
  readonly centroids: Float64Array;
  /** Cluster of each row. */
  readonly assignment: Int32Array;
  /** Sum of squared distances to the assigned centroid. */
  readonly inertia: number;
  readonly iterations: number;
}

function sqDist(a: Float64Array, ai: number, b: Float64Array, bi: number, cols: number): number {
  let s = 0;
  for (let j = 0; j < cols; j++) {
    const d = (a[ai + j] as number) - (b[bi + j] as number);
    s += d * d;
  }
  return s;
}

/** k-means++ seeding: each next centre drawn with probability ∝ squared distance to the nearest centre so far. */
export function kMeansPlusPlus(x: Matrix, k: number, random: Random): Float64Array {
  const { values, rows, cols } = x;
  if (rows === 0) throw new RangeError('kMeansPlusPlus: no rows');
  const centroids = new Float64Array(k * cols);
  const first = random.int(rows);
  centroids.set(values.subarray(first * cols, first * cols + cols), 0);
  const nearest = new Float64Array(rows);
  for (let i = 0; i < rows; i++) nearest[i] = sqDist(values, i * cols, centroids, 0, cols);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < rows; i++) total += nearest[i] as number;
    let pick = rows - 1;
    if (total > 0) {
      let u = random.next() * total;
      for (let i = 0; i < rows; i++) {
        u -= nearest[i] as number;
        if (u < 0) {
          pick = i;
          break;
        }
      }
    } else pick = random.int(rows);
    centroids.set(values.subarray(pick * cols, pick * cols + cols), c * cols);
    for (let i = 0; i < rows; i++) {
      const d = sqDist(values, i * cols, centroids, c * cols, cols);
      if (d < (nearest[i] as number)) nearest[i] = d;
    }
  }
  return centroids;
}

/** Assigns every row to its nearest centroid; returns the inertia. */
export function assignToNearest(x: Matrix, centroids: Float64Array, k: number, out: Int32Array): number {
  const { values, rows, cols } = x;
  let inertia = 0;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const d = sqDist(values, i * cols, centroids, c * cols, cols);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    out[i] = best;
    inertia += bestD;
  }
  return inertia;
}

export interface KMeansOptions {
  readonly maxIterations?: number;
  /** Stop when the relative improvement of the inertia falls below this. */
  readonly tolerance?: number;
  /** Start from these centroids instead of k-means++ seeding. */
  readonly initial?: Float64Array;
}

/**
 * Lloyd's iterations from k-means++ (or given) centres until the inertia stops improving by more
 * than `tolerance` (relative) or `maxIterations`. An emptied cluster is re-seeded at the row
 * farthest from its centroid.
 */
export function kMeans(x: Matrix, k: number, random: Random, options: KMeansOptions = {}): KMeansResult {
  const { values, rows, cols } = x;
  if (!(k >= 1 && k <= rows)) throw new RangeError(`kMeans: k = ${k} needs 1 ≤ k ≤ rows (${rows})`);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const centroids = options.initial ? Float64Array.from(options.initial) : kMeansPlusPlus(x, k, random);
  const assignment = new Int32Array(rows);
  const sums = new Float64Array(k * cols);
  const counts = new Float64Array(k);
  let inertia = assignToNearest(x, centroids, k, assignment);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < rows; i++) {
      const c = assignment[i] as number;
      counts[c] = (counts[c] as number) + 1;
      for (let j = 0; j < cols; j++)
        sums[c * cols + j] = (sums[c * cols + j] as number) + (values[i * cols + j] as number);
    }
    for (let c = 0; c < k; c++) {
      const n = counts[c] as number;
      if (n > 0) for (let j = 0; j < cols; j++) centroids[c * cols + j] = (sums[c * cols + j] as number) / n;
      else {
        // Re-seed an empty cluster at the row farthest from its centroid.
        let far = 0;
        let farD = -1;
        for (let i = 0; i < rows; i++) {
          const d = sqDist(values, i * cols, centroids, (assignment[i] as number) * cols, cols);
          if (d > farD) {
            farD = d;
            far = i;
          }
        }
        centroids.set(values.subarray(far * cols, far * cols + cols), c * cols);
      }
    }
    const next = assignToNearest(x, centroids, k, assignment);
    const improved = inertia - next;
    inertia = next;
    if (improved <= tolerance * Math.max(inertia, 1e-300)) break;
  }
  return { k, centroids, assignment, inertia, iterations };
}

/**
 * Mean silhouette over the rows: s(i) = (b − a) / max(a, b), a = mean distance to the other
 * members of i's cluster, b = the smallest mean distance to another cluster's members; 0 for a
 * row alone in its cluster. O(rows²): call it on a sample for big stores ({@link sampleRows}).
 * Euclidean distances, as scikit-learn's `silhouette_score`.
 */
export function silhouette(x: Matrix, assignment: Int32Array, k: number): number {
  const { values, rows, cols } = x;
  if (rows < 2 || k < 2) return NaN;
  const sizes = new Float64Array(k);
  for (let i = 0; i < rows; i++)
    sizes[assignment[i] as number] = (sizes[assignment[i] as number] as number) + 1;
  const sum = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    sum.fill(0);
    for (let j = 0; j < rows; j++) {
      if (j === i) continue;
      const c = assignment[j] as number;
      sum[c] = (sum[c] as number) + Math.sqrt(sqDist(values, i * cols, values, j * cols, cols));
    }
    const own = assignment[i] as number;
    const ownSize = (sizes[own] as number) - 1;
    if (ownSize === 0) continue;
    const a = (sum[own] as number) / ownSize;
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === own || (sizes[c] as number) === 0) continue;
      b = Math.min(b, (sum[c] as number) / (sizes[c] as number));
    }
    if (Number.isFinite(b)) total += (b - a) / Math.max(a, b);
  }
  return total / rows;
}

/** A uniform sample of row indices without replacement (partial Fisher–Yates), ascending. */
export function sampleRows(rows: number, size: number, random: Random): Int32Array {
  if (size >= rows) return Int32Array.from({ length: rows }, (_, i) => i);
  const idx = Int32Array.from({ length: rows }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + random.int(rows - i);
    const t = idx[i] as number;
    idx[i] = idx[j] as number;
    idx[j] = t;
  }
  return idx.slice(0, size).sort();
}

/** The rows of `x` at the given indices. */
export function takeRows(x: Matrix, indices: Int32Array): Matrix {
  const out = new Float64Array(indices.length * x.cols);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r] as number;
    out.set(x.values.subarray(i * x.cols, i * x.cols + x.cols), r * x.cols);
  }
  return { values: out, rows: indices.length, cols: x.cols };
}
