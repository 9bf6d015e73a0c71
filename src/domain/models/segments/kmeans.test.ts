import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { BEHAVIOUR_FEATURES, describeCentroid, fitClusters } from './clusters.js';
import { kMeans, silhouette, type Matrix } from './kmeans.js';

function blobs(
  perBlob: number,
  centres: number[][],
  sd: number,
  seed: number,
): { x: Matrix; truth: number[] } {
  const rnd = createRandom(seed);
  const cols = centres[0]!.length;
  const values: number[] = [];
  const truth: number[] = [];
  centres.forEach((c, k) => {
    for (let i = 0; i < perBlob; i++) {
      for (let j = 0; j < cols; j++) values.push(c[j]! + rnd.normal(0, sd));
      truth.push(k);
    }
  });
  return { x: { values: Float64Array.from(values), rows: truth.length, cols }, truth };
}

describe('k-means and the silhouette', () => {
  it('computes the silhouette of a hand-worked example (as scikit-learn does)', () => {
    // 1-D points 0, 1 | 10, 11: s(0) = (10.5 − 1)/10.5, s(1) = (9.5 − 1)/9.5, symmetric.
    const x = { values: Float64Array.from([0, 1, 10, 11]), rows: 4, cols: 1 };
    const expected = (9.5 / 10.5 + 8.5 / 9.5) / 2;
    expect(silhouette(x, Int32Array.from([0, 0, 1, 1]), 2)).toBeCloseTo(expected, 12);
  });

  it('recovers three well-separated blobs exactly, the same way for the same seed', () => {
    const { x, truth } = blobs(
      100,
      [
        [0, 0],
        [10, 0],
        [0, 10],
      ],
      1,
      7,
    );
    const a = kMeans(x, 3, createRandom(1));
    const b = kMeans(x, 3, createRandom(1));
    expect(Array.from(a.assignment)).toEqual(Array.from(b.assignment));
    // Each true blob maps to one cluster and the clusters differ.
    const map = new Map<number, Set<number>>();
    truth.forEach((t, i) => map.set(t, (map.get(t) ?? new Set()).add(a.assignment[i]!)));
    for (const s of map.values()) expect(s.size).toBe(1);
    expect(new Set([...map.values()].map((s) => [...s][0])).size).toBe(3);
  });

  it('chooses k by the silhouette: four blobs give k = 4', () => {
    const cols = BEHAVIOUR_FEATURES.length;
    const centres = [0, 1, 2, 3].map((k) =>
      Array.from({ length: cols }, (_, j) => (j === k ? 8 : j === k + 4 ? 4 : 0)),
    );
    // Features that are not logged would be fine as they are; make them positive so log1p keeps the separation.
    const { x } = blobs(
      150,
      centres.map((c) => c.map((v) => v + 10)),
      0.5,
      3,
    );
    const fit = fitClusters(x, createRandom(5), { kMin: 2, kMax: 7 });
    expect(fit.model.k).toBe(4);
    expect(fit.model.clusters.map((c) => c.size).sort()).toEqual([150, 150, 150, 150]);
  });

  it('describes a centroid by its largest z-scores in words', () => {
    const z = [1.4, 0.9, -1.1, 0, 0.2, 0, 0, -0.3];
    expect(describeCentroid(z)).toBe('frequent, rarely uses discounts, high spend per order');
    expect(describeCentroid(new Array(8).fill(0.1))).toBe('close to the store average');
  });
});
