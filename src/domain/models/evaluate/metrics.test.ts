import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  brierScore,
  calibrationTable,
  f1AtThreshold,
  logLoss,
  meanAbsoluteError,
  pearsonCorrelation,
  populationStabilityIndex,
  precisionAtK,
  recallAtK,
  rocAuc,
  rootMeanSquaredError,
  topDecileLift,
} from './metrics.js';

// A small ranked list used by several tests (scores 0.7 tie between a positive and a negative).
const labels = [1, 0, 1, 0, 1];
const scores = [0.9, 0.8, 0.7, 0.7, 0.2];

describe('rocAuc', () => {
  it('equals the pairwise count with ties as one half', () => {
    // Positives 0.9, 0.7, 0.2 against negatives 0.8, 0.7:
    // (0.9>0.8)=1 (0.9>0.7)=1 (0.7<0.8)=0 (0.7=0.7)=½ (0.2<0.8)=0 (0.2<0.7)=0 → 2.5 of 6 pairs.
    expect(rocAuc(labels, scores)).toBeCloseTo(2.5 / 6, 15);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one and NaN with one class', () => {
    expect(rocAuc([0, 0, 1, 1], [1, 2, 3, 4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [1, 2, 3, 4])).toBe(0);
    expect(rocAuc([1, 1], [1, 2])).toBeNaN();
  });

  it('agrees with the O(n²) pairwise definition on random tied scores (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 5 })), {
          minLength: 2,
          maxLength: 40,
        }),
        (pairs) => {
          const y = pairs.map((p) => p[0]);
          const s = pairs.map((p) => p[1]);
          let wins = 0;
          let total = 0;
          for (let i = 0; i < y.length; i++)
            for (let j = 0; j < y.length; j++)
              if (y[i] === 1 && y[j] === 0) {
                total++;
                wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
              }
          if (total === 0) expect(rocAuc(y, s)).toBeNaN();
          else expect(rocAuc(y, s)).toBeCloseTo(wins / total, 12);
        },
      ),
    );
  });
});

describe('averagePrecision', () => {
  it('sums recall steps times precision at each distinct threshold', () => {
    // ≥0.9: R=1/3, P=1 → 1/3; ≥0.8: no recall step; ≥0.7 (tie group): R=2/3, P=2/4 → 1/6;
    // ≥0.2: R=1, P=3/5 → 1/5. AP = 1/3 + 1/6 + 1/5 = 0.7.
    expect(averagePrecision(labels, scores)).toBeCloseTo(0.7, 15);
    expect(averagePrecision([0, 1, 1], [0.1, 0.5, 0.9])).toBe(1);
  });
});

describe('brierScore and logLoss', () => {
  it('match the hand sums', () => {
    // (0.2² + 0.3² + 0.4² + 0.1²)/4 = 0.30/4.
    expect(brierScore([1, 0, 1, 0], [0.8, 0.3, 0.6, 0.1])).toBeCloseTo(0.075, 15);
    // −(ln 0.8 + ln 0.7 + ln 0.6 + ln 0.9)/4 ≈ 0.299001.
    expect(logLoss([1, 0, 1, 0], [0.8, 0.3, 0.6, 0.1])).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.7) + Math.log(0.6) + Math.log(0.9)) / 4,
      14,
    );
    expect(logLoss([1, 0, 1, 0], [0.8, 0.3, 0.6, 0.1])).toBeCloseTo(0.299001, 6);
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
  });
});

