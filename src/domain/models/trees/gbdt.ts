import { createRandom, type Random } from '../../random.js';
import {
  binMatrix,
  fitBinBounds,
  MAX_VALUE_BINS,
  MISSING_BIN,
  paddedStride,
  type BinBounds,
} from './binning.js';
import { assertMatrix, type FeatureMatrix } from './feature-matrix.js';
import { sigmoid, type GradientBoostedModel, type Objective } from './model.js';
import type { RegressionTree } from './tree.js';

export interface BoostingOptions {
  readonly objective: Objective;
  /** Maximum number of trees (boosting rounds). Default 100. */
  readonly rounds?: number;
  /** Shrinkage η applied to every leaf. Default 0.1. */
  readonly learningRate?: number;
  /** Maximum depth of a tree (Infinity for none; then maxLeaves bounds it). Default 6. */
  readonly maxDepth?: number;
  /** Maximum leaves per tree (best-first growth). Default 2^maxDepth. */
  readonly maxLeaves?: number;
  /** Value bins per feature (quantiles), 2..255. Default 255. */
  readonly maxBins?: number;
  /** L2 penalty λ on leaf values. Default 1. */
  readonly lambda?: number;
  /** Minimum loss reduction γ to make a split. Default 0. */
  readonly gamma?: number;
  /** Minimum hessian sum in a child. Default 1. */
  readonly minChildWeight?: number;
  /** Fraction of training rows drawn (Bernoulli) for each tree. Default 1. */
  readonly subsample?: number;
  /**
   * Gradient-based one-side sampling (Ke et al. 2017, LightGBM): each tree is grown on the
   * `topRate` share of rows with the largest |gradient| plus a random `otherRate` share of all rows
   * drawn from the rest, whose gradients and hessians are scaled by (1 − topRate)/otherRate. The
   * first ⌈1/learningRate⌉ trees use every row (as LightGBM). Not with `subsample` < 1. Default off.
   */
  readonly goss?: { readonly topRate: number; readonly otherRate: number };
  /** Fraction of features drawn for each tree. Default 1. */
  readonly colsampleByTree?: number;
  /**
   * Quantised training (Shi et al. 2022, "Quantized Training of Gradient Boosting Decision
   * Trees"; LightGBM `use_quantized_grad`): each tree's histograms sum gradients and hessians
   * rounded stochastically to integer levels, as many as keep any node's sums exact integers
   * (2^26 / the tree's rows: 349 per sign for 192,000 rows), both packed in one number per row —
   * one add per row and feature instead of two, and the same sums in any order. Splits are chosen
   * on those sums; every node's value and cover are then computed from the exact gradients of its
   * rows. A tree of more than 4.4 million rows is grown unquantised. Default off.
   */
  readonly quantizedGradients?: boolean;
  /** Per-row sample weights (default all 1). */
  readonly weights?: Float64Array;
  /** An explicit validation set for early stopping. */
  readonly validation?: {
    readonly data: FeatureMatrix;
    readonly labels: Float64Array;
    readonly weights?: Float64Array;
  };
  /** Without `validation`: the fraction of rows split off (seeded) for early stopping. Default 0 (none). */
  readonly validationFraction?: number;
  /** Stop after this many rounds without improving the validation loss. Default 20. */
  readonly earlyStoppingRounds?: number;
  /** Rows sampled to find the quantile bin bounds. Default 200,000. */
  readonly binSampleRows?: number;
  /** Seed for every random choice (bin sample, validation split, row and column sampling). Default 0. */
  readonly seed?: number;
  /**
   * Builds the histograms instead of the learner's own loop, e.g. on several threads (the shell
   * provides one). Must give exactly `buildNodeHistogram`'s values; the model is then bit-identical.
   */
  readonly histogramBuilder?: HistogramBuilder;
}

/**
 * A strategy that builds node histograms, given once per training the arrays it reads (allocated
 * with its `allocate`, so that other threads can see them). `build` must leave in slot `slot` of
 * `hists` exactly what `buildNodeHistogram` would (slot `partSlot` is its scratch): e.g. the two
 * halves of a large node on two threads, added in the same order.
 */
export interface HistogramBuilder {
  allocate(bytes: number): ArrayBuffer | SharedArrayBuffer;
  bind(arrays: HistogramArrays): void;
  build(slot: number, begin: number, end: number, feats: Int32Array): void;
  /**
   * Optional: starts the second half of a row pass (one of the `ROW_PASS_` numbers) on another
   * thread, i.e. `runRowPass(passes, rowIdx, pass, begin, end, begin2, end2)`; the learner runs
   * the first half meanwhile, then calls `joinRowPass`.
   */
  startRowPass?(pass: number, begin: number, end: number, begin2: number, end2: number): void;
  joinRowPass?(): void;
  /** The training is over (the arrays may be released). */
  unbind(): void;
}

/** What a histogram builder reads and writes; every array from its `allocate`. */
export interface HistogramArrays {
  /** Row-major bins, `stride` bytes per row. */
  readonly bins: Uint8Array;
  readonly stride: number;
  readonly cols: number;
  /** Gradient and hessian of row i at 2i, 2i + 1. */
  readonly gh: Float64Array;
  /** The rows of the tree being grown, each node's a range of it. */
  readonly rowIdx: Uint32Array;
  /** `slots` histograms of stride · 512 values each. */
  readonly hists: Float64Array;
  readonly slots: number;
  /** The slot free for a node's second half (never one of the learner's). */
  readonly partSlot: number;
  /** What the row passes use; with quantised gradients, `passes.packed` is what the histograms sum instead of `gh`. */
  readonly passes: RowPassArrays;
}

export interface TrainingResult {
  /** The model, truncated to the best round when a validation set was used. */
  readonly model: GradientBoostedModel;
  /** Validation loss (logloss or RMSE) after each round; empty without a validation set. */
  readonly validationLoss: readonly number[];
  /** Number of trees kept. */
  readonly bestRounds: number;
  readonly stoppedEarly: boolean;
}

interface Params {
  readonly objective: Objective;
  readonly rounds: number;
  readonly eta: number;
  readonly maxDepth: number;
  readonly maxLeaves: number;
  readonly maxBins: number;
  readonly lambda: number;
  readonly gamma: number;
  readonly minChildWeight: number;
  readonly subsample: number;
  readonly colsample: number;
  readonly quantized: boolean;
  readonly goss: { readonly topRate: number; readonly otherRate: number } | null;
  readonly validationFraction: number;
  readonly patience: number;
  readonly binSampleRows: number;
  readonly seed: number;
}

