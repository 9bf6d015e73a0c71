import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ACTION_KINDS,
  DEFAULT_TIER_CONFIG as C,
  addDays,
  describePlan,
  evaluateTier,
  initialTierState,
  orderNeeded,
  qualifyingScore,
  spendScore,
  tierProgress,
  validateTierConfig,
  type ActionKind,
  type ProgressPlan,
  type QualifyingActivity,
  type TierConfig,
  type TierState,
} from './tiers.js';

const NOW = '2026-06-01T12:00:00.000Z';
const eur = (minor: number) => `€${(minor / 100).toFixed(0)}`;
const order = (at: string, netSpendMinor: number, key = at): QualifyingActivity => ({
  type: 'order',
  at,
  netSpendMinor,
  key,
});

describe('the qualifying score', () => {
  it('adds spend per whole currency unit and weighted reviews, referrals and community help', () => {
    const s = qualifyingScore(
      [
        order('2026-05-01T00:00:00.000Z', 12_399),
        { type: 'review', at: '2026-05-02T00:00:00.000Z', key: 'r1' },
        { type: 'photo_review', at: '2026-05-03T00:00:00.000Z', key: 'r2' },
        { type: 'referral', at: '2026-05-04T00:00:00.000Z', key: 'f1' },
        { type: 'community', at: '2026-05-05T00:00:00.000Z', key: 'p1' },
      ],
      C,
      NOW,
    );
    expect(s.spendScore).toBe(123);
    expect(s.actionScore).toBe(20 + 35 + 75 + 10);
    expect(s.score).toBe(263);
  });

  it('counts only the rolling window and each activity key once', () => {
    const s = qualifyingScore(
      [
        order(addDays(NOW, -366), 100_000, 'old'),
        order(addDays(NOW, -10), 5_000, 'o1'),
        order(addDays(NOW, -10), 5_000, 'o1'),
        order(addDays(NOW, 1), 5_000, 'future'),
      ],
      C,
      NOW,
    );
    expect(s.spendMinor).toBe(5_000);
    expect(s.score).toBe(50);
  });

  it('caps the actions of a kind that count in one window', () => {
    const reviews = Array.from({ length: 30 }, (_, i): QualifyingActivity => ({
      type: 'review',
      at: addDays(NOW, -i - 1),
      key: `r${i}`,
    }));
    expect(qualifyingScore(reviews, C, NOW).score).toBe(C.actionCaps.review * C.actionPoints.review);
  });

  it('lets refunds net an order down but never below zero spend', () => {
    expect(qualifyingScore([order(addDays(NOW, -1), -4_000)], C, NOW).score).toBe(0);
  });
});

