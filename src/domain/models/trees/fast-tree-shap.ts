import { assertMatrix, type FeatureMatrix } from './feature-matrix.js';
import type { GradientBoostedModel } from './model.js';
import type { RegressionTree } from './tree.js';
import { treeDepth } from './tree.js';
import { treeExpectedValue, TreeShapExplainer, type Explanation } from './tree-shap.js';

/** A block's pattern has at most this many bits (its table 2^bits rows × its features). */
export const FAST_SHAP_MAX_BITS = 6;

/**
 * Exact path-dependent TreeSHAP by precomputed tables — Fast TreeSHAP v2 (Yang 2021, "Fast
 * TreeSHAP: Accelerating SHAP Value Computation for Trees", arXiv:2109.09847), grouped by subtree.
 *
 * A leaf's share of the game v(S) = E[f(x) | x_S] is v_leaf · Π_{j∈S} o_j · Π_{j∉S} z_j over the
 * unique features j on its path, where z_j is the product of the cover fractions of the path's
 * splits on j and o_j ∈ {0, 1} says whether x follows all of them. Its Shapley values thus depend
 * on x only through the bits o, so they can be computed once per leaf for all 2^d patterns:
 * φ_i = v·(o_i − z_i)·Σ_s s!(d−1−s)!/d! · [t^s] Π_{j≠i}(z_j + o_j·t).
 *
 * Going further than per-leaf tables, the tree is cut into blocks: a subtree together with the
 * path above it, chosen from the root down as the largest subtrees whose path nodes plus internal
 * nodes number at most `FAST_SHAP_MAX_BITS`. Every o-bit of every leaf in a block is a function of
 * the go-left decisions at those nodes, so one table row per decision pattern holds the summed
 * contributions of all the block's leaves (a depth-4 tree is 4 blocks of 2^5 rows). Per row the
 * explainer evaluates every split once, then adds one table row per block: O(N + B·F) per tree
 * (N splits, B blocks of F features) instead of O(L·D²). Trees deeper than the bit limit fall back
 * to the exact algorithm (`TreeShapExplainer`). The values equal exact TreeSHAP up to rounding.
 */
export class FastTreeShapExplainer {
  private readonly bias: number;
  private readonly cols: number;
  // Splits above the blocks (in some block's path, in no block's subtree), and their decisions.
  private readonly upperFeature: Int32Array;
  private readonly upperThreshold: Float64Array;
  private readonly upperDefaultLeft: Uint8Array;
  private readonly decision: Uint8Array;
  // Per block k: its path bits [prefixStart[k], prefixStart[k+1]) (upper split, flip), its
  // subtree's splits [subStart[k], subStart[k+1]) in the order of its next bits, its features
  // [featStart[k], featStart[k+1]) and its table rows from tableStart[k].
  private readonly prefixStart: Int32Array;
  private readonly prefixSplit: Int32Array;
  private readonly prefixFlip: Uint8Array;
  private readonly subStart: Int32Array;
  private readonly subFeature: Int32Array;
  private readonly subThreshold: Float64Array;
  private readonly subDefaultLeft: Uint8Array;
  private readonly featStart: Int32Array;
  private readonly blockFeature: Int32Array;
  private readonly tableStart: Int32Array;
  private readonly table: Float64Array;
  private readonly fallback: TreeShapExplainer | null;

