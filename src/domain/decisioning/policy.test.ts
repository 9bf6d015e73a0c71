import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import { catalogSchema, defaultCatalog } from './catalog.js';
import {
  allocateIncentiveBudget,
  decide,
  defaultPolicyConfig,
  posteriorKey,
  recordOutcome,
  type OutcomeCounts,
  type PolicyContext,
} from './policy.js';
import { emptyState, type ChurnDriver, type CustomerState } from './state.js';
import type { Trigger } from './triggers.js';

const T0 = Date.parse('2025-03-01T12:00:00Z');
const ctx = (over: Partial<PolicyContext> = {}): PolicyContext => ({
  catalog: defaultCatalog,
  outcomes: new Map(),
  config: defaultPolicyConfig,
  messagesThisWeek: 0,
  incentiveBudgetLeftMinor: Infinity,
  ...over,
});
const risk: Trigger = { type: 'churn_risk_crossed', key: 'risk:ord_2', at: T0, facts: {} };

const atRisk = (driver: ChurnDriver | null, clvMinor = 20_000, id = 'cus_1'): CustomerState => ({
  ...emptyState(id),
  orders: [{ orderId: 'ord_1', at: T0 - 60 * 86_400_000, totalMinor: 6000, categories: [] }],
  churn: {
    probability: 0.7,
    previousProbability: 0.2,
    driver,
    reasons: ['fewer visits than usual'],
    scoredAt: T0,
    lastSeenAt: null,
  },
  clv: { clvMinor, probabilityAlive: 0.5, expectedOrderValueMinor: 6000 },
});