describe('tier evaluation', () => {
  const start = initialTierState(C, '2026-01-01T00:00:00.000Z');

  it('upgrades at once to the highest tier the score reaches', () => {
    const r = evaluateTier(start, 700, C, NOW);
    expect(r.state.tierId).toBe('gold');
    expect(r.transitions).toEqual([{ type: 'TierUpgraded', from: 'member', to: 'gold', at: NOW }]);
  });

  it('gives notice and a grace period before a demotion, then steps down one tier only', () => {
    const gold: TierState = {
      tierId: 'gold',
      since: '2026-01-01T00:00:00.000Z',
      demotion: null,
      reminded: false,
    };
    const dropped = evaluateTier(gold, 10, C, NOW);
    expect(dropped.state.tierId).toBe('gold');
    expect(dropped.transitions).toEqual([
      { type: 'DemotionScheduled', from: 'gold', to: 'silver', at: NOW, effectiveAt: addDays(NOW, 60) },
    ]);
    const reminded = evaluateTier(dropped.state, 10, C, addDays(NOW, 47));
    expect(reminded.transitions.map((t) => t.type)).toEqual(['DemotionReminder']);
    expect(evaluateTier(reminded.state, 10, C, addDays(NOW, 48)).transitions).toEqual([]);
    const demoted = evaluateTier(reminded.state, 10, C, addDays(NOW, 61));
    expect(demoted.state.tierId).toBe('silver');
    expect(demoted.transitions.map((t) => t.type)).toEqual(['TierDowngraded', 'DemotionScheduled']);
    expect(demoted.state.demotion?.effectiveAt).toBe(addDays(NOW, 120));
  });

  it('cancels a scheduled demotion when the member climbs back during grace', () => {
    const gold: TierState = { tierId: 'gold', since: NOW, demotion: null, reminded: false };
    const dropped = evaluateTier(gold, 500, C, NOW);
    const back = evaluateTier(dropped.state, 650, C, addDays(NOW, 20));
    expect(back.state).toEqual({ ...gold, demotion: null, reminded: false });
    expect(back.transitions).toEqual([{ type: 'DemotionCancelled', tierId: 'gold', at: addDays(NOW, 20) }]);
  });

  it('walks down one tier per grace period after a long silence', () => {
    const plat: TierState = { tierId: 'platinum', since: NOW, demotion: null, reminded: false };
    const dropped = evaluateTier(plat, 0, C, NOW);
    const later = evaluateTier(dropped.state, 0, C, addDays(NOW, 125));
    expect(later.state.tierId).toBe('silver');
    expect(later.transitions.filter((t) => t.type === 'TierDowngraded').map((t) => t.at)).toEqual([
      addDays(NOW, 60),
      addDays(NOW, 120),
    ]);
  });

  it('never changes anything when evaluated twice at the same moment (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 200 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (steps) => {
          let s = initialTierState(C, NOW);
          let t = NOW;
          for (const [score, days] of steps) {
            t = addDays(t, days);
            s = evaluateTier(s, score, C, t).state;
            const again = evaluateTier(s, score, C, t);
            expect(again.transitions).toEqual([]);
            expect(again.state).toEqual(s);
            // Never below the tier the score qualifies for, never more than a step per grace period.
            const idx = C.tiers.findIndex((x) => x.id === s.tierId);
            expect(score >= (C.tiers[idx] as { threshold: number }).threshold || s.demotion !== null).toBe(
              true,
            );
          }
        },
      ),
    );
  });
});

