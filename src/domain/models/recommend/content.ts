/**
 * Content-based item similarity from the attributes the catalog events carry (category, price,
 * name), for products nobody has bought yet and customers with little history.
 *
 *   s(i, j) = w_cat · [category(i) = category(j)]
 *           + w_name · cos(tfidf(name i), tfidf(name j))
 *           + w_price · max(0, 1 − |ln price(i) − ln price(j)| / ln 4)     (same price band)
 *
 * with w_cat = 0.5, w_name = 0.35, w_price = 0.15 (a missing attribute contributes 0). Name tokens
 * are lower-cased words of two or more letters (numbers and sizes such as "250g" are dropped);
 * idf = ln(P / df). Candidates are the items that share a category or a name token (an inverted
 * index), so the cost stays near-linear in the catalog size for realistic catalogs.
 */
import type { NeighbourLists } from './similarity.js';

export interface ProductAttributes {
  readonly category: string | null;
  readonly name: string | null;
  /** Price in the base currency's minor units; null when unknown. */
  readonly priceMinor: number | null;
}

export const CONTENT_WEIGHTS = { category: 0.5, name: 0.35, price: 0.15 } as const;

/** Words of a product name that say what it is. */
export function nameTokens(name: string | null): string[] {
  if (name === null) return [];
  const out = new Set<string>();
  for (const t of name.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (t.length >= 2 && /^\p{L}+$/u.test(t)) out.add(t);
  }
  return [...out];
}

/** Top-K content neighbours of every item (scores in [0, 1]). */
export function contentSimilarities(
  products: readonly ProductAttributes[],
  options: { topK: number; minScore?: number },
): NeighbourLists {
  const n = products.length;
  const minScore = options.minScore ?? 0.1;
  const tokens = products.map((p) => nameTokens(p.name));
  const df = new Map<string, number>();
  for (const ts of tokens) for (const t of ts) df.set(t, (df.get(t) ?? 0) + 1);
  const vectors = tokens.map((ts) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const t of ts) {
      const w = Math.log(n / (df.get(t) ?? 1));
      if (w > 0) {
        v.set(t, w);
        norm += w * w;
      }
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [t, w] of v) v.set(t, w / norm);
    return v;
  });
  const byKey = new Map<string, number[]>();
  const post = (key: string, i: number): void => {
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(i);
  };
  products.forEach((p, i) => {
    if (p.category !== null) post(`c:${p.category}`, i);
    for (const t of vectors[i]?.keys() ?? []) post(`t:${t}`, i);
  });
  const logPrice = products.map((p) =>
    p.priceMinor !== null && p.priceMinor > 0 ? Math.log(p.priceMinor) : null,
  );

  const offsets = new Int32Array(n + 1);
  const neighbour: number[] = [];
  const score: number[] = [];
  const support: number[] = [];
  const seen = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = products[i] as ProductAttributes;
    const candidates: number[] = [];
    const keys = [
      ...(p.category !== null ? [`c:${p.category}`] : []),
      ...[...(vectors[i]?.keys() ?? [])].map((t) => `t:${t}`),
    ];
    for (const key of keys) {
      for (const j of byKey.get(key) ?? []) {
        if (j !== i && seen[j] !== i) {
          seen[j] = i;
          candidates.push(j);
        }
      }
    }
    const row: Array<{ j: number; s: number }> = [];
    const vi = vectors[i] as Map<string, number>;
    for (const j of candidates) {
      const q = products[j] as ProductAttributes;
      let s = 0;
      if (p.category !== null && p.category === q.category) s += CONTENT_WEIGHTS.category;
      const vj = vectors[j] as Map<string, number>;
      let dot = 0;
      for (const [t, w] of vi) dot += w * (vj.get(t) ?? 0);
      s += CONTENT_WEIGHTS.name * dot;
      const li = logPrice[i];
      const lj = logPrice[j];
      if (li != null && lj != null)
        s += CONTENT_WEIGHTS.price * Math.max(0, 1 - Math.abs(li - lj) / Math.log(4));
      if (s >= minScore) row.push({ j, s });
    }
    row.sort((a, b) => b.s - a.s || a.j - b.j);
    for (const { j, s } of row.slice(0, options.topK)) {
      neighbour.push(j);
      score.push(s);
      support.push(0);
    }
    offsets[i + 1] = neighbour.length;
  }
  return {
    itemCount: n,
    offsets,
    neighbour: Int32Array.from(neighbour),
    score: Float32Array.from(score),
    support: Float32Array.from(support),
    occurrence: new Float64Array(n),
  };
}
