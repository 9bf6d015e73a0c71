import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../../random.js';
import type { FeatureMatrix } from './feature-matrix.js';
import { trainGradientBoosting } from './gbdt.js';
import type { GradientBoostedModel } from './model.js';
import { predictRaw } from './model.js';
import type { RegressionTree } from './tree.js';
import { explainAllFast, FastTreeShapExplainer } from './fast-tree-shap.js';
import { explainAll, explainRow, TreeShapExplainer, treeExpectedValue } from './tree-shap.js';

/**
 * The definition, computed the slow way: v(S) = E[f(x) | x_S], where a split on a feature in S
 * follows x and a split on any other feature averages both children weighted by cover; then
 * φ_i = Σ_{S ⊆ N∖{i}} |S|!(M−|S|−1)!/M! · (v(S ∪ {i}) − v(S)), over all 2^M subsets.
 */
function bruteForceShap(model: GradientBoostedModel, x: ArrayLike<number>): { bias: number; phi: number[] } {
  const m = model.featureNames.length;
  const condExp = (tree: RegressionTree, node: number, inS: (f: number) => boolean): number => {
    const f = tree.feature[node]!;
    if (f < 0) return tree.value[node]!;
    const l = tree.left[node]!;
    const r = tree.right[node]!;
    if (inS(f)) {
      const v = x[f]!;
      const goLeft = Number.isNaN(v) ? tree.defaultLeft[node] === 1 : v <= tree.threshold[node]!;
      return condExp(tree, goLeft ? l : r, inS);
    }
    return (
      (tree.cover[l]! * condExp(tree, l, inS) + tree.cover[r]! * condExp(tree, r, inS)) / tree.cover[node]!
    );
  };
  const v = (mask: number): number =>
    model.trees.reduce((s, t) => s + condExp(t, 0, (f) => ((mask >> f) & 1) === 1), model.baseScore);
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array<number>(m).fill(0);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if ((mask >> i) & 1) continue;
      let size = 0;
      for (let j = 0; j < m; j++) size += (mask >> j) & 1;
      const weight = (fact(size) * fact(m - size - 1)) / fact(m);
      phi[i]! += weight * (v(mask | (1 << i)) - v(mask));
    }
  }
  return { bias: v(0), phi };
}

/** A random tree over `m` features in which features may repeat along a path. */
function randomTree(r: Random, m: number, depth: number): RegressionTree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const build = (d: number, c: number): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    defaultLeft.push(r.chance(0.5) ? 1 : 0);
    left.push(-1);
    right.push(-1);
    value.push(r.normal());
    cover.push(c);
    if (d < depth && r.chance(0.85)) {
      feature[id] = r.int(m);
      threshold[id] = r.next() * 2 - 1;
      const share = 0.1 + 0.8 * r.next();
      left[id] = build(d + 1, c * share);
      right[id] = build(d + 1, c * (1 - share));
    }
    return id;
  };
  build(0, 100);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    defaultLeft: Uint8Array.from(defaultLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
    gain: new Float64Array(feature.length),
  };
}

const row = (values: number[]): FeatureMatrix => ({
  values: Float64Array.from(values),
  rows: 1,
  cols: values.length,
  featureNames: values.map((_, j) => `f${j}`),
});

