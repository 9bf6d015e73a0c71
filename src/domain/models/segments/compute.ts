/**
 * A full segmentation run over a store in columns: RFM boundaries and scores, named segments,
 * behavioural clusters. And the time-driven refresh: who moved segment because time passed.
 */
import type { Random } from '../../random.js';
import {
  behaviourMatrix,
  fitClusters,
  type BehaviourColumns,
  type ClusterModel,
  type ClusterOptions,
} from './clusters.js';
import {
  DAY_MS,
  recencyCrossing,
  rfmBoundaries,
  rfmScore,
  SEGMENTS,
  type RfmBoundaries,
  type SegmentName,
} from './rfm.js';

/** Per-customer columns of a store's customers who have ordered. */
export interface SegmentInput extends BehaviourColumns {
  /** Epoch ms of each customer's last non-cancelled order. */
  readonly lastOrderAt: ArrayLike<number>;
  /** Number of non-cancelled orders (= `orders`). */
  readonly monetaryMinor: ArrayLike<number>;
}

export interface SegmentRun {
  readonly asOf: number;
  readonly boundaries: RfmBoundaries;
  readonly r: Uint8Array;
  readonly f: Uint8Array;
  readonly m: Uint8Array;
  /** Index into SEGMENTS. */
  readonly segment: Uint8Array;
  readonly clusters: ClusterModel;
  readonly cluster: Int32Array;
}

export function recencyDaysAt(lastOrderAt: number, asOf: number): number {
  return Math.max(0, (asOf - lastOrderAt) / DAY_MS);
}

/** Scores and clusters every customer as of `asOf` (epoch ms). */
export function computeSegments(
  input: SegmentInput,
  asOf: number,
  random: Random,
  options: ClusterOptions = {},
): SegmentRun {
  const n = input.rows;
  if (n === 0) throw new RangeError('computeSegments: no customers with orders');
  const recency = new Float64Array(n);
  for (let i = 0; i < n; i++) recency[i] = recencyDaysAt(input.lastOrderAt[i] as number, asOf);
  const boundaries = rfmBoundaries(recency, input.orders, input.monetaryMinor);
  const r = new Uint8Array(n);
  const f = new Uint8Array(n);
  const m = new Uint8Array(n);
  const segment = new Uint8Array(n);
  const index = new Map<SegmentName, number>(SEGMENTS.map((s, i) => [s, i]));
  for (let i = 0; i < n; i++) {
    const s = rfmScore(
      {
        recencyDays: recency[i] as number,
        frequency: input.orders[i] as number,
        monetaryMinor: input.monetaryMinor[i] as number,
      },
      boundaries,
    );
    r[i] = s.r;
    f[i] = s.f;
    m[i] = s.m;
    segment[i] = index.get(s.segment) as number;
  }
  const fit = fitClusters(behaviourMatrix(input), random, options);
  return { asOf, boundaries, r, f, m, segment, clusters: fit.model, cluster: fit.assignment };
}

/** A stored membership, as the refresh reads it. */
export interface StoredMembership {
  readonly customerId: string;
  readonly lastOrderAt: number;
  readonly frequency: number;
  readonly monetaryMinor: number;
  readonly segment: SegmentName;
  /** When the membership was last evaluated (epoch ms). */
  readonly evaluatedAt: number;
}

export interface MembershipChange {
  readonly customerId: string;
  readonly from: SegmentName;
  readonly to: SegmentName;
  readonly r: number;
  readonly f: number;
  readonly m: number;
  readonly recencyDays: number;
  /** When the move happened: the instant recency crossed the boundary (or `asOf`). */
  readonly at: number;
}

/**
 * Re-scores stored memberships as of `asOf` with the kept boundaries: only recency moves with
 * time, so the customers whose segment changes are those whose recency crossed an R boundary.
 * Returns every membership's new scores and the changes (with the crossing time).
 */
export function refreshMemberships(
  memberships: readonly StoredMembership[],
  boundaries: RfmBoundaries,
  asOf: number,
): { changes: MembershipChange[]; scores: Array<MembershipChange | null> } {
  const changes: MembershipChange[] = [];
  const scores: Array<MembershipChange | null> = [];
  for (const s of memberships) {
    const recencyDays = recencyDaysAt(s.lastOrderAt, asOf);
    const score = rfmScore(
      { recencyDays, frequency: s.frequency, monetaryMinor: s.monetaryMinor },
      boundaries,
    );
    const at = recencyCrossing(s.lastOrderAt, s.evaluatedAt, asOf, boundaries) ?? asOf;
    const row = {
      customerId: s.customerId,
      from: s.segment,
      to: score.segment,
      r: score.r,
      f: score.f,
      m: score.m,
      recencyDays,
      at,
    };
    scores.push(row);
    if (score.segment !== s.segment) changes.push(row);
  }
  return { changes, scores };
}