describe('tier progress', () => {
  it('offers one more order of €35 or the least-effort actions to a member 35 points short of Silver', () => {
    const s = qualifyingScore([order(addDays(NOW, -5), 21_500)], C, NOW);
    const p = tierProgress('member', s, C);
    expect(p.nextTierId).toBe('silver');
    expect(p.remaining).toBe(35);
    // Effort: an order 1, a review 1, a photo review 2. The frontier: the order alone (effort 1,
    // €35), then the least effort without spending (2: one photo review adds exactly 35; two
    // reviews add 40 — same effort, the smaller overshoot is kept). One review + €15 (effort 2)
    // is beaten by the photo review on amount.
    expect(p.plans.map((x) => describePlan(x, eur))).toEqual(['one more order of €35', 'one photo review']);
    const twoReviews = tierProgress('member', s, {
      ...C,
      actionPoints: { ...C.actionPoints, photo_review: 0 },
    });
    expect(twoReviews.plans.map((x) => describePlan(x, eur))).toEqual(['one more order of €35', '2 reviews']);
  });

  it('says the top tier has nothing further', () => {
    const s = qualifyingScore([order(addDays(NOW, -5), 200_000)], C, NOW);
    expect(tierProgress('platinum', s, C)).toMatchObject({ nextTierId: null, remaining: 0, plans: [] });
  });

  it('finds the smallest whole-currency order that closes a gap', () => {
    expect(orderNeeded(35, 21_550, C)).toBe(3_500);
    expect(orderNeeded(1, 99, C)).toBe(100);
    expect(orderNeeded(0, 0, C)).toBe(0);
  });

  const config = fc.record({
    review: fc.integer({ min: 1, max: 60 }),
    photo_review: fc.integer({ min: 1, max: 60 }),
    referral: fc.integer({ min: 1, max: 150 }),
    community: fc.integer({ min: 1, max: 30 }),
  });

  it('gives only plans that reach the next tier, on the exact effort/amount frontier (property)', () => {
    fc.assert(
      fc.property(
        config,
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 5 }),
        (pts, spend, revs) => {
          const c: TierConfig = {
            ...C,
            actionPoints: pts,
            actionCaps: { review: 6, photo_review: 3, referral: 3, community: 6 },
          };
          const acts: QualifyingActivity[] = [order(addDays(NOW, -3), spend, 'o')];
          for (let i = 0; i < revs; i++) acts.push({ type: 'review', at: addDays(NOW, -2), key: `r${i}` });
          const s = qualifyingScore(acts, c, NOW);
          const p = tierProgress('member', s, c, 100);
          if (p.nextThreshold === null) return;
          // Each plan, applied as real activities, reaches the next threshold.
          for (const plan of p.plans) {
            const more: QualifyingActivity[] = [...acts];
            if (plan.orderMinor > 0) more.push(order(NOW, plan.orderMinor, 'next'));
            for (const k of ACTION_KINDS)
              for (let i = 0; i < (plan.actions[k] ?? 0); i++)
                more.push({ type: k, at: NOW, key: `n${k}${i}` });
            expect(qualifyingScore(more, c, NOW).score).toBeGreaterThanOrEqual(p.nextThreshold);
          }
          // Brute force: no combination beats a frontier plan on both effort and amount.
          const caps = (k: ActionKind) => c.actionCaps[k] - s.counts[k];
          let minEffortNoSpend = Infinity;
          for (let a = 0; a <= caps('review'); a++)
            for (let b = 0; b <= caps('photo_review'); b++)
              for (let d = 0; d <= caps('referral'); d++)
                for (let e = 0; e <= caps('community'); e++) {
                  const adds = a * pts.review + b * pts.photo_review + d * pts.referral + e * pts.community;
                  if (adds >= p.remaining)
                    minEffortNoSpend = Math.min(minEffortNoSpend, a + 2 * b + 4 * d + e);
                }
          const planNoSpend = p.plans.find((x) => x.orderMinor === 0);
          if (minEffortNoSpend === Infinity) expect(planNoSpend).toBeUndefined();
          else expect(planNoSpend?.effort).toBe(minEffortNoSpend);
          expect(p.plans[0]?.effort).toBe(Math.min(1, minEffortNoSpend));
        },
      ),
      { numRuns: 150 },
    );
  });
});

/**
 * The reference: every combination of action counts as a plan, a stable sort on (effort, amount,
 * overshoot), the Pareto frontier, the order alone always offered, then at most `maxPlans` kept —
 * the plain algorithm `tierProgress` must agree with exactly (it walks the same space without
 * building a plan per combination).
 */
