import { describe, expect, it } from 'vitest';
import { generateStore } from './generate.js';
import { defaultLatentParams as P } from './params.js';
import { createSimulator } from './simulator.js';

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('the latent process', () => {
  // Drawing the population only (no weeks simulated) is cheap, so the sample can be large.
  const truth = createSimulator({ customers: 5000, seed: 99 }).groundTruth();

  it('draws purchase rates λ ~ Gamma(r, α) with mean r/α (within 8 %)', () => {
    expect(Math.abs(mean(truth.map((t) => t.lambda)) / (P.r / P.alpha) - 1)).toBeLessThan(0.08);
  });

  it('draws dropout probabilities p ~ Beta(a, b) with mean a/(a+b) (within 5 %)', () => {
    expect(Math.abs(mean(truth.map((t) => t.p)) / (P.a / (P.a + P.b)) - 1)).toBeLessThan(0.05);
  });

  it('draws spend rates ν ~ Gamma(q, γ) with mean q/γ (within 5 %)', () => {
    expect(Math.abs(mean(truth.map((t) => t.nu)) / (P.q / P.gamma) - 1)).toBeLessThan(0.05);
    for (const t of truth.slice(0, 50)) expect(t.meanSpend).toBeCloseTo(P.p / t.nu, 1);
  });

  it('spreads acquisition over the first half of the horizon and numbers customers in that order', () => {
    const times = truth.map((t) => Date.parse(t.acquiredAt));
    const start = Date.parse('2025-01-06T00:00:00.000Z');
    expect(Math.min(...times)).toBeGreaterThanOrEqual(start);
    expect(Math.max(...times)).toBeLessThan(start + 53 * 7 * 86_400_000);
    let outOfOrder = 0;
    for (let i = 1; i < times.length; i++)
      if ((times[i] as number) + 86_400_000 < (times[i - 1] as number)) outOfOrder++;
    expect(outOfOrder).toBe(0);
  });

  it('spends about the latent mean per order: basket list value within 15 % of p/ν in aggregate', () => {
    const store = generateStore({ customers: 1000, seed: 4 });
    const meanSpend = new Map(
      store.groundTruth.filter((t) => t.currency === 'USD').map((t) => [t.userId, t.meanSpend]),
    );
    let listValue = 0;
    let expected = 0;
    for (const e of store.events) {
      if (e.type !== 'track' || e.event !== 'Order Completed' || e.userId === undefined) continue;
      const m = meanSpend.get(e.userId);
      if (m === undefined) continue;
      listValue += Number(e.properties.revenue) + Number(e.properties.discount);
      expected += m;
    }
    expect(Math.abs(listValue / expected - 1)).toBeLessThan(0.15);
  });

  it('keeps replenishers close to their product cycle', () => {
    const store = generateStore({ customers: 600, seed: 8 });
    const gaps: number[] = [];
    const last = new Map<string, number>();
    const cycle = new Map(store.groundTruth.map((t) => [t.userId, t.replenishmentDays]));
    for (const e of store.events) {
      if (e.type !== 'track' || e.event !== 'Order Completed' || !e.userId) continue;
      const days = cycle.get(e.userId);
      const t = Date.parse(e.timestamp);
      const prev = last.get(e.userId);
      if (days != null && prev !== undefined) gaps.push((t - prev) / 86_400_000 / days);
      last.set(e.userId, t);
    }
    expect(gaps.length).toBeGreaterThan(100);
    const sorted = [...gaps].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    expect(median).toBeGreaterThan(0.7);
    expect(median).toBeLessThan(1.4);
  });
});
