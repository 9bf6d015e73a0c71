/**
 * Behavioural clusters: k-means on standardised behaviour features, k chosen by the (sampled)
 * silhouette, each cluster described in words by the features whose centroid z-score (against the
 * store mean, in standard deviations) is largest.
 *
 * Big stores: k-means for every candidate k runs on a seeded sample (`fitSample` rows), the
 * silhouette on a smaller sample (`silhouetteSample` rows, as scikit-learn's
 * `silhouette_score(sample_size=…)`), and the chosen k is refined with Lloyd iterations on all rows.
 */
import type { Random } from '../../random.js';
import { assignToNearest, kMeans, sampleRows, silhouette, takeRows, type Matrix } from './kmeans.js';

/** One behaviour feature: how it is transformed before standardising and how its extremes read. */
export interface BehaviourFeature {
  readonly name: string;
  readonly description: string;
  /** log1p before standardising (counts and amounts with a long right tail). */
  readonly log: boolean;
  readonly high: string;
  readonly low: string;
}

/** The behaviour features, in column order. */
export const BEHAVIOUR_FEATURES: readonly BehaviourFeature[] = [
  {
    name: 'ordersPerYear',
    description: 'orders ÷ max(tenure, 90 days) in years',
    log: true,
    high: 'frequent',
    low: 'infrequent',
  },
  {
    name: 'averageOrderValue',
    description: 'mean order total, base-currency minor units',
    log: true,
    high: 'high spend per order',
    low: 'low spend per order',
  },
  {
    name: 'discountShare',
    description: 'share of orders with a discount or coupon',
    log: false,
    high: 'often uses discounts',
    low: 'rarely uses discounts',
  },
  {
    name: 'categoryBreadth',
    description: 'distinct product categories bought',
    log: true,
    high: 'buys across many categories',
    low: 'sticks to few categories',
  },
  {
    name: 'emailOpensPerMonth',
    description: 'email opens ÷ tenure in 30-day months (tenure at least one month)',
    log: true,
    high: 'opens emails',
    low: 'rarely opens emails',
  },
  {
    name: 'visitsPerMonth',
    description: 'browsing events (page, product, cart) ÷ tenure in months',
    log: true,
    high: 'browses a lot',
    low: 'rarely browses',
  },
  {
    name: 'reviews',
    description: 'product reviews written',
    log: true,
    high: 'writes reviews',
    low: 'rarely reviews',
  },
  {
    name: 'tickets',
    description: 'support tickets opened',
    log: true,
    high: 'contacts support often',
    low: 'rarely contacts support',
  },
];

/** Per-customer raw behaviour aggregates, one entry per customer (columns). */
export interface BehaviourColumns {
  readonly rows: number;
  readonly orders: ArrayLike<number>;
  readonly tenureDays: ArrayLike<number>;
  readonly orderTotalMinor: ArrayLike<number>;
  readonly discountedOrders: ArrayLike<number>;
  readonly categories: ArrayLike<number>;
  readonly emailOpens: ArrayLike<number>;
  readonly visits: ArrayLike<number>;
  readonly reviews: ArrayLike<number>;
  readonly tickets: ArrayLike<number>;
}

/** The raw feature matrix (before standardising), rows × BEHAVIOUR_FEATURES. */
export function behaviourMatrix(c: BehaviourColumns): Matrix {
  const cols = BEHAVIOUR_FEATURES.length;
  const v = new Float64Array(c.rows * cols);
  for (let i = 0; i < c.rows; i++) {
    const orders = c.orders[i] as number;
    const tenure = Math.max(0, c.tenureDays[i] as number);
    const months = Math.max(1, tenure / 30);
    const o = i * cols;
    v[o] = orders / (Math.max(90, tenure) / 365);
    v[o + 1] = orders > 0 ? (c.orderTotalMinor[i] as number) / orders : 0;
    v[o + 2] = orders > 0 ? (c.discountedOrders[i] as number) / orders : 0;
    v[o + 3] = c.categories[i] as number;
    v[o + 4] = (c.emailOpens[i] as number) / months;
    v[o + 5] = (c.visits[i] as number) / months;
    v[o + 6] = c.reviews[i] as number;
    v[o + 7] = c.tickets[i] as number;
  }
  return { values: v, rows: c.rows, cols };
}

