/**
 * One regression tree, stored as parallel arrays indexed by node (node 0 is the root).
 * A node is a leaf when `feature[node] === -1`. An internal node sends a row left when its
 * value is `<= threshold`, and a missing (NaN) value to the side `defaultLeft` names.
 */
export interface RegressionTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly defaultLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf output (already multiplied by the learning rate); for internal nodes, what the node would output as a leaf. */
  readonly value: Float64Array;
  /** Training hessian sum reaching the node (= sample count for squared error with unit weights). */
  readonly cover: Float64Array;
  /** Loss reduction of the split (0 for leaves). */
  readonly gain: Float64Array;
}

/** The leaf a row of raw values reaches. */
export function leafIndex(tree: RegressionTree, values: ArrayLike<number>, offset: number): number {
  const { feature, threshold, defaultLeft, left, right } = tree;
  let node = 0;
  let f = feature[0] as number;
  while (f >= 0) {
    const x = values[offset + f] as number;
    const goLeft = x !== x ? defaultLeft[node] === 1 : x <= (threshold[node] as number);
    node = (goLeft ? left[node] : right[node]) as number;
    f = feature[node] as number;
  }
  return node;
}

/** The output of one tree for a row of raw values. */
export function treeOutput(tree: RegressionTree, values: ArrayLike<number>, offset: number): number {
  return tree.value[leafIndex(tree, values, offset)] as number;
}

/** The depth of the deepest leaf (a single leaf has depth 0). */
export function treeDepth(tree: RegressionTree): number {
  const walk = (node: number): number =>
    (tree.feature[node] as number) < 0
      ? 0
      : 1 + Math.max(walk(tree.left[node] as number), walk(tree.right[node] as number));
  return walk(0);
}

/** Number of leaves. */
export function leafCount(tree: RegressionTree): number {
  let n = 0;
  for (let i = 0; i < tree.feature.length; i++) if ((tree.feature[i] as number) < 0) n++;
  return n;
}
