import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  breakageFromHistory,
  participation,
  pointsLiability,
  quarterOf,
  replayTier,
  whatIfThresholds,
} from './health.js';
import { DEFAULT_TIER_CONFIG as C, addDays, type QualifyingActivity } from './tiers.js';

const NOW = '2026-11-16T00:00:00.000Z';

describe('points liability', () => {
  it('values pending and available points and takes off the breakage the expiry history shows', () => {
    const breakage = breakageFromHistory([
      { points: 1_000, redeemed: 700, expired: 300, reversed: 0 },
      { points: 600, redeemed: 300, expired: 100, reversed: 200 },
    ]);
    expect(breakage).toEqual({ rate: 400 / 1_400, maturedPoints: 1_400, expiredPoints: 400 });
    const l = pointsLiability({
      pendingPoints: 2_000,
      availablePoints: 5_000,
      pointValue: { minor: 1, per: 1 },
      breakage,
      assumedBreakage: 0.2,
    });
    expect(l).toMatchObject({
      pendingMinor: 2_000,
      availableMinor: 5_000,
      expectedBreakagePoints: 2_000,
      expectedBreakageMinor: 2_000,
      expectedCostMinor: 5_000,
      breakageBasis: 'history',
    });
  });

  it('gives no breakage rate from a history without a single redemption', () => {
    // Lots credited over imported history, before any reward could be taken: all of them expired.
    const b = breakageFromHistory([
      { points: 500, redeemed: 0, expired: 500, reversed: 0 },
      { points: 300, redeemed: 0, expired: 250, reversed: 50 },
    ]);
    expect(b).toEqual({ rate: null, maturedPoints: 750, expiredPoints: 750 });
  });

  it('says when the breakage rate is an assumption', () => {
    const l = pointsLiability({
      pendingPoints: 0,
      availablePoints: 1_000,
      pointValue: { minor: 5, per: 100 },
      breakage: breakageFromHistory([]),
      assumedBreakage: 0.2,
    });
    expect(l).toMatchObject({
      availableMinor: 50,
      expectedCostMinor: 40,
      breakageBasis: 'assumed',
      breakageRate: 0.2,
    });
  });
});

describe('participation in the quarter', () => {
  it('uses the quarter of the programme’s time zone', () => {
    expect(quarterOf('2026-03-31T23:30:00.000Z', 'Europe/Berlin')).toEqual({
      label: '2026-Q2',
      start: '2026-03-31T22:00:00.000Z',
      end: '2026-06-30T22:00:00.000Z',
    });
    expect(quarterOf('2026-04-01T02:00:00.000Z', 'America/New_York').label).toBe('2026-Q1');
    expect(quarterOf('2026-12-31T12:00:00.000Z', 'UTC')).toEqual({
      label: '2026-Q4',
      start: '2026-10-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
  });

  it('counts each member once whether they earned, redeemed or both', () => {
    const p = participation({
      members: 10,
      now: NOW,
      timeZone: 'UTC',
      movements: [
        { customerId: 'a', at: '2026-10-02T00:00:00.000Z', kind: 'earn' },
        { customerId: 'a', at: '2026-10-03T00:00:00.000Z', kind: 'redeem' },
        { customerId: 'b', at: '2026-11-01T00:00:00.000Z', kind: 'redeem' },
        { customerId: 'c', at: '2026-09-30T23:59:59.000Z', kind: 'earn' },
      ],
    });
    expect(p).toEqual({ quarter: '2026-Q4', members: 10, earning: 1, redeeming: 2, active: 2, rate: 0.2 });
  });
});

describe('what-if of tier thresholds', () => {
  const member = (spends: Array<[number, number]>): QualifyingActivity[] =>
    spends.map(([d, minor], i) => ({
      type: 'order',
      at: addDays(NOW, -d),
      netSpendMinor: minor,
      key: `o${i}`,
    }));
  const members = [
    member([[30, 30_000]]), // 300 → silver
    member([[30, 70_000]]), // 700 → gold
    member([[10, 20_000]]), // 200 → member
    member([[30, 200_000]]), // 2000 → platinum
  ];

  it('replays the real history under the current and the proposed thresholds', () => {
    const r = whatIfThresholds({ members, current: C, thresholds: { silver: 150, gold: 800 }, now: NOW });
    expect(r.tiers).toEqual([
      { id: 'member', current: 1, proposed: 0 },
      { id: 'silver', current: 1, proposed: 3 },
      { id: 'gold', current: 1, proposed: 0 },
      { id: 'platinum', current: 1, proposed: 1 },
    ]);
    expect(r.moves).toMatchObject({
      member: { silver: 1 },
      silver: { silver: 1 },
      gold: { silver: 1, gold: 0 },
      platinum: { platinum: 1 },
    });
  });

  it('walks a lapsed member down one tier per grace period in the replay (the soft landing is history too)', () => {
    // 2,000 points 500 days ago leave the 365-day window 135 days ago; seen at the next weekly
    // checkpoint, then 60 days of grace per step: platinum → gold → silver, member still to come.
    const s = replayTier(member([[500, 200_000]]), C, NOW);
    expect(s.tierId).toBe('silver');
    expect(s.demotion?.toTierId).toBe('member');
  });

  it('moves nobody when the thresholds stay the same (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 150_000 })), {
            maxLength: 6,
          }),
          {
            maxLength: 8,
          },
        ),
        (spec) => {
          const ms = spec.map(member);
          const r = whatIfThresholds({
            members: ms,
            current: C,
            thresholds: {},
            now: NOW,
            checkpointDays: 30,
          });
          for (const t of r.tiers) expect(t.proposed).toBe(t.current);
          for (const [from, row] of Object.entries(r.moves))
            for (const [to, n] of Object.entries(row)) if (from !== to) expect(n).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