function resolve(o: BoostingOptions): Params {
  const maxDepth = o.maxDepth ?? 6;
  const maxLeaves = o.maxLeaves ?? (Number.isFinite(maxDepth) ? 2 ** maxDepth : 31);
  const p: Params = {
    objective: o.objective,
    rounds: o.rounds ?? 100,
    eta: o.learningRate ?? 0.1,
    maxDepth,
    maxLeaves,
    maxBins: o.maxBins ?? MAX_VALUE_BINS,
    lambda: o.lambda ?? 1,
    gamma: o.gamma ?? 0,
    minChildWeight: o.minChildWeight ?? 1,
    subsample: o.subsample ?? 1,
    colsample: o.colsampleByTree ?? 1,
    quantized: o.quantizedGradients ?? false,
    goss: o.goss ?? null,
    validationFraction: o.validationFraction ?? 0,
    patience: o.earlyStoppingRounds ?? 20,
    binSampleRows: o.binSampleRows ?? 200_000,
    seed: o.seed ?? 0,
  };
  const bad = (cond: boolean, msg: string): void => {
    if (cond) throw new RangeError(msg);
  };
  bad(p.objective !== 'logloss' && p.objective !== 'squared-error', `unknown objective ${p.objective}`);
  bad(!(Number.isInteger(p.rounds) && p.rounds >= 0), 'rounds must be a non-negative integer');
  bad(!(p.eta > 0), 'learningRate must be > 0');
  bad(!(p.maxDepth >= 1), 'maxDepth must be >= 1');
  bad(!(Number.isInteger(p.maxLeaves) && p.maxLeaves >= 2), 'maxLeaves must be an integer >= 2');
  bad(
    !(p.lambda >= 0 && p.gamma >= 0 && p.minChildWeight >= 0),
    'lambda, gamma, minChildWeight must be >= 0',
  );
  bad(!(p.subsample > 0 && p.subsample <= 1), 'subsample must be in (0, 1]');
  bad(!(p.colsample > 0 && p.colsample <= 1), 'colsampleByTree must be in (0, 1]');
  if (p.goss !== null) {
    const { topRate: a, otherRate: b } = p.goss;
    bad(!(a > 0 && b > 0 && a + b <= 1), 'goss rates must be > 0 with topRate + otherRate <= 1');
    bad(p.subsample < 1, 'goss and subsample < 1 cannot be combined');
  }
  bad(!(p.validationFraction >= 0 && p.validationFraction < 1), 'validationFraction must be in [0, 1)');
  bad(!(Number.isInteger(p.patience) && p.patience >= 1), 'earlyStoppingRounds must be an integer >= 1');
  return p;
}

/** Rows to evaluate the loss on, with their column-major bins and running margins. */
export interface EvalSet {
  readonly columns: Uint8Array;
  /** Rows of the matrix `columns` holds (its column length). */
  readonly columnRows: number;
  readonly rows: Uint32Array;
  readonly labels: Float64Array;
  readonly weights: Float64Array | null;
  readonly margin: Float64Array;
  /**
   * The rows, reordered by each tree's partition (each fixed half of it keeps the same rows as
   * that half of `rows`), and its scratch.
   */
  readonly work: Uint32Array;
  readonly scratch: Uint32Array;
}

/** A tree in fixed-size arrays (node count ≤ their length), for a row pass on another thread. */
export interface PassTree {
  readonly feature: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly defaultLeft: Uint8Array;
  readonly bin: Uint8Array;
  readonly value: Float64Array;
}

/**
 * What a round's row passes read and write, every array from the builder's `allocate`: the
 * gradients of the training rows, and the new tree added to the margins of the training rows
 * it was not grown on (`work`, listed before the pass) and of the validation rows, with their loss.
 */
export interface RowPassArrays {
  readonly objective: Objective;
  readonly trainRows: Uint32Array;
  readonly labels: Float64Array;
  readonly weights: Float64Array | null;
  readonly margin: Float64Array;
  readonly gh: Float64Array;
  readonly columns: Uint8Array;
  readonly columnRows: number;
  readonly work: Uint32Array;
  /** 1 where the training row at that position of trainRows is one the tree is grown on. */
  readonly grown: Uint8Array;
  /** Partition scratch: a pass over rows [b, e) uses [b, e) of it. */
  readonly scratch: Uint32Array;
  readonly eval: EvalSet | null;
  readonly tree: PassTree;
  /** GOSS: each training row's |g| bucket (by position in trainRows) and the second half's counts. */
  readonly codes: Uint16Array;
  readonly counts: Int32Array;
  /** GOSS: the second half's rows, from the other thread. */
  readonly selected: Uint32Array;
  /** Quantised gradients: row i's packed levels (`packPass`). */
  readonly packed: Float64Array | null;
  /** Parameters of the pass: [scale to a |g| bucket, s_g, s_h, levels, salt]. */
  readonly params: Float64Array;
  /**
   * Results: the gradient pass's largest |g| at 0 (of the second half, from the other thread);
   * the tree pass's validation weight and loss sums of the first half at 0, 1 and the second at 2, 3.
   */
  readonly out: Float64Array;
}

/** Row pass: gradients and hessians of trainRows[begin, end). */
export const ROW_PASS_GRADIENTS = 1;
/** Row pass: the tree in `tree` over the training rows left out at positions [begin, end) and the validation rows [begin2, end2). */
export const ROW_PASS_TREE = 2;
/** Row pass: GOSS buckets of trainRows[begin, end), counted into `counts`. */
export const ROW_PASS_GOSS_COUNT = 3;
/** Row pass: packed levels of the sampled rows rowIdx[begin, end) (rowIdx: the histograms' rows). */
export const ROW_PASS_PACK = 4;
/** Row pass: GOSS's rows of trainRows[begin, end), into `selected` (their count in out[4]). */
export const ROW_PASS_GOSS_SELECT = 5;

/**
 * Runs the second half of a row pass (on the builder's other thread), its results where the
 * learner reads them: out[0], out[2..3], out[4], `counts`, `selected`.
 */
export function runRowPass(
  a: RowPassArrays,
  rowIdx: Uint32Array,
  pass: number,
  begin: number,
  end: number,
  begin2: number,
  end2: number,
): void {
  if (pass === ROW_PASS_GRADIENTS) a.out[0] = gradientPass(a, begin, end);
  else if (pass === ROW_PASS_TREE) treePass(a, begin, end, begin2, end2, 2);
  else if (pass === ROW_PASS_GOSS_COUNT) gossCountPass(a, begin, end, a.counts);
  else if (pass === ROW_PASS_PACK) packPass(a, rowIdx, begin, end);
  else if (pass === ROW_PASS_GOSS_SELECT)
    a.out[4] = gossSelectPass(a, begin, end, a.params[8]!, a.selected, 0);
  else throw new RangeError(`unknown row pass ${pass}`);
}

/**
 * Gradient boosting of histogram trees (Friedman 2001; Chen & Guestrin 2016, "XGBoost"; Ke et
 * al. 2017, "LightGBM"). Each round fits a tree to the gradients g and hessians h of the loss at
 * the current margin: a leaf's value is −η·G/(H+λ), a split's gain is
 * ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)], made when it exceeds γ and both children keep
 * a hessian sum ≥ minChildWeight. Missing values go to the side (learned per split) that gains
 * more. Trees grow best-first up to maxLeaves and maxDepth; each parent's histogram minus its
 * smaller child's gives the larger child's.
 */