describe('top-k metrics', () => {
  const y = [1, 1, 0, 0, 1];
  const s = [0.9, 0.5, 0.5, 0.5, 0.1];

  it('counts a tie group straddling the cut by its share of places', () => {
    // Top 2: the 0.9 positive, then 1 of the 3 tied 0.5s (1 positive among them) → 1 + 1/3.
    expect(precisionAtK(y, s, 2)).toBeCloseTo(4 / 3 / 2, 15);
    expect(recallAtK(y, s, 2)).toBeCloseTo(4 / 3 / 3, 15);
    expect(precisionAtK(y, s, 5)).toBeCloseTo(3 / 5, 15);
    expect(() => precisionAtK(y, s, 0)).toThrow(RangeError);
  });

  it('gives the top-decile lift as top rate over base rate', () => {
    // 20 rows, distinct scores; the 2 top-scored rows are positive, 5 positives in all:
    // lift = (2/2) / (5/20) = 4.
    const yy = [1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    const ss = yy.map((_, i) => 20 - i);
    expect(topDecileLift(yy, ss)).toBeCloseTo(4, 15);
    // Top 20% (4 rows, 2 positives): (2/4)/(5/20) = 2.
    expect(topDecileLift(yy, ss, 0.2)).toBeCloseTo(2, 15);
  });

  it('gives precision, recall and F1 at a threshold', () => {
    // ≥ 0.5 predicts rows 0–3 positive: TP 2, FP 2, FN 1 → P = 1/2, R = 2/3, F1 = 4/7.
    const r = f1AtThreshold(y, s, 0.5);
    expect(r).toMatchObject({ truePositives: 2, falsePositives: 2, falseNegatives: 1 });
    expect(r.precision).toBeCloseTo(0.5, 15);
    expect(r.recall).toBeCloseTo(2 / 3, 15);
    expect(r.f1).toBeCloseTo(4 / 7, 15);
  });
});

describe('calibrationTable', () => {
  it('groups rows by sorted prediction into equal-count bins', () => {
    // Sorted predictions .05 … .45 (labels 0,0,0,1,0) and .55 … .95 (labels 1,0,1,1,1).
    const p = [0.95, 0.05, 0.55, 0.35, 0.25, 0.75, 0.15, 0.85, 0.45, 0.65];
    const yy = [1, 0, 1, 1, 0, 1, 0, 1, 0, 0];
    const t = calibrationTable(yy, p, 2);
    expect(t).toHaveLength(2);
    expect(t[0]).toMatchObject({ bin: 0, count: 5, minPredicted: 0.05, maxPredicted: 0.45 });
    expect(t[0]!.meanPredicted).toBeCloseTo(0.25, 15);
    expect(t[0]!.observedRate).toBeCloseTo(0.2, 15);
    expect(t[1]!.meanPredicted).toBeCloseTo(0.75, 15);
    expect(t[1]!.observedRate).toBeCloseTo(0.8, 15);
    expect(calibrationTable(yy, p).map((b) => b.count)).toEqual(new Array(10).fill(1));
  });
});

describe('regression metrics', () => {
  it('match the hand sums', () => {
    // Errors 1, 0, 2: MAE = 3/3 = 1, RMSE = √(5/3).
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBe(1);
    expect(rootMeanSquaredError([1, 2, 3], [2, 2, 5])).toBeCloseTo(Math.sqrt(5 / 3), 15);
    // dx = (−1.5, −.5, .5, 1.5), dy = (−3, −1, 0, 4): Σdxdy = 11, Σdx² = 5, Σdy² = 26 → 11/√130.
    expect(pearsonCorrelation([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(11 / Math.sqrt(130), 15);
    expect(pearsonCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('populationStabilityIndex', () => {
  const reference = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('is 0 for the same sample and matches the hand sum for a shift', () => {
    expect(populationStabilityIndex(reference, reference, { bins: 2 })).toBe(0);
    // Median cut (type 7) at 5.5: reference shares (½, ½); current [1, 1, 1, 9] shares (¾, ¼).
    // PSI = (¾ − ½)ln(3/2) + (¼ − ½)ln(1/2) = ¼ ln 3.
    expect(populationStabilityIndex(reference, [1, 1, 1, 9], { bins: 2 })).toBeCloseTo(Math.log(3) / 4, 14);
  });

  it('puts missing values in their own bin, floored at epsilon when one side has none', () => {
    // Shares: reference (½, ½, 0 missing), current [1, NaN] (½, 0, ½).
    // PSI = 0 + (ε − ½)ln(ε/½) + (½ − ε)ln(½/ε) = 2(½ − ε)ln(½/ε), ε = 1e-4.
    const eps = 1e-4;
    expect(populationStabilityIndex(reference, [1, NaN], { bins: 2 })).toBeCloseTo(
      2 * (0.5 - eps) * Math.log(0.5 / eps),
      12,
    );
  });
});
