/**
 * The input of the transaction models and its preparation: validation and the collapsing of
 * identical (x, tₓ, T) rows into weighted rows, so a likelihood pass costs one evaluation per
 * distinct history rather than per customer.
 */

/** Columnar RFM input (see summary.ts): frequency x, recency tₓ, age T, optional weights. */
export interface RfmInput {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  /** How many customers each row stands for (default 1 each). */
  weights?: ArrayLike<number>;
}

/** Thrown when the data cannot identify a model; the message says what is missing. */
export class InsufficientDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsufficientDataError';
  }
}

/** Distinct (x, tₓ, T) rows with their total weights. */
export interface CollapsedRfm {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  w: Float64Array;
  /** Number of distinct rows. */
  rows: number;
  /** Total weight (customers). */
  customers: number;
  /** Total weight of rows with x > 0. */
  repeatCustomers: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function hashDouble(h: number, v: number): number {
  f64[0] = v === 0 ? 0 : v; // −0 and +0 hash alike
  h = Math.imul(h ^ (u32[0] as number), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ (u32[1] as number), 0x85ebca77);
  return h ^ (h >>> 13);
}

/** Validate and collapse identical rows (open-addressing hash on the three values). */
export function collapseRfm(input: RfmInput): CollapsedRfm {
  const { frequency, recency, T } = input;
  const n = frequency.length;
  if (recency.length !== n || T.length !== n || (input.weights && input.weights.length !== n)) {
    throw new RangeError('frequency, recency, T (and weights) must have equal length');
  }
  let capacity = 16;
  while (capacity < 2 * n) capacity *= 2;
  const mask = capacity - 1;
  const slots = new Int32Array(capacity).fill(-1);
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const age = new Float64Array(n);
  const w = new Float64Array(n);
  let rows = 0;
  let customers = 0;
  let repeatCustomers = 0;
  for (let i = 0; i < n; i++) {
    const xi = frequency[i] as number;
    const ti = recency[i] as number;
    const Ti = T[i] as number;
    const wi = input.weights ? (input.weights[i] as number) : 1;
    if (!(xi >= 0) || xi !== Math.floor(xi))
      throw new RangeError(`row ${i}: frequency must be an integer ≥ 0`);
    if (!(ti >= 0) || !(Ti >= ti) || !Number.isFinite(Ti)) {
      throw new RangeError(`row ${i}: need 0 ≤ recency ≤ T (finite)`);
    }
    if (xi === 0 && ti !== 0) throw new RangeError(`row ${i}: recency must be 0 when frequency is 0`);
    if (!(wi >= 0)) throw new RangeError(`row ${i}: weights must be ≥ 0`);
    if (wi === 0) continue;
    customers += wi;
    if (xi > 0) repeatCustomers += wi;
    let slot = hashDouble(hashDouble(hashDouble(0x12345, xi), ti), Ti) & mask;
    for (;;) {
      const r = slots[slot] as number;
      if (r < 0) {
        slots[slot] = rows;
        x[rows] = xi;
        tx[rows] = ti;
        age[rows] = Ti;
        w[rows] = wi;
        rows++;
        break;
      }
      if (x[r] === xi && tx[r] === ti && age[r] === Ti) {
        w[r] = (w[r] as number) + wi;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return {
    x: x.slice(0, rows),
    tx: tx.slice(0, rows),
    T: age.slice(0, rows),
    w: w.slice(0, rows),
    rows,
    customers,
    repeatCustomers,
  };
}

/** Throw {@link InsufficientDataError} unless the data has enough customers and repeat buyers. */
export function requireIdentifiable(data: CollapsedRfm, model: string): void {
  if (data.customers < 3) {
    throw new InsufficientDataError(`${model} needs at least 3 customers to fit; got ${data.customers}`);
  }
  if (data.repeatCustomers === 0) {
    throw new InsufficientDataError(
      `${model} needs at least one repeat buyer (frequency > 0) to fit; all ${data.customers} customers bought once`,
    );
  }
}

/** Distinct values of x with the total weight of each and, per row, the index of its x. */
export interface FrequencyGroups {
  values: Float64Array;
  weight: Float64Array;
  rowGroup: Int32Array;
}

/** Group rows by their (integer) frequency. */
export function groupByFrequency(x: Float64Array, w: Float64Array): FrequencyGroups {
  const index = new Map<number, number>();
  const values: number[] = [];
  const weight: number[] = [];
  const rowGroup = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    let g = index.get(xi);
    if (g === undefined) {
      g = values.length;
      index.set(xi, g);
      values.push(xi);
      weight.push(0);
    }
    weight[g] = (weight[g] as number) + (w[i] as number);
    rowGroup[i] = g;
  }
  return { values: Float64Array.from(values), weight: Float64Array.from(weight), rowGroup };
}

/** Distinct values of a column and, per row, the index of its value (to tabulate f(value) once). */
export interface ValueIndex {
  values: Float64Array;
  index: Int32Array;
}

/** Index a column by its distinct values. */
export function indexValues(column: Float64Array): ValueIndex {
  const seen = new Map<number, number>();
  const values: number[] = [];
  const index = new Int32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column[i] as number;
    let k = seen.get(v);
    if (k === undefined) {
      k = values.length;
      seen.set(v, k);
      values.push(v);
    }
    index[i] = k;
  }
  return { values: Float64Array.from(values), index };
}
