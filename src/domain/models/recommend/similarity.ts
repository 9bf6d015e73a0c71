/**
 * Item-to-item similarity from implicit feedback, popularity-debiased, as top-K neighbour lists.
 *
 * Input: "baskets" in compressed sparse row form — basket b holds the distinct items
 * `items[offsets[b] .. offsets[b+1])` with weights `weights[…]` (1 for a purchase, less for a view).
 * A basket is a customer's whole history (collaborative filtering) or one order (bought together).
 *
 *   C(i, j) = Σ_b w(b, i) · w(b, j)                       weighted co-occurrence
 *   N(i)    = Σ_b w(b, i)²                                 weighted occurrence
 *   s(i→j)  = C(i, j) / (N(i)^(1−α) · N(j)^α + λ)          asymmetric cosine with shrinkage
 *
 * α = ½ is plain cosine; α > ½ divides more by the popularity of the item being recommended (j),
 * so a best-seller that co-occurs with everything no longer tops every list (Aiolli 2013,
 * "Efficient top-N recommendation for very large scale binary rated datasets"). λ shrinks pairs seen
 * in few baskets towards 0 (Koren 2008). Pairs with C(i, j) below `minSupport` are dropped.
 *
 * The count is computed row by row through an inverted index (item → baskets), touching only the
 * pairs that occur: O(Σ_b |b|²) time and O(items) scratch memory, whatever the catalog size.
 */

export interface Baskets {
  /** Number of items (item indices are 0 … itemCount − 1). */
  readonly itemCount: number;
  /** Basket b is items[offsets[b]] … items[offsets[b + 1] − 1]; length = baskets + 1. */
  readonly offsets: Int32Array;
  /** Distinct item indices per basket. */
  readonly items: Int32Array;
  /** Weight of each entry (same length as items); omitted = all 1. */
  readonly weights?: Float32Array;
}

export interface SimilarityOptions {
  /** Popularity exponent α on the recommended item, in [0, 1]; ½ = cosine. */
  readonly alpha: number;
  /** Shrinkage λ ≥ 0 added to the denominator. */
  readonly shrinkage: number;
  /** Neighbours kept per item. */
  readonly topK: number;
  /** Smallest weighted co-occurrence C(i, j) kept. */
  readonly minSupport: number;
}

/** Top-K neighbours per item, best first, in CSR form. */
export interface NeighbourLists {
  readonly itemCount: number;
  /** Item i's neighbours are neighbour[offsets[i]] … neighbour[offsets[i + 1] − 1]. */
  readonly offsets: Int32Array;
  readonly neighbour: Int32Array;
  readonly score: Float32Array;
  /** C(i, j) of each neighbour: how many (weighted) baskets hold both. */
  readonly support: Float32Array;
  /** N(i) per item: its (weighted) basket count. */
  readonly occurrence: Float64Array;
}

/** Builds the basket CSR from per-entry basket ids (entries sorted by basket; duplicates merged, max weight). */
export function basketsFromEntries(
  itemCount: number,
  basketOf: Int32Array,
  itemOf: Int32Array,
  weightOf?: Float32Array,
): Baskets {
  const n = basketOf.length;
  const offsets: number[] = [0];
  const items: number[] = [];
  const weights: number[] = [];
  const seen = new Int32Array(itemCount).fill(-1);
  let current = n > 0 ? (basketOf[0] as number) : 0;
  let start = 0;
  for (let e = 0; e <= n; e++) {
    const b = e < n ? (basketOf[e] as number) : -1;
    if (e === n || b !== current) {
      offsets.push(items.length);
      for (let k = start; k < items.length; k++) seen[items[k] as number] = -1;
      start = items.length;
      current = b;
      if (e === n) break;
    }
    const item = itemOf[e] as number;
    const w = weightOf ? (weightOf[e] as number) : 1;
    const at = seen[item] as number;
    if (at >= 0) {
      if (w > (weights[at] as number)) weights[at] = w;
      continue;
    }
    seen[item] = items.length;
    items.push(item);
    weights.push(w);
  }
  return {
    itemCount,
    offsets: Int32Array.from(offsets),
    items: Int32Array.from(items),
    weights: Float32Array.from(weights),
  };
}