  constructor(model: GradientBoostedModel, options: { maxBits?: number } = {}) {
    const maxBits = options.maxBits ?? FAST_SHAP_MAX_BITS;
    if (!(Number.isInteger(maxBits) && maxBits >= 1 && maxBits <= 16))
      throw new RangeError('maxBits must be an integer in [1, 16]');
    this.cols = model.featureNames.length;
    let bias = model.baseScore;
    for (const t of model.trees) bias += treeExpectedValue(t);
    this.bias = bias;

    const b = new TableBuilder();
    const deep: RegressionTree[] = [];
    for (const tree of model.trees) {
      if (treeDepth(tree) > maxBits) deep.push(tree);
      else b.addTree(tree, maxBits);
    }
    this.upperFeature = Int32Array.from(b.upperFeature);
    this.upperThreshold = Float64Array.from(b.upperThreshold);
    this.upperDefaultLeft = Uint8Array.from(b.upperDefaultLeft);
    this.decision = new Uint8Array(b.upperFeature.length);
    this.prefixStart = Int32Array.from(b.prefixStart);
    this.prefixSplit = Int32Array.from(b.prefixSplit);
    this.prefixFlip = Uint8Array.from(b.prefixFlip);
    this.subStart = Int32Array.from(b.subStart);
    this.subFeature = Int32Array.from(b.subFeature);
    this.subThreshold = Float64Array.from(b.subThreshold);
    this.subDefaultLeft = Uint8Array.from(b.subDefaultLeft);
    this.featStart = Int32Array.from(b.featStart);
    this.blockFeature = Int32Array.from(b.blockFeature);
    this.tableStart = Int32Array.from(b.tableStart);
    this.table = b.table();
    this.fallback =
      deep.length === 0
        ? null
        : new TreeShapExplainer({ ...model, baseScore: 0, trees: deep } satisfies GradientBoostedModel);
  }

  /** Expected margin (the bias of every explanation). */
  get expectedValue(): number {
    return this.bias;
  }

  /** Explain the row of raw values starting at `offset` in `values`; adds into `phi` if given. */
  explainRow(values: ArrayLike<number>, offset = 0, phi?: Float64Array): Explanation {
    const out = phi ?? new Float64Array(this.cols);
    const { upperFeature, upperThreshold, upperDefaultLeft, decision } = this;
    // A split sends x left when x <= threshold, a missing x to its default side (branch-free).
    const nUpper = upperFeature.length;
    for (let n = 0; n < nUpper; n++) {
      const x = values[offset + upperFeature[n]!]!;
      decision[n] = +(x <= upperThreshold[n]!) | (+(x !== x) & upperDefaultLeft[n]!);
    }
    const { prefixStart, prefixSplit, prefixFlip, subStart, subFeature, subThreshold, subDefaultLeft } = this;
    const { featStart, blockFeature, tableStart, table } = this;
    const nBlocks = tableStart.length;
    for (let k = 0; k < nBlocks; k++) {
      let pattern = 0;
      let bit = 0;
      for (let q = prefixStart[k]!, end = prefixStart[k + 1]!; q < end; q++, bit++)
        pattern |= (decision[prefixSplit[q]!]! ^ prefixFlip[q]!) << bit;
      for (let q = subStart[k]!, end = subStart[k + 1]!; q < end; q++, bit++) {
        const x = values[offset + subFeature[q]!]!;
        pattern |= (+(x <= subThreshold[q]!) | (+(x !== x) & subDefaultLeft[q]!)) << bit;
      }
      const f0 = featStart[k]!;
      const nf = featStart[k + 1]! - f0;
      const base = tableStart[k]! + pattern * nf;
      for (let q = 0; q < nf; q++) out[blockFeature[f0 + q]!]! += table[base + q]!;
    }
    if (this.fallback !== null) this.fallback.explainRow(values, offset, out);
    return { bias: this.bias, contributions: out };
  }
}

/** One step of a root-to-node path: the split, the side taken, and the side's cover fraction. */
interface Step {
  readonly node: number;
  readonly feature: number;
  readonly left: boolean;
  readonly zero: number;
  /** Index among the upper splits (for steps above a block; -1 inside it). */
  readonly upper: number;
}

class TableBuilder {
  readonly upperFeature: number[] = [];
  readonly upperThreshold: number[] = [];
  readonly upperDefaultLeft: number[] = [];
  readonly prefixStart: number[] = [0];
  readonly prefixSplit: number[] = [];
  readonly prefixFlip: number[] = [];
  readonly subStart: number[] = [0];
  readonly subFeature: number[] = [];
  readonly subThreshold: number[] = [];
  readonly subDefaultLeft: number[] = [];
  readonly featStart: number[] = [0];
  readonly blockFeature: number[] = [];
  readonly tableStart: number[] = [];
  private readonly chunks: Float64Array[] = [];
  private tableSize = 0;

