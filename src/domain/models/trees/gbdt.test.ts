import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { rocAuc } from '../evaluate/metrics.js';
import type { FeatureMatrix } from './feature-matrix.js';
import fc from 'fast-check';
import { packGradients, quantizationLevels, trainGradientBoosting } from './gbdt.js';
import { featureImportance, fromJSON, predict, predictRaw, sigmoid, toJSON } from './model.js';
import { leafCount, leafIndex, treeDepth } from './tree.js';

function synth(
  rows: number,
  cols: number,
  seed: number,
  label: (x: Float64Array, r: ReturnType<typeof createRandom>) => number,
  draw: (r: ReturnType<typeof createRandom>, j: number) => number = (r) => r.next() * 2 - 1,
): { x: FeatureMatrix; y: Float64Array } {
  const r = createRandom(seed);
  const values = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) row[j] = draw(r, j);
    values.set(row, i * cols);
    y[i] = label(row, r);
  }
  return { x: { values, rows, cols, featureNames: Array.from({ length: cols }, (_, j) => `x${j}`) }, y };
}

const logloss = (y: Float64Array, margin: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < y.length; i++)
    s -= y[i]! * Math.log(sigmoid(margin[i]!)) + (1 - y[i]!) * Math.log(1 - sigmoid(margin[i]!));
  return s / y.length;
};

