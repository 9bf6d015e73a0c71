/** The seeded synthetic binary problem of bench/trees.ts and bench/churn-train.ts. */
import { cpus, loadavg } from 'node:os';
import type { FeatureMatrix } from '../../src/domain/models/trees/feature-matrix.js';
import { createRandom } from '../../src/domain/random.js';

export interface Dataset {
  readonly x: FeatureMatrix;
  readonly y: Float64Array;
}

/**
 * A nonlinear binary problem: logit = interactions, thresholds, a sine and a quadratic of the
 * first 10 features, the rest noise; every 7th feature has 5% NaN (missing means "low").
 */
export function synthesise(rows: number, cols: number, seed: number): Dataset {
  if (cols < 10) throw new Error('--cols must be at least 10');
  const r = createRandom(seed);
  // In shared memory, as the churn feature matrix is: the worker threads read it without a copy.
  const values = new Float32Array(new SharedArrayBuffer(4 * rows * cols));
  const y = new Float64Array(rows);
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) row[j] = j % 3 === 2 ? r.next() * 4 - 2 : r.normal();
    const logit =
      -0.8 +
      0.9 * row[0]! +
      1.2 * Math.sin(1.5 * row[1]!) +
      0.8 * row[2]! * row[3]! +
      (row[4]! > 0.5 ? 1 : -0.3) +
      0.4 * (row[5]! * row[5]! - 1) +
      (row[6]! > 0 && row[7]! > 0 ? 0.9 : 0) -
      0.5 * Math.abs(row[8]!) +
      0.3 * row[9]! +
      r.normal(0, 0.5);
    y[i] = r.chance(1 / (1 + Math.exp(-logit))) ? 1 : 0;
    for (let j = 0; j < cols; j++) values[i * cols + j] = j % 7 === 0 && r.chance(0.05) ? NaN : row[j]!;
  }
  return { x: { values, rows, cols, featureNames: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

/** The machine line both tree benches print first: cores, CPU model, node, load average. */
export function machineLine(): string {
  return `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}