  addTree(tree: RegressionTree, maxBits: number): void {
    const internal = new Int32Array(tree.feature.length);
    const count = (n: number): number =>
      tree.feature[n]! < 0 ? 0 : (internal[n] = 1 + count(tree.left[n]!) + count(tree.right[n]!));
    count(0);
    const leafTables = new Map<number, LeafTable>();
    const visit = (node: number, path: Step[]): void => {
      const isLeaf = tree.feature[node]! < 0;
      if (path.length + (isLeaf ? 0 : internal[node]!) <= maxBits) {
        this.addBlock(tree, node, path, leafTables);
        return;
      }
      const upper = this.upperFeature.length;
      this.upperFeature.push(tree.feature[node]!);
      this.upperThreshold.push(tree.threshold[node]!);
      this.upperDefaultLeft.push(tree.defaultLeft[node]!);
      const c = tree.cover[node]!;
      for (const goLeft of [true, false]) {
        const child = goLeft ? tree.left[node]! : tree.right[node]!;
        const zero = c > 0 ? tree.cover[child]! / c : 0.5;
        visit(child, [...path, { node, feature: tree.feature[node]!, left: goLeft, zero, upper }]);
      }
    };
    visit(0, []);
  }

  /** The block of `root`'s subtree below `prefix`: bits = prefix matches, then subtree decisions. */
  private addBlock(
    tree: RegressionTree,
    root: number,
    prefix: readonly Step[],
    leafTables: Map<number, LeafTable>,
  ): void {
    // Bits: prefix steps (1 = x takes the path's side), then the subtree's splits in depth-first
    // order (1 = x goes left).
    const bitIndex = new Map<number, number>();
    const subtreeSplits: number[] = [];
    const leaves: { leaf: number; path: Step[] }[] = [];
    const walk = (node: number, path: Step[]): void => {
      if (tree.feature[node]! < 0) {
        leaves.push({ leaf: node, path });
        return;
      }
      bitIndex.set(node, prefix.length + subtreeSplits.length);
      subtreeSplits.push(node);
      const c = tree.cover[node]!;
      for (const goLeft of [true, false]) {
        const child = goLeft ? tree.left[node]! : tree.right[node]!;
        const zero = c > 0 ? tree.cover[child]! / c : 0.5;
        walk(child, [...path, { node, feature: tree.feature[node]!, left: goLeft, zero, upper: -1 }]);
      }
    };
    walk(root, []);
    // The block's features, in order of first appearance.
    const slotOf = new Map<number, number>();
    const feats: number[] = [];
    const slot = (f: number): number => {
      let s = slotOf.get(f);
      if (s === undefined) {
        s = feats.length;
        slotOf.set(f, s);
        feats.push(f);
      }
      return s;
    };
    for (const s of prefix) slot(s.feature);
    for (const { path } of leaves) for (const s of path) slot(s.feature);
    const nf = feats.length;
    if (nf === 0) return; // a single leaf: its value is all bias
    const rows = 1 << (prefix.length + subtreeSplits.length);
    const chunk = new Float64Array(rows * nf);
    for (const { leaf, path } of leaves) {
      const full = [...prefix, ...path];
      const lt = leafTable(tree, leaf, full, leafTables);
      // For each step of the full path: which bit says whether x takes the path's side.
      const stepBit = full.map((s, i) => (i < prefix.length ? i : bitIndex.get(s.node)!));
      const stepWantsOne = full.map((s, i) => i < prefix.length || s.left);
      const uniqueOfStep = full.map((s) => lt.features.indexOf(s.feature));
      const slots = lt.features.map(slot);
      const u = lt.features.length;
      for (let p = 0; p < rows; p++) {
        // o-pattern over the leaf's unique features: all of a feature's steps followed.
        let o = (1 << u) - 1;
        for (let i = 0; i < full.length; i++) {
          const bit = (p >> stepBit[i]!) & 1;
          if ((bit === 1) !== stepWantsOne[i]) o &= ~(1 << uniqueOfStep[i]!);
        }
        const src = o * u;
        const dst = p * nf;
        for (let q = 0; q < u; q++) chunk[dst + slots[q]!]! += lt.phi[src + q]!;
      }
    }
    this.tableStart.push(this.tableSize);
    this.chunks.push(chunk);
    this.tableSize += chunk.length;
    for (const s of prefix) {
      this.prefixSplit.push(s.upper);
      this.prefixFlip.push(s.left ? 0 : 1);
    }
    this.prefixStart.push(this.prefixSplit.length);
    for (const node of subtreeSplits) {
      this.subFeature.push(tree.feature[node]!);
      this.subThreshold.push(tree.threshold[node]!);
      this.subDefaultLeft.push(tree.defaultLeft[node]!);
    }
    this.subStart.push(this.subFeature.length);
    for (const f of feats) this.blockFeature.push(f);
    this.featStart.push(this.blockFeature.length);
  }