describe('trainGradientBoosting', () => {
  it('learns XOR, which no single split and no additive model can', () => {
    const xor = (x: Float64Array): number => (x[0]! * x[1]! > 0 ? 1 : 0);
    const train = synth(3000, 4, 1, xor);
    const test = synth(1000, 4, 2, xor);
    const { model } = trainGradientBoosting(train.x, train.y, {
      objective: 'logloss',
      rounds: 60,
      maxDepth: 3,
    });
    const p = predict(model, test.x);
    let correct = 0;
    for (let i = 0; i < p.length; i++) correct += (p[i]! > 0.5 ? 1 : 0) === test.y[i] ? 1 : 0;
    // Bayes accuracy is 1; bins near 0 blur the boundary a little.
    expect(correct / p.length).toBeGreaterThan(0.97);
  });

  it('ranks an additive logistic problem close to the true model', () => {
    const logit = (x: Float64Array): number => 2 * x[0]! - 1.5 * x[1]! + (x[2]! > 0 ? 1 : -1);
    const gen = (x: Float64Array, r: ReturnType<typeof createRandom>): number =>
      r.chance(sigmoid(logit(x))) ? 1 : 0;
    const train = synth(6000, 5, 3, gen);
    const test = synth(3000, 5, 4, gen);
    const { model } = trainGradientBoosting(train.x, train.y, {
      objective: 'logloss',
      rounds: 80,
      maxDepth: 2,
    });
    const truth = Float64Array.from({ length: test.x.rows }, (_, i) =>
      logit(test.x.values.subarray(i * 5, i * 5 + 5) as Float64Array),
    );
    const oracle = rocAuc(test.y, truth);
    // The learned model should lose under 0.02 AUC to the generating model.
    expect(rocAuc(test.y, predict(model, test.x))).toBeGreaterThan(oracle - 0.02);
  });

  it('decreases the training log-loss with every block of trees and starts from the prior', () => {
    const data = synth(2000, 3, 5, (x, r) => (r.chance(sigmoid(3 * x[0]! * x[1]! + x[2]!)) ? 1 : 0));
    const { model } = trainGradientBoosting(data.x, data.y, {
      objective: 'logloss',
      rounds: 50,
      maxDepth: 3,
    });
    const mean = data.y.reduce((a, b) => a + b, 0) / data.y.length;
    expect(model.baseScore).toBeCloseTo(Math.log(mean / (1 - mean)), 12);
    const losses = [0, 10, 20, 30, 40, 50].map((k) =>
      logloss(data.y, predictRaw(model, data.x, { treeLimit: k })),
    );
    for (let k = 1; k < losses.length; k++) expect(losses[k]!).toBeLessThan(losses[k - 1]!);
    // The prior's loss is the entropy of the mean label.
    expect(losses[0]!).toBeCloseTo(-(mean * Math.log(mean) + (1 - mean) * Math.log(1 - mean)), 10);
  });

  it('recovers a known smooth function with squared error', () => {
    const f = (x: Float64Array): number => x[0]! * x[0]! + Math.sin(3 * x[1]!) + 0.5 * x[2]!;
    const train = synth(5000, 4, 6, (x, r) => f(x) + r.normal(0, 0.1));
    const test = synth(1000, 4, 7, (x) => f(x));
    const { model } = trainGradientBoosting(train.x, train.y, {
      objective: 'squared-error',
      rounds: 300,
      maxDepth: 4,
      learningRate: 0.1,
    });
    expect(model.baseScore).toBeCloseTo(train.y.reduce((a, b) => a + b, 0) / train.y.length, 12);
    const p = predict(model, test.x);
    let se = 0;
    for (let i = 0; i < p.length; i++) se += (p[i]! - test.y[i]!) ** 2;
    // f varies with sd ≈ 0.8 over the cube; a good fit is within 0.1 RMSE of the noiseless truth.
    expect(Math.sqrt(se / p.length)).toBeLessThan(0.1);
  });

  it('gives the same model for the same seed, even with row and column sampling', () => {
    const data = synth(1500, 6, 8, (x, r) => (r.chance(sigmoid(2 * x[0]! + x[3]!)) ? 1 : 0));
    const options = {
      objective: 'logloss',
      rounds: 20,
      subsample: 0.7,
      colsampleByTree: 0.5,
      validationFraction: 0.2,
    } as const;
    const a = trainGradientBoosting(data.x, data.y, { ...options, seed: 11 });
    const b = trainGradientBoosting(data.x, data.y, { ...options, seed: 11 });
    const c = trainGradientBoosting(data.x, data.y, { ...options, seed: 12 });
    expect(JSON.stringify(toJSON(a.model))).toBe(JSON.stringify(toJSON(b.model)));
    expect(JSON.stringify(toJSON(a.model))).not.toBe(JSON.stringify(toJSON(c.model)));
  });

  it('stops early when the validation loss stops improving', () => {
    // Labels are pure noise: after the first few trees the model only overfits.
    const data = synth(2000, 5, 9, (_x, r) => (r.chance(0.3) ? 1 : 0));
    const res = trainGradientBoosting(data.x, data.y, {
      objective: 'logloss',
      rounds: 500,
      learningRate: 0.3,
      validationFraction: 0.3,
      earlyStoppingRounds: 10,
    });
    expect(res.stoppedEarly).toBe(true);
    expect(res.model.trees.length).toBe(res.bestRounds);
    expect(res.validationLoss.length).toBe(res.bestRounds + 10);
    const best = Math.min(...res.validationLoss);
    expect(res.validationLoss[res.bestRounds - 1]).toBe(best);
  });

  it('uses an explicit validation set and keeps every tree while it still improves', () => {
    const gen = (x: Float64Array): number => x[0]! + x[1]!;
    const train = synth(1000, 2, 10, gen);
    const valid = synth(300, 2, 11, gen);
    const res = trainGradientBoosting(train.x, train.y, {
      objective: 'squared-error',
      rounds: 15,
      validation: { data: valid.x, labels: valid.y },
    });
    expect(res.stoppedEarly).toBe(false);
    expect(res.bestRounds).toBe(15);
    // Validation RMSE is recomputed independently from predictions.
    const p = predict(res.model, valid.x);
    let se = 0;
    for (let i = 0; i < p.length; i++) se += (p[i]! - valid.y[i]!) ** 2;
    expect(res.validationLoss[14]).toBeCloseTo(Math.sqrt(se / p.length), 10);
  });

  it('learns where missing values should go', () => {
    // Missing x0 means "churned" (y = 1); present x0 predicts y by its sign.
    const data = synth(
      3000,
      2,
      12,
      (x) => (Number.isNaN(x[0]!) || x[0]! > 0.5 ? 1 : 0),
      (r, j) => (j === 0 && r.chance(0.2) ? NaN : r.next() * 2 - 1),
    );
    const { model } = trainGradientBoosting(data.x, data.y, {
      objective: 'logloss',
      rounds: 40,
      maxDepth: 2,
    });
    const probe: FeatureMatrix = {
      values: Float64Array.of(NaN, 0, -0.9, 0, 0.9, 0),
      rows: 3,
      cols: 2,
      featureNames: ['x0', 'x1'],
    };
    const [missing, low, high] = predict(model, probe);
    expect(missing!).toBeGreaterThan(0.9);
    expect(low!).toBeLessThan(0.1);
    expect(high!).toBeGreaterThan(0.9);
  });

  it('treats a row weight of 2 like the row twice', () => {
    // Integer features keep the bins identical for both data sets.
    const base = synth(
      400,
      3,
      13,
      (x, r) => (r.chance(sigmoid(x[0]! - x[1]!)) ? 1 : 0),
      (r) => r.int(20) - 10,
    );
    const weights = Float64Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 2 : 1));
    const dupRows: number[] = [];
    for (let i = 0; i < 400; i++) for (let k = 0; k < weights[i]!; k++) dupRows.push(i);
    const dup: FeatureMatrix = {
      values: Float64Array.from(dupRows.flatMap((i) => Array.from(base.x.values.subarray(i * 3, i * 3 + 3)))),
      rows: dupRows.length,
      cols: 3,
      featureNames: base.x.featureNames,
    };
    const dupY = Float64Array.from(dupRows, (i) => base.y[i]!);
    const opts = { objective: 'logloss', rounds: 10, maxDepth: 3 } as const;
    const a = predictRaw(trainGradientBoosting(base.x, base.y, { ...opts, weights }).model, base.x);
    const b = predictRaw(trainGradientBoosting(dup, dupY, opts).model, base.x);
    for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 9);
  });

  it('respects maxDepth, maxLeaves and minChildWeight', () => {
    const data = synth(2000, 4, 14, (x) => Math.sin(5 * x[0]!) + x[1]! * x[2]!);
    const deep = trainGradientBoosting(data.x, data.y, {
      objective: 'squared-error',
      rounds: 5,
      maxDepth: 3,
    }).model;
    for (const t of deep.trees) expect(treeDepth(t)).toBeLessThanOrEqual(3);
    const leafy = trainGradientBoosting(data.x, data.y, {
      objective: 'squared-error',
      rounds: 5,
      maxDepth: Infinity,
      maxLeaves: 7,
    }).model;
    for (const t of leafy.trees) expect(leafCount(t)).toBe(7);
    const heavy = trainGradientBoosting(data.x, data.y, {
      objective: 'squared-error',
      rounds: 5,
      minChildWeight: 300,
    }).model;
    for (const t of heavy.trees)
      for (let n = 0; n < t.cover.length; n++) expect(t.cover[n]!).toBeGreaterThanOrEqual(300);
  });

  it('ranks the informative features first by gain', () => {
    const data = synth(3000, 6, 15, (x, r) => (r.chance(sigmoid(3 * x[4]! - 2 * x[1]!)) ? 1 : 0));
    const { model } = trainGradientBoosting(data.x, data.y, {
      objective: 'logloss',
      rounds: 30,
      maxDepth: 3,
    });
    const top = featureImportance(model).map((f) => f.feature);
    expect(top.slice(0, 2)).toEqual(['x4', 'x1']);
  });

  it('round-trips through JSON with identical predictions', () => {
    const data = synth(
      1500,
      3,
      16,
      (x, r) => (Number.isNaN(x[2]!) ? 1 : r.chance(sigmoid(2 * x[0]!)) ? 1 : 0),
      (r, j) => (j === 2 && r.chance(0.3) ? NaN : r.next()),
    );
    const { model } = trainGradientBoosting(data.x, data.y, {
      objective: 'logloss',
      rounds: 15,
      maxDepth: 3,
    });
    const restored = fromJSON(JSON.parse(JSON.stringify(toJSON(model))));
    expect(Array.from(predictRaw(restored, data.x))).toEqual(Array.from(predictRaw(model, data.x)));
    expect(() => fromJSON({ format: 'patron-gbdt', version: 2 })).toThrow(TypeError);
  });

  it('rejects labels outside [0, 1] for log-loss', () => {
    const x: FeatureMatrix = { values: Float64Array.of(1, 2), rows: 2, cols: 1, featureNames: ['a'] };
    expect(() => trainGradientBoosting(x, Float64Array.of(0, 2), { objective: 'logloss' })).toThrow(
      RangeError,
    );
  });

  it('with gradient-based one-side sampling ranks as well as with every row, and is seeded', () => {
    const logit = (x: Float64Array): number => 2 * x[0]! * x[1]! + 1.5 * x[2]! - (x[3]! > 0.3 ? 1 : 0);
    const gen = (x: Float64Array, r: ReturnType<typeof createRandom>): number =>
      r.chance(sigmoid(logit(x))) ? 1 : 0;
    const train = synth(20000, 6, 14, gen);
    const test = synth(5000, 6, 15, gen);
    const base = { objective: 'logloss', rounds: 60, maxDepth: 4, learningRate: 0.2 } as const;
    const full = trainGradientBoosting(train.x, train.y, base);
    const goss = { topRate: 0.2, otherRate: 0.1 };
    const a = trainGradientBoosting(train.x, train.y, { ...base, goss, seed: 3 });
    const b = trainGradientBoosting(train.x, train.y, { ...base, goss, seed: 3 });
    expect(JSON.stringify(toJSON(a.model))).toBe(JSON.stringify(toJSON(b.model)));
    // The first ⌈1/η⌉ = 5 trees see every row, so they equal the full model's.
    expect(JSON.stringify(toJSON(a.model).trees.slice(0, 5))).toBe(
      JSON.stringify(toJSON(full.model).trees.slice(0, 5)),
    );
    expect(JSON.stringify(toJSON(a.model).trees[5])).not.toBe(JSON.stringify(toJSON(full.model).trees[5]));
    const aucFull = rocAuc(test.y, predict(full.model, test.x));
    const aucGoss = rocAuc(test.y, predict(a.model, test.x));
    expect(aucGoss).toBeGreaterThan(aucFull - 0.01);
    expect(() => trainGradientBoosting(train.x, train.y, { ...base, goss, subsample: 0.5 })).toThrow(
      /goss and subsample/,
    );
    expect(() =>
      trainGradientBoosting(train.x, train.y, { ...base, goss: { topRate: 0.7, otherRate: 0.5 } }),
    ).toThrow(/goss rates/);
  });

  it('with quantised gradients, ranks as with exact ones and gives each leaf its exact value and cover', () => {
    const logit = (x: Float64Array): number => 2 * x[0]! * x[1]! - 1.5 * x[2]! + (x[3]! > 0.3 ? 1 : -1);
    const gen = (x: Float64Array, r: ReturnType<typeof createRandom>): number =>
      r.chance(sigmoid(logit(x))) ? 1 : 0;
    const train = synth(8000, 6, 11, gen);
    const test = synth(4000, 6, 12, gen);
    const base = { objective: 'logloss' as const, rounds: 60, maxDepth: 4, seed: 5 };
    const exact = trainGradientBoosting(train.x, train.y, base).model;
    const quantized = trainGradientBoosting(train.x, train.y, { ...base, quantizedGradients: true }).model;
    const auc = (m: typeof exact): number => rocAuc(test.y, predict(m, test.x));
    expect(Math.abs(auc(quantized) - auc(exact))).toBeLessThan(0.01);
    expect(toJSON(quantized)).not.toEqual(toJSON(exact));

    // One tree: every node's value and cover are the exact sums over the rows it holds.
    const one = trainGradientBoosting(train.x, train.y, {
      ...base,
      rounds: 1,
      quantizedGradients: true,
    }).model;
    const tree = one.trees[0]!;
    const p0 = sigmoid(one.baseScore);
    const g = new Float64Array(tree.feature.length);
    const h = new Float64Array(tree.feature.length);
    for (let i = 0; i < train.x.rows; i++) {
      const leaf = leafIndex(tree, train.x.values, i * train.x.cols);
      g[leaf]! += p0 - train.y[i]!;
      h[leaf]! += p0 * (1 - p0);
    }
    for (let node = tree.feature.length - 1; node >= 0; node--) {
      if (tree.feature[node]! >= 0) {
        g[node] = g[tree.left[node]!]! + g[tree.right[node]!]!;
        h[node] = h[tree.left[node]!]! + h[tree.right[node]!]!;
      }
      expect(tree.cover[node]).toBeCloseTo(h[node]!, 9);
      expect(tree.value[node]).toBeCloseTo((-0.1 * g[node]!) / (h[node]! + 1), 12);
    }
    expect(leafCount(tree)).toBeGreaterThan(4);
  });

  it('packs quantised gradients so that any sum of rows decodes exactly to the sums of their levels', () => {
    expect(quantizationLevels(1000)).toBe(32_767);
    expect(quantizationLevels(192_000)).toBe(349);
    expect(quantizationLevels(640_000)).toBe(104);
    expect(quantizationLevels(4_000_000)).toBe(16);
    expect(quantizationLevels(5_000_000)).toBe(0);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.double({ min: -4, max: 4, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.integer({ min: 15, max: 32_767 }),
        fc.integer(),
        (rowsGh, levels, salt) => {
          const n = rowsGh.length;
          const gh = Float64Array.from(rowsGh.flat());
          const packed = new Float64Array(n);
          const rows = Uint32Array.from({ length: n }, (_, i) => i);
          const scales = packGradients(rows, gh, packed, levels, salt);
          let sum = 0;
          let gSum = 0;
          let hSum = 0;
          for (let i = 0; i < n; i++) {
            const gq = Math.floor(packed[i]! / 2 ** 26);
            const hq = packed[i]! - gq * 2 ** 26;
            // Each level is the value rounded down or up, within [−L, L] and [0, L].
            expect(Math.abs(gq * scales.g - gh[2 * i]!)).toBeLessThanOrEqual(scales.g * (1 + 1e-9));
            expect(Math.abs(hq * scales.h - gh[2 * i + 1]!)).toBeLessThanOrEqual(scales.h * (1 + 1e-9));
            expect(Math.abs(gq)).toBeLessThanOrEqual(levels);
            expect(hq >= 0 && hq <= levels).toBe(true);
            sum += packed[i]!;
            gSum += gq;
            hSum += hq;
          }
          expect(Math.floor(sum / 2 ** 26)).toBe(gSum);
          expect(sum - gSum * 2 ** 26).toBe(hSum);
        },
      ),
    );
  });
});