describe('TreeSHAP', () => {
  it('matches a hand-computed one-split tree', () => {
    // x0 <= 0 → −1 (cover 3), else +1 (cover 1). E[f] = (−3 + 1)/4 = −0.5.
    // For x0 = −2: φ0 = f(x) − E[f] = −1 − (−0.5) = −0.5; x1 is never used so φ1 = 0.
    const tree: RegressionTree = {
      feature: Int32Array.of(0, -1, -1),
      threshold: Float64Array.of(0, 0, 0),
      defaultLeft: Uint8Array.of(1, 0, 0),
      left: Int32Array.of(1, -1, -1),
      right: Int32Array.of(2, -1, -1),
      value: Float64Array.of(0, -1, 1),
      cover: Float64Array.of(4, 3, 1),
      gain: new Float64Array(3),
    };
    const model: GradientBoostedModel = {
      objective: 'squared-error',
      baseScore: 10,
      featureNames: ['f0', 'f1'],
      trees: [tree],
    };
    expect(treeExpectedValue(tree)).toBeCloseTo(-0.5, 15);
    const e = explainRow(model, row([-2, 7]), 0);
    expect(e.bias).toBeCloseTo(9.5, 15);
    expect(Array.from(e.contributions)).toEqual([-0.5, 0]);
  });

  it('splits an interaction equally between its two features', () => {
    // f = 1 when x0 > 0 and x1 > 0, else 0; covers are equal (uniform quadrants).
    // At x = (1, 1): v(∅) = 1/4, v({0}) = v({1}) = 1/2, v({0,1}) = 1, so φ0 = φ1 = 3/8.
    const tree: RegressionTree = {
      feature: Int32Array.of(0, -1, 1, -1, -1),
      threshold: Float64Array.of(0, 0, 0, 0, 0),
      defaultLeft: new Uint8Array(5),
      left: Int32Array.of(1, -1, 3, -1, -1),
      right: Int32Array.of(2, -1, 4, -1, -1),
      value: Float64Array.of(0, 0, 0, 0, 1),
      cover: Float64Array.of(4, 2, 2, 1, 1),
      gain: new Float64Array(5),
    };
    const model: GradientBoostedModel = {
      objective: 'squared-error',
      baseScore: 0,
      featureNames: ['a', 'b'],
      trees: [tree],
    };
    const e = explainRow(model, row([1, 1]), 0);
    expect(e.bias).toBeCloseTo(0.25, 15);
    expect(e.contributions[0]).toBeCloseTo(0.375, 14);
    expect(e.contributions[1]).toBeCloseTo(0.375, 14);
  });

  it('equals brute-force Shapley values on random trees with repeated features and missing values', () => {
    const r = createRandom(21);
    for (let trial = 0; trial < 40; trial++) {
      const m = 1 + r.int(6);
      const trees = Array.from({ length: 1 + r.int(3) }, () => randomTree(r, m, 1 + r.int(6)));
      const model: GradientBoostedModel = {
        objective: 'logloss',
        baseScore: r.normal(),
        featureNames: Array.from({ length: m }, (_, j) => `f${j}`),
        trees,
      };
      const x = Array.from({ length: m }, () => (r.chance(0.15) ? NaN : r.next() * 2 - 1));
      const expected = bruteForceShap(model, x);
      const got = explainRow(model, row(x), 0);
      expect(got.bias).toBeCloseTo(expected.bias, 10);
      for (let j = 0; j < m; j++) expect(got.contributions[j]!).toBeCloseTo(expected.phi[j]!, 10);
    }
  });

  it('equals brute-force Shapley values on trained models with hessian covers', () => {
    const r = createRandom(22);
    const rows = 600;
    const m = 5;
    const values = new Float64Array(rows * m);
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < m; j++) values[i * m + j] = r.chance(0.05) ? NaN : r.normal();
      const a = values[i * m]!;
      const b = values[i * m + 1]!;
      y[i] = r.chance(1 / (1 + Math.exp(-(2 * (a > 0 ? 1 : -1) * (b || 0) + (values[i * m + 2]! || 0)))))
        ? 1
        : 0;
    }
    const data: FeatureMatrix = { values, rows, cols: m, featureNames: ['a', 'b', 'c', 'd', 'e'] };
    const { model } = trainGradientBoosting(data, y, { objective: 'logloss', rounds: 8, maxDepth: 5 });
    for (let i = 0; i < 15; i++) {
      const x = Array.from(values.subarray(i * m, (i + 1) * m));
      const expected = bruteForceShap(model, x);
      const got = explainRow(model, data, i);
      expect(got.bias).toBeCloseTo(expected.bias, 10);
      for (let j = 0; j < m; j++) expect(got.contributions[j]!).toBeCloseTo(expected.phi[j]!, 10);
    }
  });

  it('adds up to the raw margin for any row (property)', () => {
    const r = createRandom(23);
    const rows = 500;
    const m = 4;
    const values = Float64Array.from({ length: rows * m }, () => (r.chance(0.1) ? NaN : r.normal()));
    const y = Float64Array.from(
      { length: rows },
      (_, i) => (values[i * m]! || 0) * 2 + (values[i * m + 3]! > 0 ? 1 : 0),
    );
    const data: FeatureMatrix = { values, rows, cols: m, featureNames: ['a', 'b', 'c', 'd'] };
    const { model } = trainGradientBoosting(data, y, { objective: 'squared-error', rounds: 30, maxDepth: 4 });
    const cell = fc.oneof(fc.constant(NaN), fc.double({ min: -5, max: 5, noNaN: true }));
    fc.assert(
      fc.property(fc.array(cell, { minLength: m, maxLength: m }), (x) => {
        const probe = row(x);
        const e = explainRow(model, probe, 0);
        const total = e.contributions.reduce((s, v) => s + v, e.bias);
        expect(total).toBeCloseTo(predictRaw(model, probe)[0]!, 9);
      }),
      { numRuns: 200 },
    );
    const all = explainAll(model, data);
    const raw = predictRaw(model, data);
    for (let i = 0; i < rows; i++) {
      let total = all.bias;
      for (let j = 0; j < m; j++) total += all.contributions[i * m + j]!;
      expect(total).toBeCloseTo(raw[i]!, 9);
    }
  });
});