  table(): Float64Array {
    const out = new Float64Array(this.tableSize);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A leaf's Shapley values for every o-pattern: `phi[o * u + i]` for its i-th unique feature. */
interface LeafTable {
  readonly features: readonly number[];
  readonly phi: Float64Array;
}

function leafTable(
  tree: RegressionTree,
  leaf: number,
  path: readonly Step[],
  cache: Map<number, LeafTable>,
): LeafTable {
  const hit = cache.get(leaf);
  if (hit !== undefined) return hit;
  const features: number[] = [];
  const zero: number[] = [];
  for (const s of path) {
    const i = features.indexOf(s.feature);
    if (i < 0) {
      features.push(s.feature);
      zero.push(s.zero);
    } else zero[i]! *= s.zero;
  }
  const u = features.length;
  const v = tree.value[leaf]!;
  // w[s] = s!(u−1−s)!/u!
  const w = new Float64Array(Math.max(u, 1));
  for (let s = 0; s < u; s++) {
    let x = 1 / u;
    for (let k = 1; k <= s; k++) x *= k / (u - k);
    w[s] = x;
  }
  const phi = new Float64Array((1 << u) * u);
  const poly = new Float64Array(u + 1);
  for (let o = 0; o < 1 << u; o++) {
    for (let i = 0; i < u; i++) {
      // Coefficients of Π_{j≠i} (z_j + o_j·t).
      poly.fill(0);
      poly[0] = 1;
      let deg = 0;
      for (let j = 0; j < u; j++) {
        if (j === i) continue;
        const z = zero[j]!;
        if ((o >> j) & 1) {
          for (let s = deg + 1; s >= 1; s--) poly[s] = poly[s]! * z + poly[s - 1]!;
          poly[0] = poly[0]! * z;
        } else for (let s = 0; s <= deg; s++) poly[s] = poly[s]! * z;
        deg++;
      }
      let sum = 0;
      for (let s = 0; s < u; s++) sum += w[s]! * poly[s]!;
      phi[o * u + i] = v * (((o >> i) & 1) - zero[i]!) * sum;
    }
  }
  const t = { features, phi };
  cache.set(leaf, t);
  return t;
}

/** Fast TreeSHAP for every row: `contributions[i * cols + j]` is feature j's share of row i's margin. */
export function explainAllFast(
  model: GradientBoostedModel,
  data: FeatureMatrix,
): { bias: number; contributions: Float64Array } {
  assertMatrix(data);
  if (data.cols !== model.featureNames.length)
    throw new RangeError('matrix and model have different feature counts');
  const ex = new FastTreeShapExplainer(model);
  const out = new Float64Array(data.rows * data.cols);
  for (let i = 0; i < data.rows; i++)
    ex.explainRow(data.values, i * data.cols, out.subarray(i * data.cols, (i + 1) * data.cols));
  return { bias: ex.expectedValue, contributions: out };
}
