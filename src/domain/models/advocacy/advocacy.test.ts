import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advocacyScore, type AdvocacySignals } from './advocacy.js';

const quiet: AdvocacySignals = {
  latestNps: null,
  reviews: 0,
  meanRating: null,
  referralsConverted: 0,
  referralsPending: 0,
  communityPosts: 0,
  helpfulVotes: 0,
  orders: 1,
  categories: 1,
};

describe('advocacy score', () => {
  it('scores a one-time buyer who never spoke 0, with no reasons', () => {
    expect(advocacyScore(quiet)).toMatchObject({ score: 0, reasons: [] });
  });

  it('ranks a promoter who refers and helps in the community far above a detractor', () => {
    const advocate = advocacyScore({
      ...quiet,
      latestNps: 10,
      referralsConverted: 2,
      communityPosts: 5,
      helpfulVotes: 12,
      orders: 4,
      categories: 3,
    });
    const detractor = advocacyScore({ ...quiet, latestNps: 2, reviews: 2, meanRating: 1, orders: 4 });
    expect(advocate.score).toBeGreaterThan(75);
    expect(detractor.score).toBeLessThan(15);
    expect(advocate.reasons[0]).toBe('promoter (NPS 10)');
    expect(advocate.reasons).toContain('referred 2 customers who bought');
  });

  it('stays in [0, 100] and its components add up to the score (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          latestNps: fc.option(fc.integer({ min: 0, max: 10 })),
          reviews: fc.nat(50),
          meanRating: fc.option(fc.double({ min: 1, max: 5, noNaN: true })),
          referralsConverted: fc.nat(20),
          referralsPending: fc.nat(20),
          communityPosts: fc.nat(100),
          helpfulVotes: fc.nat(500),
          orders: fc.nat(200),
          categories: fc.nat(10),
        }),
        (s) => {
          const a = advocacyScore(s);
          expect(a.score).toBeGreaterThanOrEqual(0);
          expect(a.score).toBeLessThanOrEqual(100);
          const sum = Object.values(a.components).reduce((x, y) => x + y, 0);
          expect(Math.abs(sum - a.score)).toBeLessThan(0.05);
        },
      ),
    );
  });
});
