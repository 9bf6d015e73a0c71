import type { FeatureMatrix } from './feature-matrix.js';
import { assertMatrix } from './feature-matrix.js';
import type { RegressionTree } from './tree.js';
import { treeOutput } from './tree.js';

/** `logloss`: binary classification, the margin is log-odds. `squared-error`: regression. */
export type Objective = 'logloss' | 'squared-error';

/** A trained gradient-boosted ensemble: margin = baseScore + Σ tree outputs. */
export interface GradientBoostedModel {
  readonly objective: Objective;
  /** The prior margin: log-odds of the (weighted) mean label for logloss, the mean for squared error. */
  readonly baseScore: number;
  readonly featureNames: readonly string[];
  readonly trees: readonly RegressionTree[];
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Raw margin for every row (log-odds for logloss). `treeLimit` uses only the first k trees. */
export function predictRaw(
  model: GradientBoostedModel,
  data: FeatureMatrix,
  options: { treeLimit?: number } = {},
): Float64Array {
  assertMatrix(data);
  if (data.cols !== model.featureNames.length) {
    throw new RangeError(`model has ${model.featureNames.length} features, matrix has ${data.cols}`);
  }
  const limit = Math.min(options.treeLimit ?? model.trees.length, model.trees.length);
  const out = new Float64Array(data.rows).fill(model.baseScore);
  const { values, cols } = data;
  for (let t = 0; t < limit; t++) {
    const tree = model.trees[t] as RegressionTree;
    for (let i = 0; i < data.rows; i++) out[i]! += treeOutput(tree, values, i * cols);
  }
  return out;
}

/** Predictions on the label's scale: probabilities for logloss, values for squared error. */
export function predict(
  model: GradientBoostedModel,
  data: FeatureMatrix,
  options: { treeLimit?: number } = {},
): Float64Array {
  const raw = predictRaw(model, data, options);
  if (model.objective === 'logloss') for (let i = 0; i < raw.length; i++) raw[i] = sigmoid(raw[i]!);
  return raw;
}

export interface FeatureImportance {
  readonly feature: string;
  /** Total loss reduction of the splits on this feature. */
  readonly gain: number;
  /** Number of splits on this feature. */
  readonly splits: number;
}

/** Gain importance (XGBoost's `total_gain`), most important first. */
export function featureImportance(model: GradientBoostedModel): FeatureImportance[] {
  const gain = new Float64Array(model.featureNames.length);
  const splits = new Float64Array(model.featureNames.length);
  for (const tree of model.trees) {
    for (let n = 0; n < tree.feature.length; n++) {
      const f = tree.feature[n] as number;
      if (f >= 0) {
        gain[f]! += tree.gain[n] as number;
        splits[f]! += 1;
      }
    }
  }
  return model.featureNames
    .map((feature, j) => ({ feature, gain: gain[j] as number, splits: splits[j] as number }))
    .sort((a, b) => b.gain - a.gain || a.feature.localeCompare(b.feature));
}

/** The JSON form of a tree (thresholds of +Infinity, splits "present vs missing", become null). */
export interface RegressionTreeJson {
  feature: number[];
  threshold: (number | null)[];
  defaultLeft: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
  gain: number[];
}

export interface GradientBoostedModelJson {
  format: 'patron-gbdt';
  version: 1;
  objective: Objective;
  baseScore: number;
  featureNames: string[];
  trees: RegressionTreeJson[];
}

/** A plain JSON-serialisable object (store it with `JSON.stringify`). */
export function toJSON(model: GradientBoostedModel): GradientBoostedModelJson {
  return {
    format: 'patron-gbdt',
    version: 1,
    objective: model.objective,
    baseScore: model.baseScore,
    featureNames: [...model.featureNames],
    trees: model.trees.map((t) => ({
      feature: Array.from(t.feature),
      threshold: Array.from(t.threshold, (x) => (Number.isFinite(x) ? x : null)),
      defaultLeft: Array.from(t.defaultLeft),
      left: Array.from(t.left),
      right: Array.from(t.right),
      value: Array.from(t.value),
      cover: Array.from(t.cover),
      gain: Array.from(t.gain),
    })),
  };
}

/** Rebuild a model from `toJSON` output (e.g. after `JSON.parse`). Throws on a malformed document. */
export function fromJSON(json: unknown): GradientBoostedModel {
  const doc = json as Partial<GradientBoostedModelJson> | null;
  if (doc === null || typeof doc !== 'object' || doc.format !== 'patron-gbdt' || doc.version !== 1) {
    throw new TypeError('not a patron-gbdt v1 model document');
  }
  if (doc.objective !== 'logloss' && doc.objective !== 'squared-error') {
    throw new TypeError(`unknown objective ${String(doc.objective)}`);
  }
  if (typeof doc.baseScore !== 'number' || !Array.isArray(doc.featureNames) || !Array.isArray(doc.trees)) {
    throw new TypeError('model document lacks baseScore, featureNames or trees');
  }
  const cols = doc.featureNames.length;
  const trees = doc.trees.map((t, k) => treeFromJson(t, cols, k));
  return { objective: doc.objective, baseScore: doc.baseScore, featureNames: [...doc.featureNames], trees };
}

function treeFromJson(t: RegressionTreeJson, cols: number, k: number): RegressionTree {
  const n = t.feature?.length ?? 0;
  const keys = ['threshold', 'defaultLeft', 'left', 'right', 'value', 'cover', 'gain'] as const;
  if (n === 0 || keys.some((key) => !Array.isArray(t[key]) || t[key].length !== n)) {
    throw new TypeError(`tree ${k} is malformed`);
  }
  const tree: RegressionTree = {
    feature: Int32Array.from(t.feature),
    threshold: Float64Array.from(t.threshold, (x) => (x === null ? Infinity : x)),
    defaultLeft: Uint8Array.from(t.defaultLeft),
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    value: Float64Array.from(t.value),
    cover: Float64Array.from(t.cover),
    gain: Float64Array.from(t.gain),
  };
  for (let i = 0; i < n; i++) {
    const f = tree.feature[i]!;
    if (f >= cols) throw new TypeError(`tree ${k} node ${i} uses feature ${f} of ${cols}`);
    if (f >= 0) {
      const l = tree.left[i]!;
      const r = tree.right[i]!;
      if (!(l > i && l < n && r > i && r < n)) throw new TypeError(`tree ${k} node ${i} has bad children`);
    }
  }
  return tree;
}
