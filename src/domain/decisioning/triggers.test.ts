import { describe, expect, it } from 'vitest';
import { emptyState, type CustomerState } from './state.js';
import { evaluateTriggers, usualGapDays } from './triggers.js';

const DAY = 86_400_000;
const T0 = Date.parse('2025-03-01T12:00:00Z');

const withOrders = (days: number[], over: Partial<CustomerState> = {}): CustomerState => ({
  ...emptyState('cus_1'),
  orders: days.map((d, i) => ({
    orderId: `ord_${i + 1}`,
    at: T0 + d * DAY,
    totalMinor: 5000,
    categories: ['coffee'],
  })),
  ...over,
});

const types = (s: CustomerState, now: number) =>
  evaluateTriggers(s, { type: 'Rescored', at: now }, now).map((t) => t.type);

describe('triggers', () => {
  it('fires order placed, and first order for a first-time buyer', () => {
    const s = withOrders([0]);
    const t = evaluateTriggers(s, { type: 'OrderPlaced', at: T0, orderId: 'ord_1' }, T0);
    expect(t.map((x) => [x.type, x.key])).toEqual([
      ['order_placed', 'order:ord_1'],
      ['first_order', 'first:ord_1'],
    ]);
  });

  it('fires a late-delivery trigger only for a late delivery', () => {
    const late = evaluateTriggers(
      withOrders([0]),
      { type: 'OrderDelivered', at: T0, orderId: 'ord_1', onTime: false },
      T0,
    );
    expect(late.map((x) => x.type)).toEqual(['order_delivered', 'order_delivered_late']);
    const onTime = evaluateTriggers(
      withOrders([0]),
      { type: 'OrderDelivered', at: T0, orderId: 'ord_1', onTime: true },
      T0,
    );
    expect(onTime.map((x) => x.type)).toEqual(['order_delivered']);
  });

  it('makes a review due after the category’s time-to-value, not before and not after a review', () => {
    const s = withOrders([0], {
      deliveries: [{ orderId: 'ord_1', at: T0, onTime: true, categories: ['skincare'] }],
    });
    expect(types(s, T0 + 10 * DAY)).not.toContain('review_due');
    expect(types(s, T0 + 22 * DAY)).toContain('review_due');
    expect(types({ ...s, reviewedAt: [T0 + 15 * DAY] }, T0 + 22 * DAY)).not.toContain('review_due');
    expect(types(s, T0 + 40 * DAY)).not.toContain('review_due');
  });

  it('fires at-risk once per purchase spell and reason, and a jump below the threshold', () => {
    const churn = {
      probability: 0.6,
      previousProbability: 0.3,
      driver: 'price' as const,
      reasons: [],
      scoredAt: T0,
      lastSeenAt: null,
    };
    const atRisk = evaluateTriggers(
      withOrders([0, 30], { churn }),
      { type: 'Rescored', at: T0 + 40 * DAY },
      T0 + 40 * DAY,
    );
    expect(atRisk.map((t) => [t.type, t.key])).toContainEqual(['churn_risk_crossed', 'risk:ord_2:price']);
    // A new reason in the same spell (a ticket after the order) is a new fact: a new key, so the
    // save that matches it can follow; the same reason again is the same key.
    const service = evaluateTriggers(
      withOrders([0, 30], { churn: { ...churn, driver: 'service' as const } }),
      { type: 'Rescored', at: T0 + 47 * DAY },
      T0 + 47 * DAY,
    );
    expect(service.find((t) => t.type === 'churn_risk_crossed')?.key).toBe('risk:ord_2:service');
    const unknown = evaluateTriggers(
      withOrders([0, 30], { churn: { ...churn, driver: null } }),
      { type: 'Rescored', at: T0 + 47 * DAY },
      T0 + 47 * DAY,
    );
    expect(unknown.find((t) => t.type === 'churn_risk_crossed')?.key).toBe('risk:ord_2:unknown');
    const jump = { ...churn, probability: 0.4, previousProbability: 0.15 };
    expect(types(withOrders([0, 30], { churn: jump }), T0 + 40 * DAY)).toContain('churn_risk_jumped');
    const flat = { ...churn, probability: 0.3, previousProbability: 0.28 };
    expect(types(withOrders([0, 30], { churn: flat }), T0 + 40 * DAY)).not.toContain('churn_risk_crossed');
  });

  it('fires inactivity against the customer’s own usual gap', () => {
    const s = withOrders([0, 10, 20]);
    expect(usualGapDays(s)).toBe(10);
    expect(types(s, T0 + 30 * DAY)).not.toContain('inactive');
    expect(types(s, T0 + 36 * DAY)).toContain('inactive');
    // one-order customers have no usual gap yet
    expect(types(withOrders([0]), T0 + 300 * DAY)).not.toContain('inactive');
  });

  it('saves only inside the customer’s own purchase cycle; past it the inactivity journey takes over', () => {
    const churn = {
      probability: 0.8,
      previousProbability: 0.7,
      driver: 'quality' as const,
      reasons: [],
      scoredAt: T0,
      lastSeenAt: null,
    };
    // Every 10 days: at risk 14 days after the last order (within 1.5 × 10), inactive after 15.
    const s = withOrders([0, 10, 20], { churn });
    expect(types(s, T0 + 34 * DAY)).toContain('churn_risk_crossed');
    expect(types(s, T0 + 36 * DAY)).not.toContain('churn_risk_crossed');
    expect(types(s, T0 + 36 * DAY)).toContain('inactive');
    // One order: the cycle is firstOrderCycleDays (60) after it.
    expect(types(withOrders([0], { churn }), T0 + 59 * DAY)).toContain('churn_risk_crossed');
    expect(types(withOrders([0], { churn }), T0 + 61 * DAY)).not.toContain('churn_risk_crossed');
  });

  it('saves only a customer still around: silent for more than two weeks is gone, unless the store tracks no activity', () => {
    const churn = {
      probability: 0.8,
      previousProbability: 0.7,
      driver: 'disengagement' as const,
      reasons: [],
      scoredAt: T0 + 48 * DAY,
    };
    const now = T0 + 50 * DAY; // 20 days after the last order, inside the 30-day cycle
    const seen = (d: number | null) =>
      withOrders([0, 30], { churn: { ...churn, lastSeenAt: d === null ? null : T0 + d * DAY } });
    expect(types(seen(37), now)).toContain('churn_risk_crossed'); // an email opened 13 days ago
    expect(types(seen(35), now)).not.toContain('churn_risk_crossed'); // 15 days of silence
    expect(types(seen(null), now)).toContain('churn_risk_crossed'); // no browsing or email data at all
  });

  it('fires win-back for a churned customer instead of a save', () => {
    const churn = {
      probability: 0.95,
      previousProbability: 0.7,
      driver: 'price' as const,
      reasons: [],
      scoredAt: T0,
      lastSeenAt: null,
    };
    const t = types(withOrders([0, 30], { churn }), T0 + 200 * DAY);
    expect(t).toContain('churned');
    expect(t).not.toContain('churn_risk_jumped');
    expect(t).not.toContain('inactive');
  });

  it('waits for tiers, points, challenges, segments, replenishment and advocacy until they exist', () => {
    const base = withOrders([0, 30]);
    expect(types(base, T0 + 31 * DAY)).toEqual([]);
    const rich: CustomerState = {
      ...base,
      tier: { current: 'silver', next: 'gold', progress: 0.9 },
      pointsExpiring: { id: 'lot_1', expiresAt: T0 + 40 * DAY, amount: 300 },
      challengeExpiring: { id: 'chl_1', expiresAt: T0 + 32 * DAY, amount: 1 },
      segment: { current: 'At Risk', previous: 'Loyal' },
      replenishment: { productId: 'prod_1', dueAt: T0 + 33 * DAY },
      advocacy: 0.9,
    };
    expect(types(rich, T0 + 31 * DAY).sort()).toEqual(
      [
        'advocate_identified',
        'challenge_expiring',
        'points_expiring',
        'replenishment_due',
        'segment_transition',
        'tier_almost_reached',
      ].sort(),
    );
  });

  it('keys each trigger by its fact so a re-evaluation gives the same key', () => {
    const churn = {
      probability: 0.6,
      previousProbability: null,
      driver: 'service' as const,
      reasons: [],
      scoredAt: T0,
      lastSeenAt: null,
    };
    const s = withOrders([0, 30], { churn });
    const a = evaluateTriggers(s, { type: 'Rescored', at: T0 + 40 * DAY }, T0 + 40 * DAY);
    const b = evaluateTriggers(s, { type: 'Rescored', at: T0 + 41 * DAY }, T0 + 41 * DAY);
    expect(a.map((x) => x.key)).toEqual(b.map((x) => x.key));
  });
});