function referencePlans(
  need: number,
  s: ReturnType<typeof qualifyingScore>,
  c: TierConfig,
  maxPlans: number,
): ProgressPlan[] {
  if (need <= 0) return [];
  const kinds = ACTION_KINDS.filter((k) => c.actionPoints[k] > 0);
  const limits = kinds.map((k) =>
    Math.min(Math.max(0, c.actionCaps[k] - s.counts[k]), Math.ceil(need / c.actionPoints[k])),
  );
  const candidates: ProgressPlan[] = [];
  const counts = kinds.map(() => 0);
  const visit = (i: number): void => {
    if (i === kinds.length) {
      let adds = 0;
      let effort = 0;
      const actions: Partial<Record<ActionKind, number>> = {};
      kinds.forEach((k, j) => {
        const n = counts[j] as number;
        if (n > 0) {
          actions[k] = n;
          adds += n * c.actionPoints[k];
          effort += n * c.actionEffort[k];
        }
      });
      const orderMinor = orderNeeded(need - adds, s.spendMinor, c);
      if (orderMinor > 0) {
        effort += c.orderEffort;
        adds += spendScore(s.spendMinor + orderMinor, c) - s.spendScore;
      }
      candidates.push({ actions, orderMinor, effort, adds });
      return;
    }
    for (let n = 0; n <= (limits[i] as number); n++) {
      counts[i] = n;
      visit(i + 1);
    }
    counts[i] = 0;
  };
  visit(0);
  candidates.sort((a, b) => a.effort - b.effort || a.orderMinor - b.orderMinor || a.adds - b.adds);
  const frontier: ProgressPlan[] = [];
  let bestOrder = Infinity;
  for (const p of candidates) {
    if (p.orderMinor < bestOrder) {
      frontier.push(p);
      bestOrder = p.orderMinor;
    }
  }
  const orderOnly = candidates.find((p) => Object.keys(p.actions).length === 0);
  if (orderOnly && !frontier.includes(orderOnly)) {
    frontier.push(orderOnly);
    frontier.sort((a, b) => a.effort - b.effort || a.orderMinor - b.orderMinor);
  }
  if (frontier.length <= maxPlans) return frontier;
  const first = frontier[0] as ProgressPlan;
  const last = frontier[frontier.length - 1] as ProgressPlan;
  const kept = [first, ...frontier.slice(1, -1).slice(0, Math.max(0, maxPlans - 2)), last];
  if (orderOnly && !kept.includes(orderOnly)) kept.splice(kept.length - 1, 0, orderOnly);
  return kept;
}

describe('tier progress against the plain enumeration', () => {
  const perKind = <T>(a: fc.Arbitrary<T>) =>
    fc.record({ review: a, photo_review: a, referral: a, community: a });

  it('gives exactly the plans of the plain enumeration of every combination (property)', () => {
    fc.assert(
      fc.property(
        perKind(fc.integer({ min: 0, max: 80 })),
        perKind(fc.integer({ min: 0, max: 8 })),
        perKind(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.double({ min: 0.1, max: 5, noNaN: true }))),
        fc.oneof(fc.constant(1), fc.double({ min: 0.1, max: 3, noNaN: true })),
        fc.integer({ min: 0, max: 80_000 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('member', 'silver', 'gold'),
        (points, caps, efforts, orderEffort, spend, revs, maxPlans, tierId) => {
          const c: TierConfig = {
            ...C,
            actionPoints: points,
            actionCaps: caps,
            actionEffort: efforts,
            orderEffort,
          };
          const acts: QualifyingActivity[] = [order(addDays(NOW, -3), spend, 'o')];
          for (let i = 0; i < revs; i++) acts.push({ type: 'review', at: addDays(NOW, -2), key: `r${i}` });
          const s = qualifyingScore(acts, c, NOW);
          const p = tierProgress(tierId, s, c, maxPlans);
          expect(p.plans).toEqual(referencePlans(p.remaining, s, c, maxPlans));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('agrees on the defaults for a member with nothing yet, on the way to each tier', () => {
    const s = qualifyingScore([], C, NOW);
    for (const tierId of ['member', 'silver', 'gold']) {
      const p = tierProgress(tierId, s, C);
      expect(p.plans.length).toBeGreaterThan(1);
      expect(p.plans).toEqual(referencePlans(p.remaining, s, C, 4));
    }
  });
});

describe('the tier configuration', () => {
  it('accepts the defaults and names the field of a bad one', () => {
    expect(validateTierConfig(C)).toEqual([]);
    const bad = validateTierConfig({
      ...C,
      tiers: [C.tiers[0]!, { ...C.tiers[2]!, threshold: 100 }, { ...C.tiers[1]!, threshold: 50 }],
      noticeDays: 90,
    });
    expect(bad.map((p) => p.path)).toEqual(['tiers.2.threshold', 'noticeDays']);
  });
});
