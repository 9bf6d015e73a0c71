import { describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import { posteriorMean, probabilityBest, thompsonChoose } from './bandit.js';

describe('Thompson sampling', () => {
  it('makes the same choices for the same seed', () => {
    const arms = [
      { arm: 'a', pulls: 10, successes: 3 },
      { arm: 'b', pulls: 10, successes: 4 },
    ];
    const run = (seed: number) => {
      const r = createRandom(seed);
      return Array.from({ length: 50 }, () => thompsonChoose(arms, r));
    };
    expect(run(7)).toEqual(run(7));
  });

  it('learns the better arm from simulated outcomes and plays it most of the time', () => {
    // Bernoulli arms with rates 0.04, 0.05, 0.08: after 5,000 pulls the 0.08 arm should get the
    // bulk of the traffic (Chapelle & Li 2011 report the regret of TS growing like log t).
    const truth = { a: 0.04, b: 0.05, c: 0.08 } as Record<string, number>;
    const r = createRandom(11);
    const state = new Map(Object.keys(truth).map((k) => [k, { arm: k, pulls: 0, successes: 0 }]));
    const lastPlays: string[] = [];
    for (let t = 0; t < 5000; t++) {
      const arm = thompsonChoose([...state.values()], r);
      const s = state.get(arm)!;
      state.set(arm, { arm, pulls: s.pulls + 1, successes: s.successes + (r.chance(truth[arm]!) ? 1 : 0) });
      if (t >= 4000) lastPlays.push(arm);
    }
    expect(lastPlays.filter((a) => a === 'c').length / lastPlays.length).toBeGreaterThan(0.7);
    const pBest = probabilityBest([...state.values()], createRandom(3), 4000);
    expect([...pBest.values()].reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
    expect(pBest.get('c')!).toBeGreaterThan(0.8);
  });

  it('has the Beta posterior mean (1 + s) / (2 + n) under the uniform prior', () => {
    expect(posteriorMean({ arm: 'x', pulls: 8, successes: 2 })).toBeCloseTo(0.3, 12);
  });

  it('refuses more successes than pulls', () => {
    expect(() => thompsonChoose([{ arm: 'x', pulls: 1, successes: 2 }], createRandom(1))).toThrow(
      /successes/,
    );
  });
});
