import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  minimumDetectableEffect,
  moments,
  newcombeDifference,
  normalCdf,
  normalQuantile,
  sampleSize,
  studentTCdf,
  studentTQuantile,
  weeksToRun,
  welchDifference,
  wilsonInterval,
} from './stats.js';

// Reference values: published examples where they exist, otherwise scipy 1.17 (scipy.stats.norm,
// scipy.stats.t, scipy.stats.ttest_ind(equal_var=False).confidence_interval), computed with
// python3 (scipy 1.17.1) on this machine; the script is bench/experiments-reference.py.

describe('distributions', () => {
  it('matches scipy for normal and t quantiles within 1e-9', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTQuantile(0.975, 3.7)).toBeCloseTo(2.8675207071911895, 9);
    expect(studentTCdf(1.5, 7)).toBeCloseTo(0.911350756505015, 10);
  });

  it('inverts: Φ(Φ⁻¹(p)) = p', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-8, max: 1 - 1e-8, noNaN: true }), (p) => {
        expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThan(1e-12 + 1e-9 * p);
      }),
    );
  });
});

describe('intervals', () => {
  it('gives the Wilson interval of Newcombe (1998a) for 81/263: 0.2553 to 0.3662', () => {
    const w = wilsonInterval(81, 263);
    expect(w.lower).toBeCloseTo(0.2553, 4);
    expect(w.upper).toBeCloseTo(0.3662, 4);
  });

  it('gives the Newcombe method-10 interval of his Table II for 56/70 − 48/80: 0.0524 to 0.3339', () => {
    const d = newcombeDifference(56, 70, 48, 80);
    expect(d.estimate).toBeCloseTo(0.2, 12);
    expect(d.lower).toBeCloseTo(0.0524, 4);
    expect(d.upper).toBeCloseTo(0.3339, 4);
    // and scipy-based recomputation to 1e-9
    expect(d.lower).toBeCloseTo(0.052431472402365065, 9);
    expect(d.upper).toBeCloseTo(0.333872654036906, 9);
  });

  it('keeps a difference interval inside [−1, 1] and around its estimate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 500 }),
        fc.nat(),
        fc.nat(),
        (n1, n2, a, b) => {
          const x1 = a % (n1 + 1);
          const x2 = b % (n2 + 1);
          const d = newcombeDifference(x1, n1, x2, n2);
          expect(d.lower).toBeGreaterThanOrEqual(-1 - 1e-12);
          expect(d.upper).toBeLessThanOrEqual(1 + 1e-12);
          expect(d.lower).toBeLessThanOrEqual(d.estimate + 1e-12);
          expect(d.upper).toBeGreaterThanOrEqual(d.estimate - 1e-12);
        },
      ),
    );
  });

  it("matches scipy's Welch interval and degrees of freedom within 1e-9", () => {
    const a = moments([19.1, 21.0, 18.5, 22.3, 20.2, 24.1, 17.9, 20.8]);
    const b = moments([16.2, 18.9, 17.1, 15.5, 19.4, 16.8]);
    const w = welchDifference(a, b);
    expect(w.estimate).toBeCloseTo(3.1708333333333343, 12);
    expect(w.lower).toBeCloseTo(1.0873039823029629, 9);
    expect(w.upper).toBeCloseTo(5.254362684363706, 9);
    expect(w.df).toBeCloseTo(11.994901999176351, 9);
  });
});

describe('power and sample size', () => {
  it('needs 686 customers per arm to detect 10 % → 15 % at α = 0.05 and 80 % power', () => {
    // Hand computation of Fleiss eq. 4.14: [1.95996·√(2·0.125·0.875) + 0.84162·√(0.09 + 0.1275)]² / 0.05² = 685.6.
    expect(sampleSize({ baseline: 0.1, mde: 0.05 })).toEqual({ treated: 686, control: 686 });
    expect(sampleSize({ baseline: 0.05, mde: 0.01 }).treated).toBe(8158); // scipy: 8157.73
  });

  it('sizes an unequal split (a 10 % holdout) like the scipy reference', () => {
    // scipy: n_t = 32896.59 for 20 % → 22 % with r = 1/9.
    expect(sampleSize({ baseline: 0.2, mde: 0.02, ratio: 1 / 9 })).toEqual({ treated: 32897, control: 3656 });
  });

  it('gives back the effect a sample size was computed for', () => {
    const mde = minimumDetectableEffect({ baseline: 0.1, treated: 686 });
    expect(mde).toBeGreaterThan(0.0499);
    expect(mde).toBeLessThanOrEqual(0.05);
  });

  it('says how many weeks a small store must run a 10 % holdout test', () => {
    const w = weeksToRun({ baseline: 0.1, mde: 0.03, holdout: 0.1, eligiblePerWeek: 200 });
    expect(w.weeks).toBe(Math.ceil(Math.max(w.treated / 180, w.control / 20)));
    expect(w.control).toBeGreaterThan(300);
  });

  it('refuses a rate outside (0, 1)', () => {
    expect(() => sampleSize({ baseline: 0.98, mde: 0.05 })).toThrow(/rates/);
  });
});
