/**
 * RFM scores and the named segments. Pure: values in, scores out.
 *
 * - Recency R: days from the customer's last (non-cancelled) order to the as-of time; lower is better.
 * - Frequency F: number of non-cancelled orders.
 * - Monetary M: total order value net of refunds, base-currency minor units.
 *
 * Each is scored 1–5 against the store's quintile boundaries (the 20th, 40th, 60th and 80th
 * percentiles of the customers who have ordered), computed once per full run and then kept, so a
 * single customer can be re-scored after an order or a refund without re-scoring the store:
 * F and M score 1 + the number of boundaries the value is above; R scores 5 − that number (a
 * customer who bought more recently than 80 % of the store scores 5). A value equal to a boundary
 * is not above it, so heavy ties (most customers order once) never split a group: with 42 % one-time
 * buyers every one of them has F = 1 and the next score used is 3.
 *
 * The named segment comes from R and FM = round((F + M) / 2) (halves round up) on the 5 × 5 grid
 * documented in docs/MODELS.md and in {@link SEGMENT_DEFINITIONS}; every cell belongs to exactly one
 * of the eleven segments.
 */

export const DAY_MS = 86_400_000;

/** The eleven standard RFM segments, best first. */
export const SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  'Cannot Lose',
  'Hibernating',
  'Lost',
] as const;

export type SegmentName = (typeof SEGMENTS)[number];

export function isSegmentName(s: string): s is SegmentName {
  return (SEGMENTS as readonly string[]).includes(s);
}

/** Each segment's cells on the R × FM grid and its meaning, as written in docs/MODELS.md. */
export const SEGMENT_DEFINITIONS: Readonly<
  Record<
    SegmentName,
    { readonly r: readonly number[]; readonly fm: readonly number[]; readonly meaning: string }
  >
> = {
  Champions: { r: [5], fm: [4, 5], meaning: 'bought very recently, buy often and spend the most' },
  Loyal: { r: [3, 4], fm: [4, 5], meaning: 'buy often and spend a lot, recently enough' },
  'Potential Loyalist': {
    r: [4, 5],
    fm: [2, 3],
    meaning: 'recent customers with average frequency and spend',
  },
  New: { r: [5], fm: [1], meaning: 'bought for the first time very recently' },
  Promising: { r: [4], fm: [1], meaning: 'recent, one small order so far' },
  'Need Attention': { r: [3], fm: [3], meaning: 'average recency, frequency and spend' },
  'About to Sleep': { r: [3], fm: [1, 2], meaning: 'below-average recency, few and small orders' },
  'At Risk': { r: [1, 2], fm: [3, 4], meaning: 'bought often and spent well, but long ago' },
  'Cannot Lose': {
    r: [1, 2],
    fm: [5],
    meaning: 'among the best customers by frequency and spend, but gone quiet',
  },
  Hibernating: { r: [2], fm: [1, 2], meaning: 'last order long ago, few and small orders' },
  Lost: { r: [1], fm: [1, 2], meaning: 'the longest since the last order, few and small orders' },
};

const GRID: SegmentName[] = (() => {
  const g: SegmentName[] = new Array<SegmentName>(25);
  for (const name of SEGMENTS) {
    const d = SEGMENT_DEFINITIONS[name];
    for (const r of d.r) for (const fm of d.fm) g[(r - 1) * 5 + (fm - 1)] = name;
  }
  return g;
})();

/** The quintile boundaries of one run: four ascending cut points per dimension. */
export interface RfmBoundaries {
  /** Days since the last order. */
  readonly recencyDays: readonly number[];
  readonly frequency: readonly number[];
  readonly monetaryMinor: readonly number[];
}

export interface RfmValues {
  readonly recencyDays: number;
  readonly frequency: number;
  readonly monetaryMinor: number;
}

export interface RfmScore {
  readonly r: number;
  readonly f: number;
  readonly m: number;
  readonly fm: number;
  readonly segment: SegmentName;
}

/** The p-quantile of sorted values by linear interpolation between order statistics (type 7, as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

const QUINTILES = [0.2, 0.4, 0.6, 0.8] as const;

function cutPoints(values: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return QUINTILES.map((p) => quantileSorted(sorted, p));
}

/** Quintile boundaries of the store (customers with at least one order). */
export function rfmBoundaries(
  recencyDays: ArrayLike<number>,
  frequency: ArrayLike<number>,
  monetaryMinor: ArrayLike<number>,
): RfmBoundaries {
  if (recencyDays.length === 0) throw new RangeError('rfmBoundaries: no customers with orders');
  if (recencyDays.length !== frequency.length || frequency.length !== monetaryMinor.length)
    throw new RangeError('rfmBoundaries: columns differ in length');
  return {
    recencyDays: cutPoints(recencyDays),
    frequency: cutPoints(frequency),
    monetaryMinor: cutPoints(monetaryMinor),
  };
}

function above(value: number, cuts: readonly number[]): number {
  let n = 0;
  for (const c of cuts) if (value > c) n++;
  return n;
}

/** The segment of an R score and an FM score (both 1–5). */
export function segmentOf(r: number, fm: number): SegmentName {
  const s = GRID[(r - 1) * 5 + (fm - 1)];
  if (s === undefined) throw new RangeError(`segmentOf: scores must be whole numbers 1–5 (r ${r}, fm ${fm})`);
  return s;
}

/** Scores one customer against kept boundaries. */
export function rfmScore(v: RfmValues, b: RfmBoundaries): RfmScore {
  const r = 5 - above(v.recencyDays, b.recencyDays);
  const f = 1 + above(v.frequency, b.frequency);
  const m = 1 + above(v.monetaryMinor, b.monetaryMinor);
  const fm = Math.round((f + m) / 2);
  return { r, f, m, fm, segment: segmentOf(r, fm) };
}

/**
 * When a customer's R score last dropped, if it dropped in (from, to]: the last order time plus
 * the boundary crossed (the transition time of a time-driven move), else null.
 */
export function recencyCrossing(
  lastOrderAt: number,
  from: number,
  to: number,
  b: RfmBoundaries,
): number | null {
  let at: number | null = null;
  for (const c of b.recencyDays) {
    // R drops when recency exceeds the cut point: the first instant strictly past it.
    const t = lastOrderAt + c * DAY_MS;
    if (t >= from && t < to && (at === null || t > at)) at = t;
  }
  return at;
}