/** The popularity-debiased top-K neighbours of every item (formula in the module comment). */
export function itemSimilarities(baskets: Baskets, options: SimilarityOptions): NeighbourLists {
  const { itemCount, offsets, items } = baskets;
  const weights = baskets.weights;
  const basketCount = offsets.length - 1;
  const { alpha, shrinkage, topK, minSupport } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError('alpha must be in [0, 1]');

  // Inverted index: item → (basket, weight) entries.
  const occurrence = new Float64Array(itemCount);
  const perItem = new Int32Array(itemCount + 1);
  for (let e = 0; e < items.length; e++) perItem[(items[e] as number) + 1]!++;
  for (let i = 0; i < itemCount; i++) perItem[i + 1]! += perItem[i] as number;
  const fill = perItem.slice(0, itemCount);
  const postingBasket = new Int32Array(items.length);
  const postingWeight = new Float32Array(items.length);
  for (let b = 0; b < basketCount; b++) {
    for (let e = offsets[b] as number; e < (offsets[b + 1] as number); e++) {
      const item = items[e] as number;
      const w = weights ? (weights[e] as number) : 1;
      const at = fill[item]!++;
      postingBasket[at] = b;
      postingWeight[at] = w;
      occurrence[item]! += w * w;
    }
  }
  const powOther = Float64Array.from(occurrence, (n) => Math.pow(n, alpha));
  const powSelf = Float64Array.from(occurrence, (n) => Math.pow(n, 1 - alpha));

  const acc = new Float64Array(itemCount);
  const touched = new Int32Array(itemCount);
  const outOffsets = new Int32Array(itemCount + 1);
  const outNeighbour: number[] = [];
  const outScore: number[] = [];
  const outSupport: number[] = [];
  const heapItem = new Int32Array(topK);
  const heapScore = new Float64Array(topK);

  for (let i = 0; i < itemCount; i++) {
    let nTouched = 0;
    for (let p = perItem[i] as number; p < (perItem[i + 1] as number); p++) {
      const b = postingBasket[p] as number;
      const wi = postingWeight[p] as number;
      for (let e = offsets[b] as number; e < (offsets[b + 1] as number); e++) {
        const j = items[e] as number;
        if (j === i) continue;
        if (acc[j] === 0) touched[nTouched++] = j;
        acc[j]! += wi * (weights ? (weights[e] as number) : 1);
      }
    }
    // Keep the top K by score with a small min-heap (ties: lower item index first, for determinism).
    let size = 0;
    const worse = (a: number, sa: number, b: number, sb: number): boolean => sa < sb || (sa === sb && a > b);
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t] as number;
      const c = acc[j] as number;
      acc[j] = 0;
      if (c < minSupport || topK === 0) continue;
      const s = c / ((powSelf[i] as number) * (powOther[j] as number) + shrinkage);
      if (size < topK) {
        let k = size++;
        while (k > 0) {
          const parent = (k - 1) >> 1;
          if (!worse(j, s, heapItem[parent] as number, heapScore[parent] as number)) break;
          heapItem[k] = heapItem[parent] as number;
          heapScore[k] = heapScore[parent] as number;
          k = parent;
        }
        heapItem[k] = j;
        heapScore[k] = s;
      } else if (worse(heapItem[0] as number, heapScore[0] as number, j, s)) {
        let k = 0;
        for (;;) {
          const l = 2 * k + 1;
          if (l >= size) break;
          const r = l + 1;
          const m =
            r < size &&
            worse(
              heapItem[r] as number,
              heapScore[r] as number,
              heapItem[l] as number,
              heapScore[l] as number,
            )
              ? r
              : l;
          if (!worse(heapItem[m] as number, heapScore[m] as number, j, s)) break;
          heapItem[k] = heapItem[m] as number;
          heapScore[k] = heapScore[m] as number;
          k = m;
        }
        heapItem[k] = j;
        heapScore[k] = s;
      }
    }
    const row = Array.from({ length: size }, (_, k) => ({
      j: heapItem[k] as number,
      s: heapScore[k] as number,
    })).sort((a, b) => b.s - a.s || a.j - b.j);
    for (const { j, s } of row) {
      outNeighbour.push(j);
      outScore.push(s);
      // Support recovered from the score: C = s · (denominator).
      outSupport.push(s * ((powSelf[i] as number) * (powOther[j] as number) + shrinkage));
    }
    outOffsets[i + 1] = outNeighbour.length;
  }
  return {
    itemCount,
    offsets: outOffsets,
    neighbour: Int32Array.from(outNeighbour),
    score: Float32Array.from(outScore),
    support: Float32Array.from(outSupport),
    occurrence,
  };
}

/** Item i's neighbours as plain values, best first. */
export function neighboursOf(
  lists: NeighbourLists,
  i: number,
): Array<{ item: number; score: number; support: number }> {
  const out: Array<{ item: number; score: number; support: number }> = [];
  for (let k = lists.offsets[i] as number; k < (lists.offsets[i + 1] as number); k++) {
    out.push({
      item: lists.neighbour[k] as number,
      score: lists.score[k] as number,
      support: lists.support[k] as number,
    });
  }
  return out;
}
