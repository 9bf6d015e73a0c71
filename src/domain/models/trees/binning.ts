import type { Random } from '../../random.js';
import type { FeatureMatrix } from './feature-matrix.js';

/** The bin that holds missing (NaN) values; value bins are 0..254. */
export const MISSING_BIN = 255;
/** The largest number of value bins a feature can have (one byte per cell, one code kept for NaN). */
export const MAX_VALUE_BINS = 255;

/**
 * Per feature, the ascending upper bounds of its bins: a value `x` falls in the first bin `b`
 * with `x <= upper[b]`; the last bound is +Infinity. Thus `bin(x) <= s` exactly when
 * `x <= upper[s]`, which lets a split found on bins be applied to raw values.
 */
export type BinBounds = readonly Float64Array[];

/**
 * Quantile bin bounds from (a seeded sample of) the rows. With at most `maxBins` distinct values
 * each value gets its own bin (bounds at the midpoints); otherwise bins are cut where the running
 * count crosses k·n/maxBins, so ties never straddle a bound.
 */
export function fitBinBounds(
  m: FeatureMatrix,
  rowSubset: Uint32Array,
  maxBins: number,
  sampleRows: number,
  random: Random,
): BinBounds {
  if (!(maxBins >= 2 && maxBins <= MAX_VALUE_BINS)) {
    throw new RangeError(`maxBins must be in [2, ${MAX_VALUE_BINS}]`);
  }
  let sample: Uint32Array;
  if (rowSubset.length <= sampleRows) {
    sample = rowSubset;
  } else {
    sample = new Uint32Array(sampleRows);
    for (let i = 0; i < sampleRows; i++) sample[i] = rowSubset[random.int(rowSubset.length)] as number;
    // Ascending rows read the matrix front to back (the bounds do not depend on the order).
    sample.sort();
  }
  const { values, cols } = m;
  // Gather the sample column by column in one row-major pass.
  const columns = Array.from({ length: cols }, () => new Float64Array(sample.length));
  const counts = new Int32Array(cols);
  for (let i = 0; i < sample.length; i++) {
    const base = (sample[i] as number) * cols;
    for (let f = 0; f < cols; f++) {
      const x = values[base + f] as number;
      if (x === x) (columns[f] as Float64Array)[counts[f]!++] = x;
    }
  }
  const bounds: Float64Array[] = [];
  for (let f = 0; f < cols; f++) {
    bounds.push(boundsFromSorted((columns[f] as Float64Array).subarray(0, counts[f]!).sort(), maxBins));
  }
  return bounds;
}

function boundsFromSorted(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return Float64Array.of(Infinity);
  // Runs of equal values end at k where sorted[k] !== sorted[k + 1]; no arrays of runs are built.
  let distinct = 1;
  for (let k = 0; k + 1 < n; k++) if (sorted[k] !== sorted[k + 1]) distinct++;
  const upper: number[] = [];
  if (distinct <= maxBins) {
    for (let k = 0; k + 1 < n; k++)
      if (sorted[k] !== sorted[k + 1]) upper.push(midpoint(sorted[k]!, sorted[k + 1]!));
  } else {
    let nextCut = n / maxBins;
    for (let k = 0; k + 1 < n; k++) {
      if (sorted[k] === sorted[k + 1]) continue;
      // k + 1 values are at or below sorted[k].
      if (k + 1 >= nextCut && upper.length < maxBins - 1) {
        upper.push(midpoint(sorted[k]!, sorted[k + 1]!));
        nextCut = ((upper.length + 1) * n) / maxBins;
      }
    }
  }
  upper.push(Infinity);
  return Float64Array.from(upper);
}

function midpoint(a: number, b: number): number {
  const mid = a + (b - a) / 2;
  // Guard against rounding up to b, which would put b in the lower bin's range edge twice.
  return mid < b ? mid : a;
}

/** The bin of one value. */
export function binOf(upper: Float64Array, x: number): number {
  if (x !== x) return MISSING_BIN;
  let lo = 0;
  let hi = upper.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= (upper[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Bin every cell of a matrix, row-major, one byte per cell, rows padded to `stride` bytes
 * (default: cols rounded up to a multiple of 4, so a row can be read four cells at a time;
 * padding cells hold bin 0), into `out` if given (zero-filled, rows × stride).
 */
export function binMatrix(
  m: FeatureMatrix,
  bounds: BinBounds,
  stride = paddedStride(m.cols),
  out: Uint8Array<ArrayBufferLike> = new Uint8Array(m.rows * stride),
): Uint8Array<ArrayBufferLike> {
  const { values, rows, cols } = m;
  if (out.length !== rows * stride) throw new RangeError('binMatrix: output of the wrong size');
  // Bounds padded to 255 entries with +Infinity: a fixed eight-step, branch-free binary search
  // counts the bounds below x, which is the bin of x (NaN compares false everywhere: fixed below).
  const padded = new Float64Array(cols * MAX_VALUE_BINS).fill(Infinity);
  for (let f = 0; f < cols; f++) padded.set(bounds[f] as Float64Array, f * MAX_VALUE_BINS);
  for (let i = 0; i < rows; i++) {
    const k = i * cols;
    const o = i * stride;
    for (let f = 0, u = 0; f < cols; f++, u += MAX_VALUE_BINS) {
      const x = values[k + f] as number;
      let b = u;
      b += 128 * +(x > padded[b + 127]!);
      b += 64 * +(x > padded[b + 63]!);
      b += 32 * +(x > padded[b + 31]!);
      b += 16 * +(x > padded[b + 15]!);
      b += 8 * +(x > padded[b + 7]!);
      b += 4 * +(x > padded[b + 3]!);
      b += 2 * +(x > padded[b + 1]!);
      b += +(x > padded[b]!);
      out[o + f] = x === x ? b - u : MISSING_BIN;
    }
  }
  return out;
}

/** Row stride of a binned matrix: cols rounded up to a multiple of 4. */
export function paddedStride(cols: number): number {
  return (cols + 3) & ~3;
}
