import { describe, expect, it } from 'vitest';
import { churnModelToJSON, trainChurnModel } from '../domain/models/churn/model.js';
import type { FeatureMatrix } from '../domain/models/trees/feature-matrix.js';
import { createRandom } from '../domain/random.js';
import { trainChurnModelOnCores } from './churn-training.js';

function problem(rows: number, seed: number, shared: boolean): { x: FeatureMatrix; y: Float64Array } {
  const r = createRandom(seed);
  const cols = 9;
  const values = new Float64Array(
    shared ? new SharedArrayBuffer(8 * rows * cols) : new ArrayBuffer(8 * rows * cols),
  );
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) values[i * cols + j] = j % 4 === 0 && r.chance(0.05) ? NaN : r.normal();
    const a = values[i * cols + 1]!;
    const b = values[i * cols + 2]!;
    y[i] = r.chance(1 / (1 + Math.exp(-(a - 0.5 * b * b + (values[i * cols + 3]! > 0.3 ? 1 : 0))))) ? 1 : 0;
  }
  return { x: { values, rows, cols, featureNames: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

describe('trainChurnModelOnCores', () => {
  const options = { windowDays: 90, seed: 5, boosting: { rounds: 25 } };

  it('trains the model trainChurnModel trains, bit for bit, with the baseline on its own thread', async () => {
    for (const shared of [true, false]) {
      const { x, y } = problem(6000, 3, shared);
      const one = trainChurnModel(x, y, options);
      const cores = await trainChurnModelOnCores(x, y, options, 2);
      expect(cores.trees).toBe(one.trees);
      expect(cores.rows).toEqual(one.rows);
      expect(churnModelToJSON(cores.model)).toEqual(churnModelToJSON(one.model));
      expect(cores.model.baseline.converged).toBe(true);
    }
  });

  it('is trainChurnModel itself on one thread', async () => {
    const { x, y } = problem(800, 4, false);
    const one = trainChurnModel(x, y, options);
    expect(churnModelToJSON((await trainChurnModelOnCores(x, y, options, 1)).model)).toEqual(
      churnModelToJSON(one.model),
    );
  });

  it('fails as trainChurnModel does, and stops its threads', async () => {
    const { x, y } = problem(12, 6, true);
    await expect(trainChurnModelOnCores(x, y, options, 2)).rejects.toThrow(/too few rows/);
  });
});