describe('next best action', () => {
  it.each([
    ['price', /^churn_save_price_/],
    ['service', /^churn_save_service$/],
    ['quality', /^churn_save_quality$/],
    ['disengagement', /^churn_save_disengagement$/],
  ] as const)('matches the churn-save offer to the %s driver', (driver, expected) => {
    const d = decide(atRisk(driver), risk, ctx());
    expect(d.chosen).toMatch(expected);
    const mismatched = d.candidates.filter((c) => c.status === 'not_applicable');
    expect(mismatched.length).toBeGreaterThan(0);
  });

  it('opens a task for a person with the reasons for a service driver', () => {
    const d = decide(atRisk('service'), risk, ctx());
    expect(d.humanTask?.reasons).toContain('fewer visits than usual');
  });

  it('routes a high-CLV at-risk customer to a person as well', () => {
    const d = decide(atRisk('disengagement', 50_000), risk, ctx());
    expect(d.chosen).toBe('churn_save_disengagement');
    expect(d.humanTask).not.toBeNull();
    expect(decide(atRisk('disengagement', 10_000), risk, ctx()).humanTask).toBeNull();
  });

  it('lists an action waiting for a signal that does not exist instead of scoring it', () => {
    const delivered: Trigger = { type: 'order_delivered', key: 'delivered:ord_1', at: T0, facts: {} };
    const d = decide(atRisk('price'), delivered, ctx());
    const crossSell = d.candidates.find((c) => c.actionId === 'cross_sell')!;
    expect(crossSell.status).toBe('waiting');
    expect(crossSell.waitsFor).toEqual(['recommendations']);
  });

  it('scores and chooses the cross-sell on a delivery once the recommender has put products forward', () => {
    const delivered: Trigger = { type: 'order_delivered', key: 'delivered:ord_1', at: T0, facts: {} };
    const state: CustomerState = {
      ...atRisk(null),
      recommendations: [
        { productId: 'grinder', name: 'Oak Grinder', category: 'home', priceMinor: 4999, because: 'x' },
      ],
    };
    const d = decide(state, delivered, ctx());
    const crossSell = d.candidates.find((c) => c.actionId === 'cross_sell')!;
    expect(crossSell.status).toBe('scored');
    // P(response) = 1 / (1 + 19), one order's margin 6000 × 0.3, fatigue 30 for the first message.
    expect(crossSell.ev).toBeCloseTo(0.05 * 1800 - 30, 6);
    expect(d.chosen).toBe('cross_sell');
  });

  it('sizes the discount by CLV: a small-CLV customer gets no deep discount', () => {
    const d = decide(atRisk('price', 1_500), risk, ctx());
    const deep = d.candidates.find((c) => c.actionId === 'churn_save_price_30')!;
    expect(deep.status).toBe('not_applicable');
  });

  it('learns from outcomes: a discount level that keeps working wins over the cheaper one', () => {
    const seg = 'price/mid';
    const learned = new Map<string, OutcomeCounts>([
      [posteriorKey('churn_save_price_10', seg), { trials: 200, responses: 10 }],
      [posteriorKey('churn_save_price_20', seg), { trials: 200, responses: 120 }],
    ]);
    expect(decide(atRisk('price', 10_000), risk, ctx()).chosen).toBe('churn_save_price_10');
    expect(decide(atRisk('price', 10_000), risk, ctx({ outcomes: learned })).chosen).toBe(
      'churn_save_price_20',
    );
  });

  it('counts outcomes into the Beta posterior', () => {
    const c = recordOutcome(recordOutcome(undefined, true), false);
    expect(c).toEqual({ trials: 2, responses: 1 });
  });

  it('does nothing when no candidate has a positive expected value', () => {
    const d = decide(atRisk('disengagement', 0), risk, ctx());
    expect(d.chosen).toBeNull();
    expect(d.reason).toMatch(/positive expected value/);
  });

  it('always sends the order confirmation', () => {
    const placed: Trigger = { type: 'order_placed', key: 'order:ord_1', at: T0, facts: {} };
    expect(decide(emptyState('cus_9'), placed, ctx()).chosen).toBe('order_confirmation');
  });

  it('gives the same decision for the same input and seed under Thompson sampling', () => {
    const c = { ...defaultPolicyConfig, exploration: 'thompson' as const };
    const a = decide(atRisk('price'), risk, ctx({ config: c, random: createRandom(7) }));
    const b = decide(atRisk('price'), risk, ctx({ config: c, random: createRandom(7) }));
    expect(a).toEqual(b);
  });

  it('refuses a catalog with a duplicate action id, naming it', () => {
    const r = catalogSchema.safeParse([defaultCatalog[0], defaultCatalog[0]]);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/duplicate action id/);
  });
});

describe('incentive budget', () => {
  it('spends the budget where CLV × P(response) is highest and never over it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2_000, max: 200_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 20_000 }),
        (clvs, budget) => {
          const states = clvs.map((clv, i) => atRisk('price', clv, `cus_${i}`));
          const decisions = states.map((s) => decide(s, risk, ctx()));
          const clvOf = (id: string) => clvs[Number(id.slice(4))]!;
          const { decisions: out, spentMinor } = allocateIncentiveBudget(decisions, budget, clvOf);
          expect(spentMinor).toBeLessThanOrEqual(budget);
          const kept = out.filter((d) =>
            d.candidates.find((c) => c.actionId === d.chosen && c.incentiveMinor > 0),
          );
          const dropped = out.filter((d, i) => d.chosen !== decisions[i]!.chosen);
          const spent = kept.reduce(
            (s, d) => s + d.candidates.find((c) => c.actionId === d.chosen)!.incentiveMinor,
            0,
          );
          expect(spent).toBe(spentMinor);
          // everyone who kept an offer ranks at least as high as anyone who lost one (same P here)
          if (kept.length && dropped.length) {
            const minKept = Math.min(...kept.map((d) => clvOf(d.customerId)));
            const maxDropped = Math.max(...dropped.map((d) => clvOf(d.customerId)));
            expect(minKept).toBeGreaterThanOrEqual(maxDropped);
          }
        },
      ),
    );
  });
});