/** Transform (log1p where the feature says so) and z-scoring parameters of a store. */
export interface Standardiser {
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

const transform = (x: number, log: boolean): number => (log ? Math.log1p(Math.max(0, x)) : x);

export function fitStandardiser(
  x: Matrix,
  features: readonly BehaviourFeature[] = BEHAVIOUR_FEATURES,
): Standardiser {
  const mean = new Array<number>(x.cols).fill(0);
  const sq = new Array<number>(x.cols).fill(0);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < x.cols; j++) {
      const t = transform(x.values[i * x.cols + j] as number, features[j]!.log);
      mean[j]! += t;
      sq[j]! += t * t;
    }
  const n = Math.max(1, x.rows);
  const sd = mean.map((s, j) => {
    const m = s / n;
    const v = sq[j]! / n - m * m;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  return { mean: mean.map((s) => s / n), sd };
}

/** The standardised matrix: (transform(x) − mean) / sd per column. */
export function standardise(
  x: Matrix,
  s: Standardiser,
  features: readonly BehaviourFeature[] = BEHAVIOUR_FEATURES,
): Matrix {
  const out = new Float64Array(x.values.length);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < x.cols; j++) {
      const p = i * x.cols + j;
      out[p] = (transform(x.values[p] as number, features[j]!.log) - s.mean[j]!) / s.sd[j]!;
    }
  return { values: out, rows: x.rows, cols: x.cols };
}

export interface ClusterDescription {
  readonly cluster: number;
  readonly size: number;
  /** Centroid z-score of each feature against the store mean. */
  readonly zScores: Readonly<Record<string, number>>;
  /** "frequent, high spend per order, rarely uses discounts". */
  readonly description: string;
}

/** Words for a centroid: up to three features with |z| ≥ 0.5, largest first. */
export function describeCentroid(
  z: ArrayLike<number>,
  features: readonly BehaviourFeature[] = BEHAVIOUR_FEATURES,
  threshold = 0.5,
): string {
  const parts = features
    .map((f, j) => ({ f, z: z[j] as number }))
    .filter((p) => Math.abs(p.z) >= threshold)
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
    .slice(0, 3)
    .map((p) => (p.z > 0 ? p.f.high : p.f.low));
  return parts.length === 0 ? 'close to the store average' : parts.join(', ');
}

export interface ClusterOptions {
  readonly kMin?: number;
  readonly kMax?: number;
  /** Rows k-means sees while choosing k (default 20,000). */
  readonly fitSample?: number;
  /** Rows the silhouette is computed on (default 2,000). */
  readonly silhouetteSample?: number;
  /** Lloyd iterations on all rows once k is chosen (default 10). */
  readonly refineIterations?: number;
}

export interface ClusterModel {
  readonly k: number;
  readonly standardiser: Standardiser;
  /** Row-major centroids in standardised units, k × features. */
  readonly centroids: readonly number[];
  /** Sampled silhouette of each candidate k. */
  readonly silhouettes: ReadonlyArray<{ readonly k: number; readonly silhouette: number }>;
  readonly clusters: readonly ClusterDescription[];
}

export interface ClusterFit {
  readonly model: ClusterModel;
  readonly assignment: Int32Array;
}

/** Fits the clusters of a store: standardise, choose k by silhouette, refine on every row, describe. */
export function fitClusters(raw: Matrix, random: Random, options: ClusterOptions = {}): ClusterFit {
  const kMin = options.kMin ?? 2;
  const kMax = options.kMax ?? 8;
  const standardiser = fitStandardiser(raw);
  const x = standardise(raw, standardiser);
  const fitRows = takeRows(x, sampleRows(x.rows, options.fitSample ?? 20_000, random));
  const silRows = sampleRows(fitRows.rows, options.silhouetteSample ?? 2_000, random);
  const silX = takeRows(fitRows, silRows);
  const silhouettes: Array<{ k: number; silhouette: number }> = [];
  let best: { k: number; silhouette: number; centroids: Float64Array } | null = null;
  for (let k = kMin; k <= Math.min(kMax, fitRows.rows - 1); k++) {
    const fit = kMeans(fitRows, k, random, { maxIterations: 50, tolerance: 1e-4 });
    const a = new Int32Array(silX.rows);
    for (let r = 0; r < silRows.length; r++) a[r] = fit.assignment[silRows[r] as number] as number;
    const s = silhouette(silX, a, k);
    silhouettes.push({ k, silhouette: s });
    if (best === null || s > best.silhouette) best = { k, silhouette: s, centroids: fit.centroids };
  }
  let k: number;
  let assignment: Int32Array;
  let centroids: Float64Array;
  if (best === null) {
    k = 1;
    assignment = new Int32Array(x.rows);
    centroids = Float64Array.from(new Array<number>(x.cols).fill(0));
  } else {
    const refined = kMeans(x, best.k, random, {
      initial: best.centroids,
      maxIterations: options.refineIterations ?? 10,
      tolerance: 1e-4,
    });
    k = best.k;
    assignment = refined.assignment;
    centroids = refined.centroids;
  }
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < assignment.length; i++) sizes[assignment[i] as number]!++;
  const clusters = Array.from({ length: k }, (_, c) => {
    const z = centroids.subarray(c * x.cols, c * x.cols + x.cols);
    return {
      cluster: c,
      size: sizes[c]!,
      zScores: Object.fromEntries(BEHAVIOUR_FEATURES.map((f, j) => [f.name, round3(z[j] as number)])),
      description: describeCentroid(z),
    };
  });
  return {
    model: { k, standardiser, centroids: Array.from(centroids), silhouettes, clusters },
    assignment,
  };
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** The cluster of one customer's raw features under a fitted model (nearest centroid). */
export function assignCluster(model: ClusterModel, raw: ArrayLike<number>): number {
  const x = standardise({ values: Float64Array.from(raw), rows: 1, cols: raw.length }, model.standardiser);
  const out = new Int32Array(1);
  assignToNearest(x, Float64Array.from(model.centroids), model.k, out);
  return out[0] as number;
}
