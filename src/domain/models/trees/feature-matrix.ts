/**
 * A dense feature matrix, row-major: the value of feature `j` for row `i` is
 * `values[i * cols + j]`. NaN means "missing".
 */
export interface FeatureMatrix {
  readonly values: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly featureNames: readonly string[];
}

/** Build a matrix from row arrays (convenient for tests and small data). */
export function matrixFromRows(
  rows: readonly (readonly number[])[],
  featureNames?: readonly string[],
): FeatureMatrix {
  const cols = rows[0]?.length ?? featureNames?.length ?? 0;
  const values = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`row ${i} has ${row.length} values, expected ${cols}`);
    values.set(row, i * cols);
  });
  return {
    values,
    rows: rows.length,
    cols,
    featureNames: featureNames ?? Array.from({ length: cols }, (_, j) => `f${j}`),
  };
}

/** Check the shape invariants of a matrix; throws on a broken one (a caller bug). */
export function assertMatrix(m: FeatureMatrix): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 1) {
    throw new RangeError(`bad matrix shape ${m.rows}×${m.cols}`);
  }
  if (m.values.length !== m.rows * m.cols) {
    throw new RangeError(`matrix has ${m.values.length} values, expected ${m.rows}×${m.cols}`);
  }
  if (m.featureNames.length !== m.cols) {
    throw new RangeError(`matrix has ${m.featureNames.length} feature names for ${m.cols} columns`);
  }
}