/** A random model over `m` features: 1–`maxTrees` random trees of depth ≤ `maxDepth`. */
function randomModel(r: Random, m: number, maxTrees: number, maxDepth: number): GradientBoostedModel {
  return {
    objective: 'logloss',
    baseScore: r.normal(),
    featureNames: Array.from({ length: m }, (_, j) => `f${j}`),
    trees: Array.from({ length: 1 + r.int(maxTrees) }, () => randomTree(r, m, 1 + r.int(maxDepth))),
  };
}

const randomRow = (r: Random, m: number): number[] =>
  Array.from({ length: m }, () => (r.chance(0.15) ? NaN : r.next() * 2 - 1));

describe('Fast TreeSHAP (precomputed subset tables)', () => {
  it('equals exact TreeSHAP to 1e-9 on random trees, random data and every table size', () => {
    const r = createRandom(31);
    for (let trial = 0; trial < 60; trial++) {
      const m = 1 + r.int(12);
      const model = randomModel(r, m, 6, 9);
      const exact = new TreeShapExplainer(model);
      // Small bit limits force many small blocks and the exact fallback for deep trees.
      const fast = [1, 3, 8].map((maxBits) => new FastTreeShapExplainer(model, { maxBits }));
      for (let k = 0; k < 10; k++) {
        const x = randomRow(r, m);
        const want = exact.explainRow(x, 0);
        for (const ex of fast) {
          const got = ex.explainRow(x, 0);
          expect(Math.abs(got.bias - want.bias)).toBeLessThan(1e-9);
          for (let j = 0; j < m; j++)
            expect(Math.abs(got.contributions[j]! - want.contributions[j]!)).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('equals brute-force Shapley values on random trees with repeated features and missing values', () => {
    const r = createRandom(32);
    for (let trial = 0; trial < 40; trial++) {
      const m = 1 + r.int(6);
      const model = randomModel(r, m, 3, 6);
      const x = randomRow(r, m);
      const expected = bruteForceShap(model, x);
      const got = new FastTreeShapExplainer(model).explainRow(x, 0);
      expect(got.bias).toBeCloseTo(expected.bias, 10);
      for (let j = 0; j < m; j++) expect(got.contributions[j]!).toBeCloseTo(expected.phi[j]!, 10);
    }
  });

  it('equals exact TreeSHAP on a trained depth-4 model for every training row', () => {
    const r = createRandom(33);
    const rows = 800;
    const m = 6;
    const values = Float64Array.from({ length: rows * m }, () => (r.chance(0.05) ? NaN : r.normal()));
    const y = Float64Array.from({ length: rows }, (_, i) =>
      r.chance(1 / (1 + Math.exp(-((values[i * m]! || 0) * (values[i * m + 1]! > 0 ? 2 : -1))))) ? 1 : 0,
    );
    const data: FeatureMatrix = { values, rows, cols: m, featureNames: ['a', 'b', 'c', 'd', 'e', 'f'] };
    const { model } = trainGradientBoosting(data, y, {
      objective: 'logloss',
      rounds: 40,
      maxDepth: 4,
      subsample: 0.8,
      colsampleByTree: 0.8,
    });
    const exact = explainAll(model, data);
    const fast = explainAllFast(model, data);
    expect(Math.abs(fast.bias - exact.bias)).toBeLessThan(1e-9);
    for (let k = 0; k < exact.contributions.length; k++)
      expect(Math.abs(fast.contributions[k]! - exact.contributions[k]!)).toBeLessThan(1e-9);
  });

  it('gives the margin of predictRaw bit for bit beside the contributions (property)', () => {
    const cell = fc.oneof(fc.constant(NaN), fc.double({ min: -1.5, max: 1.5, noNaN: true }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(cell, { minLength: 8 * 5, maxLength: 8 * 5 }),
        (seed, rows, cells) => {
          // Depths up to 7 with at most 4 bits per block: some trees take the exact algorithm.
          const model = randomModel(createRandom(seed), 8, 6, 7);
          const values = Float64Array.from({ length: rows * 8 }, (_, k) => cells[k % cells.length]!);
          const data: FeatureMatrix = { values, rows, cols: 8, featureNames: model.featureNames };
          for (const maxBits of [4, 6]) {
            const ex = new FastTreeShapExplainer(model, { maxBits });
            const margins = new Float64Array(rows).fill(123);
            const out = new Float64Array(rows * 8);
            ex.explainRows(values, 0, rows, out, margins);
            expect(Array.from(margins)).toEqual(Array.from(predictRaw(model, data)));
            const plain = new Float64Array(rows * 8);
            ex.explainRows(values, 0, rows, plain);
            expect(Array.from(out)).toEqual(Array.from(plain));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('adds up to the raw margin: expected value + Σ contributions = margin (property)', () => {
    const cell = fc.oneof(fc.constant(NaN), fc.double({ min: -1.5, max: 1.5, noNaN: true }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(cell, { minLength: 8, maxLength: 8 }),
        (seed, x) => {
          const model = randomModel(createRandom(seed), 8, 5, 7);
          const e = new FastTreeShapExplainer(model).explainRow(x, 0);
          const total = e.contributions.reduce((s, v) => s + v, e.bias);
          expect(Math.abs(total - predictRaw(model, row(x))[0]!)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives a single-leaf tree no contributions and adds into a given vector', () => {
    const leaf: RegressionTree = {
      feature: Int32Array.of(-1),
      threshold: Float64Array.of(0),
      defaultLeft: Uint8Array.of(0),
      left: Int32Array.of(-1),
      right: Int32Array.of(-1),
      value: Float64Array.of(0.25),
      cover: Float64Array.of(10),
      gain: Float64Array.of(0),
    };
    const model: GradientBoostedModel = {
      objective: 'logloss',
      baseScore: 1,
      featureNames: ['a'],
      trees: [leaf],
    };
    const phi = Float64Array.of(2);
    const e = new FastTreeShapExplainer(model).explainRow([3], 0, phi);
    expect(e.bias).toBe(1.25);
    expect(e.contributions).toBe(phi);
    expect(Array.from(phi)).toEqual([2]);
  });
});
