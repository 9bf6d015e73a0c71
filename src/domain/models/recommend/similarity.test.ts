import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentSimilarities, nameTokens } from './content.js';
import { basketsFromEntries, itemSimilarities, neighboursOf } from './similarity.js';

// Items: A = 0, B = 1, C = 2. Baskets {A,B}, {A,B}, {A,C}, {B}.
const baskets = basketsFromEntries(
  3,
  Int32Array.from([0, 0, 1, 1, 2, 2, 3]),
  Int32Array.from([0, 1, 0, 1, 0, 2, 1]),
);
const base = { shrinkage: 0, topK: 10, minSupport: 1 };

describe('item similarities', () => {
  it('equals cosine of the co-occurrence at alpha one half', () => {
    const lists = itemSimilarities(baskets, { ...base, alpha: 0.5 });
    const a = neighboursOf(lists, 0);
    expect(a.map((n) => n.item)).toEqual([1, 2]);
    expect(a[0]!.score).toBeCloseTo(2 / 3, 6); // 2 / sqrt(3 · 3)
    expect(a[1]!.score).toBeCloseTo(1 / Math.sqrt(3), 6); // 1 / sqrt(3 · 1)
    expect(a[0]!.support).toBeCloseTo(2, 4);
  });

  it('ranks a rarer co-purchase above a best-seller when alpha penalises popularity', () => {
    const lists = itemSimilarities(baskets, { ...base, alpha: 0.9 });
    const a = neighboursOf(lists, 0);
    expect(a.map((n) => n.item)).toEqual([2, 1]);
    expect(a[0]!.score).toBeCloseTo(1 / Math.pow(3, 0.1), 6);
  });

  it('shrinks pairs seen in few baskets and drops pairs under the minimum support', () => {
    const shrunk = neighboursOf(itemSimilarities(baskets, { ...base, alpha: 0.5, shrinkage: 10 }), 0);
    expect(shrunk[0]!.score).toBeCloseTo(2 / (3 + 10), 6);
    const strict = neighboursOf(itemSimilarities(baskets, { ...base, alpha: 0.5, minSupport: 2 }), 0);
    expect(strict.map((n) => n.item)).toEqual([1]);
  });

  it('merges an item listed twice in one basket, keeping the larger weight', () => {
    const b = basketsFromEntries(
      2,
      Int32Array.from([0, 0, 0]),
      Int32Array.from([0, 1, 0]),
      Float32Array.from([0.3, 1, 1]),
    );
    expect(Array.from(b.items)).toEqual([0, 1]);
    expect(Array.from(b.weights!)).toEqual([1, 1]);
  });

  it('is symmetric at alpha one half and keeps at most K neighbours, best first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 8 }),
        (sets, k) => {
          const basketOf = Int32Array.from(sets.flatMap((s, b) => s.map(() => b)));
          const itemOf = Int32Array.from(sets.flat());
          const full = itemSimilarities(basketsFromEntries(8, basketOf, itemOf), { ...base, alpha: 0.5 });
          for (let i = 0; i < 8; i++)
            for (const n of neighboursOf(full, i)) {
              const back = neighboursOf(full, n.item).find((m) => m.item === i);
              expect(back?.score).toBeCloseTo(n.score, 5);
            }
          const top = itemSimilarities(basketsFromEntries(8, basketOf, itemOf), {
            ...base,
            alpha: 0.7,
            topK: k,
          });
          for (let i = 0; i < 8; i++) {
            const row = neighboursOf(top, i);
            expect(row.length).toBeLessThanOrEqual(k);
            for (let r = 1; r < row.length; r++)
              expect(row[r - 1]!.score).toBeGreaterThanOrEqual(row[r]!.score);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('content similarity', () => {
  it('keeps words and drops sizes from product names', () => {
    expect(nameTokens('Ethiopia Whole Bean 250g')).toEqual(['ethiopia', 'whole', 'bean']);
  });

  it('scores the same category, a shared name word and a close price above an unrelated product', () => {
    const lists = contentSimilarities(
      [
        { category: 'coffee', name: 'Kenya Whole Bean', priceMinor: 1599 },
        { category: 'coffee', name: 'Colombia Whole Bean', priceMinor: 1699 },
        { category: 'coffee', name: 'Espresso Capsules', priceMinor: 899 },
        { category: 'tea', name: 'Sencha Loose Leaf', priceMinor: 1599 },
      ],
      { topK: 5 },
    );
    const row = neighboursOf(lists, 0);
    expect(row.map((n) => n.item)).toEqual([1, 2]);
    expect(row[0]!.score).toBeGreaterThan(0.5 + 0.14); // category + most of the price term + names
    expect(row[0]!.score).toBeLessThanOrEqual(1);
  });
});
