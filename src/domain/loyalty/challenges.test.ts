import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '../random.js';
import {
  DEFAULT_CALIBRATION,
  calibrateStretch,
  challengeBaseline,
  challengeProgress,
  challengeStatus,
  generateChallenges,
  type Purchase,
} from './challenges.js';

const NOW = '2026-06-01T00:00:00.000Z';
const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * 86_400_000).toISOString();
const buy = (orderId: string, at: string, lines: Array<[string, number, number]>): Purchase => ({
  orderId,
  at,
  netMinor: lines.reduce((s, [, amount]) => s + amount, 0),
  lines: lines.map(([category, amountMinor, quantity]) => ({ category, amountMinor, quantity })),
});

const history: Purchase[] = [
  buy('o1', daysAgo(170), [['Coffee', 3_000, 2]]),
  buy('o2', daysAgo(120), [
    ['Coffee', 4_500, 3],
    ['Mugs', 1_500, 1],
  ]),
  buy('o3', daysAgo(60), [['Coffee', 3_000, 2]]),
  buy('o4', daysAgo(10), [['Tea', 6_000, 1]]),
  buy('old', daysAgo(400), [['Kitchen', 90_000, 1]]),
];

describe('the challenge baseline', () => {
  it('is the customer’s own mean spend per 30 days and their favourite category over the lookback', () => {
    const b = challengeBaseline(history, NOW);
    // 18,000 over 170 days = 5.667 periods of 30 days.
    expect(b.orders).toBe(4);
    expect(b.monthlySpendMinor).toBe(Math.round(18_000 / (170 / 30)));
    expect(b.favouriteCategory).toBe('Coffee');
    expect(b.favouriteMonthlyQuantity).toBeCloseTo(7 / (170 / 30), 10);
    expect(b.activeCategories).toEqual(['Coffee', 'Mugs', 'Tea']);
  });

  it('is empty for a customer with no orders in the window', () => {
    expect(challengeBaseline([history[4]!], NOW)).toMatchObject({ orders: 0, favouriteCategory: null });
  });
});

describe('generating challenges', () => {
  it('sets a spend target at 120 % of the baseline, a favourite-category stretch and a discovery', () => {
    const b = challengeBaseline(history, NOW);
    const specs = generateChallenges({
      baseline: b,
      calibration: DEFAULT_CALIBRATION,
      popularCategories: ['Coffee', 'Kitchen', 'Tea', 'Gifts'],
      now: NOW,
      random: createRandom(1),
    });
    expect(specs.map((s) => s.kind)).toEqual(['spend_stretch', 'category_quantity', 'discovery']);
    const spend = specs[0]!;
    expect(spend.target).toBe(Math.ceil((1.2 * b.monthlySpendMinor) / 100) * 100);
    expect(spend.target).toBe(3_900);
    expect(spend.rewardPoints).toBe(Math.round(39 * 0.15));
    expect(specs[1]).toMatchObject({ category: 'Coffee', target: 2 });
    expect(['Kitchen', 'Gifts']).toContain(specs[2]!.category);
    expect(spend.endsAt).toBe('2026-07-01T00:00:00.000Z');
  });

  it('is the same for the same seed', () => {
    const mk = () =>
      generateChallenges({
        baseline: challengeBaseline(history, NOW),
        calibration: DEFAULT_CALIBRATION,
        popularCategories: ['Kitchen', 'Gifts', 'Garden', 'Books'],
        now: NOW,
        random: createRandom(7),
      });
    expect(mk()).toEqual(mk());
  });
});

describe('challenge progress', () => {
  const ch = {
    kind: 'category_quantity' as const,
    category: 'Coffee',
    target: 3,
    startsAt: NOW,
    endsAt: '2026-07-01T00:00:00.000Z',
  };
  const at = (d: number) => new Date(Date.parse(NOW) + d * 86_400_000).toISOString();

  it('counts each order once, only inside the challenge’s time, and completes when the target is reached', () => {
    const p = challengeProgress(ch, [
      buy('a', daysAgo(1), [['Coffee', 1_000, 5]]),
      buy('b', at(2), [['Coffee', 1_000, 2]]),
      buy('b', at(2), [['Coffee', 1_000, 2]]),
      buy('c', at(5), [['Tea', 1_000, 2]]),
      buy('d', at(9), [['Coffee', 500, 1]]),
      buy('e', at(31), [['Coffee', 500, 9]]),
    ]);
    expect(p).toEqual({ progress: 3, completedAt: at(9), orderIds: ['b', 'd'] });
    expect(challengeStatus(ch, p, at(10))).toBe('completed');
  });

  it('expires at the deadline when not completed', () => {
    const p = challengeProgress(ch, [buy('b', at(2), [['Coffee', 1_000, 1]])]);
    expect(challengeStatus(ch, p, at(29))).toBe('active');
    expect(challengeStatus(ch, p, at(30))).toBe('expired');
  });

  it('gives the same progress when orders are replayed, duplicated or reordered (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.integer({ min: 0, max: 20 }),
            day: fc.integer({ min: -5, max: 35 }),
            q: fc.integer({ min: 0, max: 4 }),
          }),
          { selector: (r) => r.id },
        ),
        (rows) => {
          const ps = rows.map((r) => buy(`o${r.id}`, at(r.day), [['Coffee', 100 * r.q, r.q]]));
          const once = challengeProgress(ch, ps);
          expect(challengeProgress(ch, [...ps].reverse().concat(ps))).toEqual(once);
          const inside = rows.filter((r) => r.day >= 0 && r.day < 30);
          expect(once.progress).toBe(inside.reduce((s, r) => s + r.q, 0));
          expect(once.completedAt !== null).toBe(once.progress >= ch.target);
        },
      ),
    );
  });
});

describe('difficulty calibration', () => {
  it('raises the stretch after many completions and lowers it after few', () => {
    expect(calibrateStretch(1.2, { offered: 200, completed: 150 })).toBeGreaterThan(1.2);
    expect(calibrateStretch(1.2, { offered: 200, completed: 20 })).toBeLessThan(1.2);
    expect(calibrateStretch(1.2, { offered: 0, completed: 0 })).toBe(1.2);
    expect(calibrateStretch(1.2, { offered: 200, completed: 70 })).toBe(1.2);
  });

  it('converges where the completion rate equals the target (simulated customers, independent quantile)', () => {
    // Each period a customer spends baseline × G, G ~ Gamma(shape 3, mean 1). A spend challenge at
    // stretch s is completed when G ≥ s; the fixed point is the (1 − 0.35) quantile of G, computed
    // here independently from a large sample. Tolerance: ±0.04 on the average of the last 20 rounds.
    const rng = createRandom(11);
    const sample = Array.from({ length: 200_000 }, () => rng.gamma(3, 3)).sort((a, b) => a - b);
    const fixedPoint = sample[Math.floor(0.65 * sample.length)]!;
    let s = 1.2;
    const tail: number[] = [];
    for (let round = 0; round < 80; round++) {
      let completed = 0;
      for (let i = 0; i < 400; i++) if (rng.gamma(3, 3) >= s) completed++;
      s = calibrateStretch(s, { offered: 400, completed });
      if (round >= 60) tail.push(s);
    }
    const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
    expect(Math.abs(mean - fixedPoint)).toBeLessThan(0.04);
  });
});