export function trainGradientBoosting(
  data: FeatureMatrix,
  labels: Float64Array,
  options: BoostingOptions,
): TrainingResult {
  assertMatrix(data);
  const p = resolve(options);
  const weights = options.weights;
  checkLabels(labels, weights, data.rows, p.objective);
  const random = createRandom(p.seed);
  const splitRandom = random.fork(1);
  const binRandom = random.fork(2);
  const treeRandom = random.fork(3);

  let trainRows: Uint32Array;
  let validRows: Uint32Array | null = null;
  if (options.validation === undefined && p.validationFraction > 0) {
    const tr: number[] = [];
    const va: number[] = [];
    for (let i = 0; i < data.rows; i++) (splitRandom.next() < p.validationFraction ? va : tr).push(i);
    trainRows = Uint32Array.from(tr);
    validRows = Uint32Array.from(va);
  } else {
    trainRows = new Uint32Array(data.rows);
    for (let i = 0; i < data.rows; i++) trainRows[i] = i;
  }

  const bounds = fitBinBounds(data, trainRows, p.maxBins, p.binSampleRows, binRandom);
  const stride = paddedStride(data.cols);
  const builder = options.histogramBuilder;
  const alloc = (bytes: number): ArrayBuffer | SharedArrayBuffer =>
    builder !== undefined ? builder.allocate(bytes) : new ArrayBuffer(bytes);
  // Everything a row pass reads or writes is allocated by the builder (other threads see it).
  const copy = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
    const c = new (a.constructor as new (b: ArrayBuffer | SharedArrayBuffer) => T)(alloc(a.byteLength));
    c.set(a as never);
    return c;
  };
  /** `a` itself without a builder (read only), else a copy the builder allocated. */
  const shared = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T =>
    builder === undefined ? a : copy(a);
  const bins = binMatrix(data, bounds, stride, new Uint8Array(alloc(data.rows * stride)));
  const trainLabels = shared(labels);
  const trainWeights = weights !== undefined ? shared(weights) : null;
  const baseScore = prior(labels, weights, trainRows, p.objective);
  const margin = new Float64Array(alloc(8 * data.rows)).fill(baseScore);
  // Column-major copy of the bins: partitioning rows by a split reads one feature of scattered
  // rows, which then come from one column (rows bytes, cache-resident) instead of a row each.
  const columns = columnMajor(
    bins,
    data.rows,
    data.cols,
    stride,
    new Uint8Array(alloc(data.rows * data.cols)),
  );

  let evalSet: EvalSet | null = null;
  if (options.validation !== undefined) {
    const v = options.validation;
    assertMatrix(v.data);
    if (v.data.cols !== data.cols)
      throw new RangeError('validation matrix has a different number of columns');
    checkLabels(v.labels, v.weights, v.data.rows, p.objective);
    const rows = new Uint32Array(alloc(4 * v.data.rows));
    for (let i = 0; i < rows.length; i++) rows[i] = i;
    const vBins = binMatrix(v.data, bounds, stride);
    evalSet = {
      columns: columnMajor(
        vBins,
        v.data.rows,
        data.cols,
        stride,
        new Uint8Array(alloc(v.data.rows * data.cols)),
      ),
      columnRows: v.data.rows,
      rows,
      labels: shared(v.labels),
      weights: v.weights !== undefined ? shared(v.weights) : null,
      margin: new Float64Array(alloc(8 * v.data.rows)).fill(baseScore),
      work: copy(rows),
      scratch: new Uint32Array(alloc(4 * v.data.rows)),
    };
  } else if (validRows !== null && validRows.length > 0) {
    evalSet = {
      columns,
      columnRows: data.rows,
      rows: shared(validRows),
      labels: trainLabels,
      weights: trainWeights,
      margin,
      work: copy(validRows),
      scratch: new Uint32Array(alloc(4 * validRows.length)),
    };
  }

  const quantized = p.quantized && quantizationLevels(trainRows.length) > 0;
  const packed = quantized ? new Float64Array(alloc(8 * data.rows)) : null;
  const grower = new TreeGrower(bins, columns, data.cols, stride, bounds, p, data.rows, builder, packed);
  const gh = new Float64Array(alloc(16 * data.rows));
  // Every tree's rows are a prefix of this buffer, partitioned in place by node.
  const sampleBuf = new Uint32Array(alloc(4 * trainRows.length));
  const maxNodes = 2 * p.maxLeaves;
  const split = builder?.startRowPass !== undefined ? builder : undefined;
  const passes: RowPassArrays = {
    objective: p.objective,
    trainRows: shared(trainRows),
    labels: trainLabels,
    weights: trainWeights,
    margin,
    gh,
    columns,
    columnRows: data.rows,
    work: new Uint32Array(alloc(4 * trainRows.length)),
    grown: new Uint8Array(alloc(trainRows.length)),
    scratch: new Uint32Array(alloc(4 * trainRows.length)),
    eval: evalSet,
    tree: {
      feature: new Int32Array(alloc(4 * maxNodes)),
      left: new Int32Array(alloc(4 * maxNodes)),
      right: new Int32Array(alloc(4 * maxNodes)),
      defaultLeft: new Uint8Array(alloc(maxNodes)),
      bin: new Uint8Array(alloc(maxNodes)),
      value: new Float64Array(alloc(8 * maxNodes)),
    },
    codes: new Uint16Array(alloc(2 * (p.goss !== null ? trainRows.length : 0))),
    counts: new Int32Array(alloc(4 * GOSS_BUCKETS)),
    selected: new Uint32Array(alloc(4 * (p.goss !== null && split !== undefined ? trainRows.length : 0))),
    packed,
    params: new Float64Array(alloc(8 * 16)),
    out: new Float64Array(alloc(8 * 8)),
  };
  if (builder !== undefined) {
    // Live histograms: at most one per leaf, and the one being built.
    const slots = p.maxLeaves + 2;
    const hists = new Float64Array(alloc(8 * slots * stride * HIST_STRIDE));
    builder.bind({
      bins,
      stride,
      cols: data.cols,
      gh,
      rowIdx: sampleBuf,
      hists,
      slots,
      partSlot: slots - 1,
      passes,
    });
    grower.useSlots(hists, slots - 1);
  }
  const gossCounts = p.goss !== null ? new Int32Array(GOSS_BUCKETS) : null;
  const gossWarmup = Math.ceil(1 / p.eta);
  const allFeatures = Int32Array.from({ length: data.cols }, (_, j) => j);
  const trees: RegressionTree[] = [];
  const validationLoss: number[] = [];
  let best = Infinity;
  let bestRounds = 0;
  let stoppedEarly = false;
  const nTrain = trainRows.length;
  const nEval = evalSet?.rows.length ?? 0;

  try {
    for (let round = 0; round < p.rounds; round++) {
      // Each row pass is cut in two fixed halves: the second on the builder's other thread, if any.
      const gMid = nTrain >>> 1;
      split?.startRowPass!(ROW_PASS_GRADIENTS, gMid, nTrain, 0, 0);
      let maxGradient = gradientPass(passes, 0, split !== undefined ? gMid : nTrain);
      if (split !== undefined) {
        split.joinRowPass!();
        maxGradient = Math.max(maxGradient, passes.out[0]!);
      }
      let rowIdx: Uint32Array;
      if (gossCounts !== null && round >= gossWarmup) {
        passes.params[0] = maxGradient > 0 ? (GOSS_BUCKETS - 1) / maxGradient : 0;
        split?.startRowPass!(ROW_PASS_GOSS_COUNT, gMid, nTrain, 0, 0);
        gossCountPass(passes, 0, split !== undefined ? gMid : nTrain, gossCounts);
        if (split !== undefined) {
          split.joinRowPass!();
          for (let b = 0; b < GOSS_BUCKETS; b++) gossCounts[b]! += passes.counts[b]!;
        }
        // Each half draws its rows from its own stream, so the sample is the same on 1 or 2 threads.
        gossSelect(passes, p.goss!, gossCounts);
        const seedA = Math.floor(treeRandom.next() * 2 ** 32);
        const seedB = Math.floor(treeRandom.next() * 2 ** 32);
        passes.params[8] = seedB;
        split?.startRowPass!(ROW_PASS_GOSS_SELECT, gMid, nTrain, 0, 0);
        const mA = gossSelectPass(passes, 0, gMid, seedA, sampleBuf, 0);
        let mB: number;
        if (split !== undefined) {
          split.joinRowPass!();
          mB = passes.out[4]!;
          sampleBuf.set(passes.selected.subarray(0, mB), mA);
        } else mB = gossSelectPass(passes, gMid, nTrain, seedB, sampleBuf, mA);
        rowIdx = sampleBuf.subarray(0, mA + mB);
      } else rowIdx = sampleRows(passes, p.subsample, treeRandom, sampleBuf);
      const feats = p.colsample >= 1 ? allFeatures : sampleFeatures(data.cols, p.colsample, treeRandom);
      if (packed !== null) {
        // As many levels as this tree's rows allow (each node's sums stay exact; ≥ 15, as the
        // training's rows allowed that).
        const levels = quantizationLevels(rowIdx.length);
        const salt = Math.floor(treeRandom.next() * 2 ** 32);
        grower.scales = gradientScales(rowIdx, gh, levels);
        const pp = passes.params;
        pp[1] = grower.scales.g;
        pp[2] = grower.scales.h;
        pp[3] = levels;
        pp[4] = salt;
        const m = rowIdx.length;
        const pMid = m >>> 1;
        split?.startRowPass!(ROW_PASS_PACK, pMid, m, 0, 0);
        packPass(passes, rowIdx, 0, split !== undefined ? pMid : m);
        split?.joinRowPass!();
      }
      const { tree, binThreshold, leafRanges } = grower.grow(rowIdx, feats, gh);
      trees.push(tree);
      // The grown rows sit in rowIdx grouped by leaf; only the rows left out need the tree applied.
      for (let q = 0; q < leafRanges.length; q += 3) {
        const v = tree.value[leafRanges[q]!]!;
        for (let k = leafRanges[q + 1]!, end = leafRanges[q + 2]!; k < end; k++) margin[rowIdx[k]!]! += v;
      }
      // The training rows left out (passes.grown[k] = 0) are listed by each half of the pass.
      const nOut = rowIdx.length < nTrain ? nTrain : 0;
      if (nOut > 0 || evalSet !== null) {
        setPassTree(passes.tree, tree, binThreshold);
        const oMid = nOut >>> 1;
        const eMid = nEval >>> 1;
        split?.startRowPass!(ROW_PASS_TREE, oMid, nOut, eMid, nEval);
        treePass(passes, 0, oMid, 0, eMid, 0);
        if (split !== undefined) split.joinRowPass!();
        else treePass(passes, oMid, nOut, eMid, nEval, 2);
      }
      if (evalSet !== null) {
        const out = passes.out;
        const sw = out[0]! + out[2]!;
        const sl = out[1]! + out[3]!;
        const loss = sw === 0 ? 0 : p.objective === 'logloss' ? sl / sw : Math.sqrt(sl / sw);
        validationLoss.push(loss);
        if (loss < best) {
          best = loss;
          bestRounds = round + 1;
        } else if (round + 1 - bestRounds >= p.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    builder?.unbind();
  }
  if (evalSet === null) bestRounds = trees.length;
  return {
    model: {
      objective: p.objective,
      baseScore,
      featureNames: [...data.featureNames],
      trees: trees.slice(0, bestRounds),
    },
    validationLoss,
    bestRounds,
    stoppedEarly,
  };
}

function checkLabels(
  labels: Float64Array,
  weights: Float64Array | undefined,
  rows: number,
  objective: Objective,
): void {
  if (labels.length !== rows) throw new RangeError(`${labels.length} labels for ${rows} rows`);
  if (weights !== undefined && weights.length !== rows)
    throw new RangeError(`${weights.length} weights for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const y = labels[i]!;
    if (!Number.isFinite(y)) throw new RangeError(`label ${i} is not finite`);
    if (objective === 'logloss' && (y < 0 || y > 1))
      throw new RangeError(`logloss label ${i} = ${y} is outside [0, 1]`);
    if (weights !== undefined && !(weights[i]! >= 0)) throw new RangeError(`weight ${i} is negative or NaN`);
  }
}

/** The constant margin that minimises the loss: log-odds of the mean label, or the mean. */
function prior(
  labels: Float64Array,
  weights: Float64Array | undefined,
  rows: Uint32Array,
  objective: Objective,
): number {
  let sw = 0;
  let sy = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const w = weights === undefined ? 1 : weights[i]!;
    sw += w;
    sy += w * labels[i]!;
  }
  if (sw === 0) return 0;
  const mean = sy / sw;
  if (objective === 'squared-error') return mean;
  const q = Math.min(Math.max(mean, 1e-6), 1 - 1e-6);
  return Math.log(q / (1 - q));
}

/** g and h of rows trainRows[begin, end) at 2i, 2i + 1 of `gh`; returns their largest |g|. */
export function gradientPass(a: RowPassArrays, begin: number, end: number): number {
  const { trainRows: rows, labels, weights, margin, gh } = a;
  const logloss = a.objective === 'logloss';
  let max = 0;
  for (let k = begin; k < end; k++) {
    const i = rows[k]!;
    const w = weights === null ? 1 : weights[i]!;
    const y = labels[i]!;
    let g: number;
    if (logloss) {
      const pr = sigmoid(margin[i]!);
      g = (pr - y) * w;
      gh[2 * i + 1] = Math.max(pr * (1 - pr), 1e-16) * w;
    } else {
      g = (margin[i]! - y) * w;
      gh[2 * i + 1] = w;
    }
    gh[2 * i] = g;
    const abs = Math.abs(g);
    if (abs > max) max = abs;
  }
  return max;
}

/** 2^26: a row's packed value is g-level · 2^26 + h-level. */
const PACK = 67_108_864;
const MAX_LEVELS = 32_767;

/**
 * Levels per sign for quantised gradients over a tree of `rows` rows: at most 32,767, and few
 * enough that any node's sum of h-levels stays below 2^26 (and of g-levels times 2^26 below
 * 2^53), so packed sums are exact integers; 0 (not quantised) when fewer than 15 would be left.
 */
export function quantizationLevels(rows: number): number {
  const levels = Math.min(MAX_LEVELS, Math.floor((PACK - 1) / Math.max(rows, 1)));
  return levels >= 15 ? levels : 0;
}

/**
 * Packs each row's g and h, rounded stochastically (a hash of the row and `salt`) to integer
 * levels of g/s_g ∈ [−L, L] and h/s_h ∈ [0, L], into packed[i] = gLevel · 2^26 + hLevel. Returns
 * the scales s_g, s_h (the largest |g| and h of the rows over L).
 */
export function packGradients(
  rows: Uint32Array,
  gh: Float64Array,
  packed: Float64Array,
  levels: number,
  salt: number,
): { g: number; h: number } {
  const scales = gradientScales(rows, gh, levels);
  packLevels(rows, 0, rows.length, gh, packed, levels, salt, scales.g, scales.h);
  return scales;
}

/** The scales s_g, s_h of the rows' levels: their largest |g| and h over L. */
function gradientScales(rows: Uint32Array, gh: Float64Array, levels: number): { g: number; h: number } {
  let gMax = 0;
  let hMax = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    gMax = Math.max(gMax, Math.abs(gh[2 * i]!));
    hMax = Math.max(hMax, gh[2 * i + 1]!);
  }
  // (A scale that would underflow, or make 1/scale overflow, is taken as 1.)
  return { g: gMax > 1e-300 ? gMax / levels : 1, h: hMax > 1e-300 ? hMax / levels : 1 };
}

/** The pack pass over rowIdx[begin, end), with the scales, levels and salt in `params`. */
function packPass(a: RowPassArrays, rowIdx: Uint32Array, begin: number, end: number): void {
  const pp = a.params;
  packLevels(rowIdx, begin, end, a.gh, a.packed!, pp[3]!, pp[4]!, pp[1]!, pp[2]!);
}

function packLevels(
  rows: Uint32Array,
  begin: number,
  end: number,
  gh: Float64Array,
  packed: Float64Array,
  levels: number,
  salt: number,
  gs: number,
  hs: number,
): void {
  const ig = 1 / gs;
  const ih = 1 / hs;
  for (let k = begin; k < end; k++) {
    const i = rows[k]!;
    // Two uniform draws from a 32-bit mix of (row, salt).
    let z = Math.imul(i ^ salt, 0x9e3779b1);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    const u1 = (z >>> 0) / 4_294_967_296;
    z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d);
    z = Math.imul(z ^ (z >>> 12), 0x297a2d39);
    z ^= z >>> 15;
    const u2 = (z >>> 0) / 4_294_967_296;
    const gq = Math.min(levels, Math.max(-levels, Math.floor(gh[2 * i]! * ig + u1)));
    const hq = Math.min(levels, Math.max(0, Math.floor(gh[2 * i + 1]! * ih + u2)));
    packed[i] = gq * PACK + hq;
  }
}

/** A packed sum's g-level total (the h-level total is `v − g · 2^26`). */
function packedG(v: number): number {
  return Math.floor(v / PACK);
}

function sampleRows(a: RowPassArrays, rate: number, random: Random, buf: Uint32Array): Uint32Array {
  const { trainRows: rows, grown } = a;
  if (rate >= 1) {
    buf.set(rows);
    return buf;
  }
  let n = 0;
  for (let k = 0; k < rows.length; k++) {
    const take = random.next() < rate ? 1 : 0;
    grown[k] = take;
    buf[n] = rows[k]!;
    n += take;
  }
  return buf.subarray(0, n);
}

/** Buckets of the |g| histogram GOSS finds its threshold in. */
const GOSS_BUCKETS = 4096;

/** GOSS, first part: each row's |g| bucket (params[0] = buckets per unit of |g|), counted. */
function gossCountPass(a: RowPassArrays, begin: number, end: number, counts: Int32Array): void {
  const { trainRows: rows, gh, codes } = a;
  const scaleToBucket = a.params[0]!;
  counts.fill(0);
  for (let k = begin; k < end; k++) {
    const c = Math.floor(Math.abs(gh[2 * rows[k]!]!) * scaleToBucket);
    codes[k] = c;
    counts[c]!++;
  }
}

/**
 * GOSS (Ke et al. 2017): a tree grows on the rows with |g| at or above a threshold that at least
 * topRate·n rows reach (the lower edge of the 4,096-bucket histogram of |g| where the count from
 * the top first gets there), plus each other row with probability otherRate/(1 − topRate), its g
 * and h scaled by (1 − topRate)/otherRate. This sets the threshold and the rates in `params` for
 * `gossSelectPass`.
 */
function gossSelect(
  a: RowPassArrays,
  rates: { readonly topRate: number; readonly otherRate: number },
  counts: Int32Array,
): void {
  const n = a.trainRows.length;
  const topN = Math.max(1, Math.floor(rates.topRate * n));
  let bucket = GOSS_BUCKETS - 1;
  for (let seen = counts[bucket]!; seen < topN && bucket > 0;) seen += counts[--bucket]!;
  a.params[5] = bucket;
  a.params[6] = rates.otherRate / (1 - rates.topRate);
  a.params[7] = (1 - rates.topRate) / rates.otherRate;
}

/**
 * GOSS, second part, over trainRows[begin, end): the rows at or above the threshold bucket
 * (params[5]), and each other row with probability params[6], its g and h scaled by params[7],
 * drawn from a stream seeded with `seed`; writes them to buf from `at` and returns how many.
 */
function gossSelectPass(
  a: RowPassArrays,
  begin: number,
  end: number,
  seed: number,
  buf: Uint32Array,
  at: number,
): number {
  const { trainRows: rows, gh, codes, grown, params } = a;
  const bucket = params[5]!;
  const keep = params[6]!;
  const scale = params[7]!;
  const random = createRandom(seed);
  // Each other row is kept with probability `keep`: the number of other rows passed over before
  // the next kept one is geometric, drawn once per kept row instead of a draw per row.
  const logMiss = Math.log1p(-keep);
  const gap = (): number => (keep >= 1 ? 0 : Math.floor(Math.log(1 - random.next()) / logMiss));
  let skip = gap();
  let m = at;
  for (let k = begin; k < end; k++) {
    const i = rows[k]!;
    if (codes[k]! >= bucket) {
      buf[m++] = i;
      grown[k] = 1;
    } else if (skip > 0) {
      skip--;
      grown[k] = 0;
    } else {
      gh[2 * i]! *= scale;
      gh[2 * i + 1]! *= scale;
      buf[m++] = i;
      grown[k] = 1;
      skip = gap();
    }
  }
  return m - at;
}

function sampleFeatures(cols: number, rate: number, random: Random): Int32Array {
  const k = Math.max(1, Math.round(rate * cols));
  const all = Int32Array.from({ length: cols }, (_, j) => j);
  for (let i = 0; i < k; i++) {
    const j = i + random.int(cols - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}

/** The bins of `rows` rows in column-major order: feature f of row i at f·rows + i. */
function columnMajor(
  bins: Uint8Array,
  rows: number,
  cols: number,
  stride: number,
  out: Uint8Array,
): Uint8Array {
  for (let i = 0; i < rows; i++)
    for (let f = 0, o = i * stride; f < cols; f++) out[f * rows + i] = bins[o + f]!;
  return out;
}

function setPassTree(t: PassTree, tree: RegressionTree, binThreshold: Uint8Array): void {
  t.feature.set(tree.feature);
  t.left.set(tree.left);
  t.right.set(tree.right);
  t.defaultLeft.set(tree.defaultLeft);
  t.bin.set(binThreshold);
  t.value.set(tree.value);
}

/**
 * The tree pass over the training rows at positions [begin, end) that the tree was not grown on
 * (`grown`) and the validation rows [begin2, end2) (their loss sums written to out[at], out[at + 1]).
 */
export function treePass(
  a: RowPassArrays,
  begin: number,
  end: number,
  begin2: number,
  end2: number,
  at: number,
): void {
  if (end > begin) {
    const { trainRows, grown, work } = a;
    let m = begin;
    for (let k = begin; k < end; k++) {
      work[m] = trainRows[k]!;
      m += 1 - grown[k]!;
    }
    addTreePartitioned(a.tree, a.columns, a.columnRows, work, begin, m, a.scratch, a.margin);
  }
  const e = a.eval;
  if (e === null) return;
  const { rows, work, weights, margin, labels } = e;
  if (end2 > begin2)
    addTreePartitioned(a.tree, e.columns, e.columnRows, work, begin2, end2, e.scratch, margin);
  let sw = 0;
  let sl = 0;
  for (let k = begin2; k < end2; k++) {
    const i = rows[k]!;
    const w = weights === null ? 1 : weights[i]!;
    const z = margin[i]!;
    const y = labels[i]!;
    // logloss from the margin: softplus(z) − y·z, stable for large |z|.
    const l =
      a.objective === 'logloss' ? Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z : (z - y) ** 2;
    sw += w;
    sl += w * l;
  }
  a.out[at] = sw;
  a.out[at + 1] = sl;
}

/**
 * Stable partition of rows[begin, end) by a split (bins ≤ `bin` left, missing to the default
 * side), reading the split feature's `column`: left rows stay from `begin`, right ones follow,
 * each side in its old order; scratch[begin, end) holds the right side meanwhile. Returns where
 * the right side starts.
 */
function partitionRows(
  rows: Uint32Array,
  begin: number,
  end: number,
  column: Uint8Array,
  bin: number,
  defaultLeft: boolean,
  side: Uint8Array,
  scratch: Uint32Array,
): number {
  // side[b] = 1 when bin b goes left: a table lookup instead of a branch per row.
  for (let b = 0; b < 256; b++) side[b] = b <= bin ? 1 : 0;
  side[MISSING_BIN] = defaultLeft ? 1 : 0;
  let nl = begin;
  let nr = begin;
  for (let k = begin; k < end; k++) {
    const i = rows[k]!;
    const left = side[column[i]!]!;
    // Write to both sides, advance one (branch-free); nl <= k, so no unread row is overwritten.
    rows[nl] = i;
    scratch[nr] = i;
    nl += left;
    nr += 1 - left;
  }
  rows.set(scratch.subarray(begin, nr), nl);
  return nl;
}

/**
 * margin[i] += the tree's value for each row i of rows[begin, end), found as the grower found its
 * own rows' leaves: the rows are partitioned node by node (reordering them, scratch[begin, end)
 * the other side), reading one column-major feature per split — a pass per level, no walk per row.
 */
function addTreePartitioned(
  tree: PassTree,
  columns: Uint8Array,
  columnRows: number,
  rows: Uint32Array,
  begin0: number,
  end0: number,
  scratch: Uint32Array,
  margin: Float64Array,
): void {
  const { feature, defaultLeft, left, right, value, bin: binThreshold } = tree;
  const side = new Uint8Array(256);
  // A stack of (node, begin, end).
  const stack: number[] = [0, begin0, end0];
  while (stack.length > 0) {
    const end = stack.pop()!;
    const begin = stack.pop()!;
    const node = stack.pop()!;
    if (begin === end) continue;
    const f = feature[node]!;
    if (f < 0) {
      const v = value[node]!;
      for (let k = begin; k < end; k++) margin[rows[k]!]! += v;
      continue;
    }
    const column = columns.subarray(f * columnRows, (f + 1) * columnRows);
    const nl = partitionRows(
      rows,
      begin,
      end,
      column,
      binThreshold[node]!,
      defaultLeft[node] === 1,
      side,
      scratch,
    );
    stack.push(left[node]!, begin, nl, right[node]!, nl, end);
  }
}

/** parent −= child over the given features' histograms (the subtraction trick). */
function subtractHistograms(parent: Float64Array, child: Float64Array, feats: Int32Array): void {
  for (let k = 0; k < feats.length; k++) {
    const o = feats[k]! * HIST_STRIDE;
    for (let j = o; j < o + HIST_STRIDE; j++) parent[j]! -= child[j]!;
  }
}

/**
 * The histogram of rows rowIdx[begin, end) over features feats[qBegin, qEnd): at
 * `hist[at + f·512 + 2b]` the sum of g, at `+ 1` the sum of h, of the rows whose feature f falls
 * in bin b (missing in bin 255); those features' cells are zeroed first. Each cell is summed over
 * the rows in their order, so splitting the features between threads gives the same values.
 * With every feature and a range of whole 4-byte words, rows are read four bins at a time.
 */
export function buildHistogram(
  hist: Float64Array,
  at: number,
  bins: Uint8Array,
  stride: number,
  cols: number,
  rowIdx: Uint32Array,
  begin: number,
  end: number,
  gh: Float64Array,
  feats: Int32Array,
  qBegin: number,
  qEnd: number,
  packed: Float64Array | null = null,
): void {
  // Most of the features (column sampling ≥ 3/4): every feature four bins at a time is faster
  // than the sampled ones one by one; the others' cells are written but never read.
  if (feats.length !== cols && qBegin === 0 && qEnd === feats.length && 4 * feats.length >= 3 * cols) {
    qEnd = cols;
    feats = Int32Array.from({ length: cols }, (_, j) => j);
  }
  if (
    feats.length === cols &&
    LITTLE_ENDIAN &&
    (qBegin & 3) === 0 &&
    ((qEnd & 3) === 0 || qEnd === cols) &&
    (bins.byteOffset & 3) === 0
  ) {
    // All features: words [w0, w1) of each row; padding columns land in unused slots.
    const words = new Uint32Array(bins.buffer, bins.byteOffset, bins.length >>> 2);
    const nw = stride >>> 2;
    const w0 = qBegin >>> 2;
    const w1 = (qEnd + 3) >>> 2;
    hist.fill(0, at + 4 * w0 * HIST_STRIDE, at + 4 * w1 * HIST_STRIDE);
    if (packed !== null) {
      // One add per feature: the packed levels go to the g cell, the h cell stays 0.
      for (let k = begin; k < end; k++) {
        const i = rowIdx[k]!;
        const v = packed[i]!;
        const base = i * nw;
        for (let q = w0, o = at + 4 * w0 * HIST_STRIDE; q < w1; q++, o += 4 * HIST_STRIDE) {
          const w = words[base + q]!;
          hist[o + ((w & 255) << 1)]! += v;
          hist[o + HIST_STRIDE + (((w >>> 8) & 255) << 1)]! += v;
          hist[o + 2 * HIST_STRIDE + (((w >>> 16) & 255) << 1)]! += v;
          hist[o + 3 * HIST_STRIDE + ((w >>> 24) << 1)]! += v;
        }
      }
      return;
    }
    for (let k = begin; k < end; k++) {
      const i = rowIdx[k]!;
      const g = gh[2 * i]!;
      const h = gh[2 * i + 1]!;
      const base = i * nw;
      for (let q = w0, o = at + 4 * w0 * HIST_STRIDE; q < w1; q++, o += 4 * HIST_STRIDE) {
        const w = words[base + q]!;
        let a = o + ((w & 255) << 1);
        hist[a]! += g;
        hist[a + 1]! += h;
        a = o + HIST_STRIDE + (((w >>> 8) & 255) << 1);
        hist[a]! += g;
        hist[a + 1]! += h;
        a = o + 2 * HIST_STRIDE + (((w >>> 16) & 255) << 1);
        hist[a]! += g;
        hist[a + 1]! += h;
        a = o + 3 * HIST_STRIDE + ((w >>> 24) << 1);
        hist[a]! += g;
        hist[a + 1]! += h;
      }
    }
    return;
  }
  for (let q = qBegin; q < qEnd; q++) {
    const o = at + feats[q]! * HIST_STRIDE;
    hist.fill(0, o, o + HIST_STRIDE);
  }
  if (packed !== null) {
    for (let k = begin; k < end; k++) {
      const i = rowIdx[k]!;
      const v = packed[i]!;
      const base = i * stride;
      for (let q = qBegin; q < qEnd; q++) {
        const f = feats[q]!;
        hist[at + f * HIST_STRIDE + (bins[base + f]! << 1)]! += v;
      }
    }
    return;
  }
  for (let k = begin; k < end; k++) {
    const i = rowIdx[k]!;
    const g = gh[2 * i]!;
    const h = gh[2 * i + 1]!;
    const base = i * stride;
    for (let q = qBegin; q < qEnd; q++) {
      const f = feats[q]!;
      const a = at + f * HIST_STRIDE + (bins[base + f]! << 1);
      hist[a]! += g;
      hist[a + 1]! += h;
    }
  }
}

/** A node with at least twice this many rows has its histogram built in two halves. */
export const HISTOGRAM_HALF_ROWS = 2048;

/** Where a node's rows [begin, end) are cut in two for its histogram, or -1 when they are not. */
export function histogramHalves(begin: number, end: number): number {
  return end - begin >= 2 * HISTOGRAM_HALF_ROWS ? begin + ((end - begin) >>> 1) : -1;
}

/** hist[at …] += part[partAt …] over the features `buildHistogram` wrote for `feats`. */
export function addHistogram(
  hist: Float64Array,
  at: number,
  part: Float64Array,
  partAt: number,
  stride: number,
  cols: number,
  feats: Int32Array,
): void {
  if (feats.length === cols) {
    for (let j = 0, n = stride * HIST_STRIDE; j < n; j++) hist[at + j]! += part[partAt + j]!;
    return;
  }
  for (let q = 0; q < feats.length; q++) {
    const o = feats[q]! * HIST_STRIDE;
    for (let j = o; j < o + HIST_STRIDE; j++) hist[at + j]! += part[partAt + j]!;
  }
}

/**
 * A node's histogram over `feats`: `buildHistogram` of all its rows, or for a large node (see
 * {@link histogramHalves}) of its first half into `hist` and its second into `part`, then added —
 * a fixed decomposition, so two threads can build the halves and give the same values.
 */
export function buildNodeHistogram(
  hist: Float64Array,
  at: number,
  part: Float64Array,
  partAt: number,
  bins: Uint8Array,
  stride: number,
  cols: number,
  rowIdx: Uint32Array,
  begin: number,
  end: number,
  gh: Float64Array,
  feats: Int32Array,
  packed: Float64Array | null = null,
): void {
  const nf = feats.length;
  const mid = histogramHalves(begin, end);
  if (mid < 0) {
    buildHistogram(hist, at, bins, stride, cols, rowIdx, begin, end, gh, feats, 0, nf, packed);
    return;
  }
  buildHistogram(hist, at, bins, stride, cols, rowIdx, begin, mid, gh, feats, 0, nf, packed);
  buildHistogram(part, partAt, bins, stride, cols, rowIdx, mid, end, gh, feats, 0, nf, packed);
  addHistogram(hist, at, part, partAt, stride, cols, feats);
}

/** Values per feature in a histogram (256 bins × gradient and hessian). */
export const HISTOGRAM_FEATURE_STRIDE = 512;

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Histogram layout: per feature 256 bins × (gradient, hessian); the missing bin is the last. */
const HIST_STRIDE = HISTOGRAM_FEATURE_STRIDE;

interface Split {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
}

interface Leaf {
  node: number;
  begin: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array | null;
  split: Split | null;
}

class TreeGrower {
  private readonly nBins: Int32Array;
  private readonly scratch: Uint32Array;
  private readonly pool: Float64Array[] = [];
  private readonly side = new Uint8Array(256);
  private readonly slotOf = new Map<Float64Array, number>();
  private part: Float64Array | null = null;
  /** With quantised gradients: the scales of this tree's levels (set before each `grow`). */
  scales = { g: 1, h: 1 };

  constructor(
    private readonly bins: Uint8Array,
    private readonly columns: Uint8Array,
    private readonly cols: number,
    private readonly stride: number,
    private readonly bounds: BinBounds,
    private readonly p: Params,
    rows: number,
    private readonly builder: HistogramBuilder | undefined,
    private readonly packed: Float64Array | null,
  ) {
    this.nBins = Int32Array.from(bounds, (b) => b.length);
    this.scratch = new Uint32Array(rows);
  }

  grow(
    rowIdx: Uint32Array,
    feats: Int32Array,
    gh: Float64Array,
  ): { tree: RegressionTree; binThreshold: Uint8Array; leafRanges: Int32Array } {
    const p = this.p;
    const nodes = new NodeBuilder();
    let g = 0;
    let h = 0;
    const packed = this.packed;
    if (packed !== null) {
      // The root's sums in the histograms' units, so that children are its exact parts.
      let v = 0;
      for (let k = 0; k < rowIdx.length; k++) v += packed[rowIdx[k]!]!;
      const gq = packedG(v);
      g = gq * this.scales.g;
      h = (v - gq * PACK) * this.scales.h;
    } else {
      for (let k = 0; k < rowIdx.length; k++) {
        const i = rowIdx[k]!;
        g += gh[2 * i]!;
        h += gh[2 * i + 1]!;
      }
    }
    const root: Leaf = {
      node: nodes.add(this.leafValue(g, h), h),
      begin: 0,
      end: rowIdx.length,
      depth: 0,
      g,
      h,
      hist: null,
      split: null,
    };
    const candidates: Leaf[] = [];
    const all: Leaf[] = [root];
    if (this.splittable(root)) {
      root.hist = this.take();
      this.build(root.hist, rowIdx, root.begin, root.end, feats, gh);
      this.consider(root, feats, candidates);
    }
    let leaves = 1;
    while (leaves < p.maxLeaves && candidates.length > 0) {
      let bi = 0;
      for (let c = 1; c < candidates.length; c++)
        if (candidates[c]!.split!.gain > candidates[bi]!.split!.gain) bi = c;
      const parent = candidates[bi]!;
      candidates.splice(bi, 1);
      const s = parent.split!;
      const mid = this.partition(rowIdx, parent.begin, parent.end, s);
      const gr = parent.g - s.gl;
      const hr = parent.h - s.hl;
      const l: Leaf = {
        node: nodes.add(this.leafValue(s.gl, s.hl), s.hl),
        begin: parent.begin,
        end: mid,
        depth: parent.depth + 1,
        g: s.gl,
        h: s.hl,
        hist: null,
        split: null,
      };
      const r: Leaf = {
        node: nodes.add(this.leafValue(gr, hr), hr),
        begin: mid,
        end: parent.end,
        depth: parent.depth + 1,
        g: gr,
        h: hr,
        hist: null,
        split: null,
      };
      nodes.setSplit(
        parent.node,
        s.feature,
        this.bounds[s.feature]![s.bin]!,
        s.bin,
        s.defaultLeft,
        l.node,
        r.node,
        s.gain,
      );
      leaves++;
      all.push(l, r);
      const parentHist = parent.hist!;
      if (leaves < p.maxLeaves && (this.splittable(l) || this.splittable(r))) {
        const [small, large] = l.end - l.begin <= r.end - r.begin ? [l, r] : [r, l];
        const smallHist = this.take();
        small.hist = smallHist;
        this.build(smallHist, rowIdx, small.begin, small.end, feats, gh);
        subtractHistograms(parentHist, smallHist, feats);
        large.hist = parentHist;
        for (const child of [l, r]) {
          if (this.splittable(child)) this.consider(child, feats, candidates);
          if (child.split === null) this.release(child);
        }
      } else {
        this.release(parent);
      }
    }
    for (const c of candidates) this.release(c);
    const final = all.filter((leaf) => nodes.isLeaf(leaf.node));
    if (packed !== null) {
      // Splits were chosen on the levels; values and covers come from the exact gradients.
      const exact = new Float64Array(2 * nodes.size);
      for (const leaf of final) {
        let lg = 0;
        let lh = 0;
        for (let k = leaf.begin; k < leaf.end; k++) {
          const i = rowIdx[k]!;
          lg += gh[2 * i]!;
          lh += gh[2 * i + 1]!;
        }
        exact[2 * leaf.node] = lg;
        exact[2 * leaf.node + 1] = lh;
      }
      nodes.renew(exact, (ng, nh) => this.leafValue(ng, nh));
    }
    const leafRanges = new Int32Array(3 * final.length);
    final.forEach((leaf, q) => {
      leafRanges[3 * q] = leaf.node;
      leafRanges[3 * q + 1] = leaf.begin;
      leafRanges[3 * q + 2] = leaf.end;
    });
    return { ...nodes.finish(), leafRanges };
  }

  private splittable(leaf: Leaf): boolean {
    return leaf.depth < this.p.maxDepth && leaf.end - leaf.begin >= 2 && leaf.h >= 2 * this.p.minChildWeight;
  }

  private leafValue(g: number, h: number): number {
    const d = h + this.p.lambda;
    return d > 0 ? (-this.p.eta * g) / d : 0;
  }

  private take(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.stride * HIST_STRIDE);
  }

  /** With a histogram builder, the histograms are the slots of its shared arena. */
  useSlots(hists: Float64Array, slots: number): void {
    const size = this.stride * HIST_STRIDE;
    for (let k = slots - 1; k >= 0; k--) {
      const h = hists.subarray(k * size, (k + 1) * size);
      this.slotOf.set(h, k);
      this.pool.push(h);
    }
  }

  private release(leaf: Leaf): void {
    if (leaf.hist !== null) this.pool.push(leaf.hist);
    leaf.hist = null;
  }

  private consider(leaf: Leaf, feats: Int32Array, candidates: Leaf[]): void {
    leaf.split = this.bestSplit(leaf.hist!, leaf.g, leaf.h, feats);
    if (leaf.split !== null) candidates.push(leaf);
  }

  private build(
    hist: Float64Array,
    rowIdx: Uint32Array,
    begin: number,
    end: number,
    feats: Int32Array,
    gh: Float64Array,
  ): void {
    const slot = this.slotOf.get(hist);
    if (this.builder !== undefined && slot !== undefined) this.builder.build(slot, begin, end, feats);
    else {
      buildNodeHistogram(
        hist,
        0,
        (this.part ??= new Float64Array(this.stride * HIST_STRIDE)),
        0,
        this.bins,
        this.stride,
        this.cols,
        rowIdx,
        begin,
        end,
        gh,
        feats,
        this.packed,
      );
    }
    if (this.packed !== null) this.decode(hist, feats);
  }

  /** Packed level sums → g and h sums, in place, for the given features' bins. */
  private decode(hist: Float64Array, feats: Int32Array): void {
    const { g: sg, h: sh } = this.scales;
    for (let q = 0; q < feats.length; q++) {
      for (let j = feats[q]! * HIST_STRIDE, end = j + HIST_STRIDE; j < end; j += 2) {
        const v = hist[j]!;
        if (v === 0) continue;
        const gq = packedG(v);
        hist[j] = gq * sg;
        hist[j + 1] = (v - gq * PACK) * sh;
      }
    }
  }

  private bestSplit(hist: Float64Array, G: number, H: number, feats: Int32Array): Split | null {
    const { lambda, gamma, minChildWeight: mcw } = this.p;
    const parentScore = (G * G) / (H + lambda);
    // A side whose hessian is a rounding residue of H is empty.
    const tiny = 1e-10 * H;
    let bestGain = Math.max(gamma, 1e-12);
    let bestFeature = -1;
    let bestBin = 0;
    let bestDefaultLeft = false;
    let bestGl = 0;
    let bestHl = 0;
    for (let q = 0; q < feats.length; q++) {
      const f = feats[q]!;
      const o = f * HIST_STRIDE;
      const nb = this.nBins[f]!;
      const gm = hist[o + 2 * MISSING_BIN]!;
      const hm = hist[o + 2 * MISSING_BIN + 1]!;
      const hasMissing = hm > 0;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b < nb; b++) {
        const gb = hist[o + 2 * b]!;
        const hb = hist[o + 2 * b + 1]!;
        // An empty bin splits the rows as the bin before it: the same gains, never strictly better
        // (bin 0 is always tried: with missing values left it is the split "missing vs. present").
        if (gb === 0 && hb === 0 && b > 0) continue;
        gl += gb;
        hl += hb;
        // Missing values go right.
        if (b < nb - 1 || hasMissing) {
          const gr = G - gl;
          const hr = H - hl;
          if (hl >= mcw && hr >= mcw && hl > tiny && hr > tiny) {
            const gain = 0.5 * ((gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore);
            if (gain > bestGain) {
              bestGain = gain;
              bestFeature = f;
              bestBin = b;
              // With no missing values here, send unseen ones to the heavier side.
              bestDefaultLeft = !hasMissing && hl >= hr;
              bestGl = gl;
              bestHl = hl;
            }
          }
        }
        // Missing values go left.
        if (hasMissing && b < nb - 1) {
          const gl2 = gl + gm;
          const hl2 = hl + hm;
          const gr = G - gl2;
          const hr = H - hl2;
          if (hl2 >= mcw && hr >= mcw && hl2 > tiny && hr > tiny) {
            const gain = 0.5 * ((gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parentScore);
            if (gain > bestGain) {
              bestGain = gain;
              bestFeature = f;
              bestBin = b;
              bestDefaultLeft = true;
              bestGl = gl2;
              bestHl = hl2;
            }
          }
        }
      }
    }
    if (bestFeature < 0) return null;
    return {
      gain: bestGain,
      feature: bestFeature,
      bin: bestBin,
      defaultLeft: bestDefaultLeft,
      gl: bestGl,
      hl: bestHl,
    };
  }

  private partition(rowIdx: Uint32Array, begin: number, end: number, s: Split): number {
    const n = this.scratch.length;
    const column = this.columns.subarray(s.feature * n, (s.feature + 1) * n);
    return partitionRows(rowIdx, begin, end, column, s.bin, s.defaultLeft, this.side, this.scratch);
  }
}

class NodeBuilder {
  private readonly feature: number[] = [];
  private readonly threshold: number[] = [];
  private readonly binThreshold: number[] = [];
  private readonly defaultLeft: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly value: number[] = [];
  private readonly cover: number[] = [];
  private readonly gain: number[] = [];

  isLeaf(node: number): boolean {
    return this.feature[node] === -1;
  }

  get size(): number {
    return this.feature.length;
  }

  /**
   * Given every leaf's (g, h) sums at 2·node, 2·node + 1 of `gh`, fills in the internal nodes'
   * (children come after their parent) and sets each node's value and cover from them.
   */
  renew(gh: Float64Array, leafValue: (g: number, h: number) => number): void {
    for (let node = this.feature.length - 1; node >= 0; node--) {
      if (this.feature[node] !== -1) {
        const l = this.left[node]!;
        const r = this.right[node]!;
        gh[2 * node] = gh[2 * l]! + gh[2 * r]!;
        gh[2 * node + 1] = gh[2 * l + 1]! + gh[2 * r + 1]!;
      }
      this.value[node] = leafValue(gh[2 * node]!, gh[2 * node + 1]!);
      this.cover[node] = gh[2 * node + 1]!;
    }
  }

  add(value: number, cover: number): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.binThreshold.push(0);
    this.defaultLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push(value);
    this.cover.push(cover);
    this.gain.push(0);
    return this.feature.length - 1;
  }

  setSplit(
    node: number,
    feature: number,
    threshold: number,
    bin: number,
    defaultLeft: boolean,
    left: number,
    right: number,
    gain: number,
  ): void {
    this.feature[node] = feature;
    this.threshold[node] = threshold;
    this.binThreshold[node] = bin;
    this.defaultLeft[node] = defaultLeft ? 1 : 0;
    this.left[node] = left;
    this.right[node] = right;
    this.gain[node] = gain;
  }

  finish(): { tree: RegressionTree; binThreshold: Uint8Array } {
    return {
      tree: {
        feature: Int32Array.from(this.feature),
        threshold: Float64Array.from(this.threshold),
        defaultLeft: Uint8Array.from(this.defaultLeft),
        left: Int32Array.from(this.left),
        right: Int32Array.from(this.right),
        value: Float64Array.from(this.value),
        cover: Float64Array.from(this.cover),
        gain: Float64Array.from(this.gain),
      },
      binThreshold: Uint8Array.from(this.binThreshold),
    };
  }
}
