import { describe, expect, it } from 'vitest';
import { CHURN_FEATURES, churnFeature, DAY_MS, historyAsOf } from './features.js';
import { emptyHistory, type CustomerHistory } from './history.js';

const day = (d: number): number => Date.UTC(2025, 0, 1) + d * DAY_MS;
const order = (d: number, totalMinor = 5000, discountMinor = 0) => ({
  orderId: `o${d}`,
  at: day(d),
  totalMinor,
  discountMinor,
  coupon: false,
});

function customer(over: Partial<CustomerHistory>): CustomerHistory {
  return { ...emptyHistory('cus_1'), ...over };
}

const value = (name: string, h: CustomerHistory, cutoffDay: number): number =>
  churnFeature(name).compute(historyAsOf(h, day(cutoffDay)));

describe('churn features', () => {
  const regular = customer({ orders: [order(0), order(30), order(60), order(90)] });

  it('gives every feature a family, a description and a unique name', () => {
    const names = CHURN_FEATURES.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of CHURN_FEATURES) expect(f.description.length).toBeGreaterThan(5);
  });

  it('reads nothing at or after the cut-off', () => {
    const later = customer({ orders: [...regular.orders, order(100), order(101)] });
    for (const f of CHURN_FEATURES) {
      const a = f.compute(historyAsOf(regular, day(100)));
      const b = f.compute(historyAsOf(later, day(100)));
      expect(Number.isNaN(a) ? 'NaN' : a).toEqual(Number.isNaN(b) ? 'NaN' : b);
    }
  });

  it('counts what happened since the last order: refunds, low ratings, severe tickets', () => {
    const h = customer({
      orders: [order(0), order(30)],
      refunds: [
        { at: day(5), orderId: 'o0' },
        { at: day(34), orderId: 'o30' },
      ],
      reviews: [
        { at: day(10), rating: 1 },
        { at: day(33), rating: 2 },
        { at: day(35), rating: 5 },
      ],
      tickets: [
        { ticketId: 't1', openedAt: day(8), severity: 'urgent', resolvedAt: null, satisfied: null },
        { ticketId: 't2', openedAt: day(32), severity: 'medium', resolvedAt: null, satisfied: null },
        { ticketId: 't3', openedAt: day(33), severity: 'high', resolvedAt: day(40), satisfied: false },
      ],
    });
    expect(value('refundsSinceLastOrder', h, 40)).toBe(1);
    expect(value('lowRatingsSinceLastOrder', h, 40)).toBe(1);
    expect(value('severeTicketsSinceLastOrder', h, 40)).toBe(1);
    // Before the refund and the reviews happened: nothing yet.
    expect(value('refundsSinceLastOrder', h, 32)).toBe(0);
    expect(value('lowRatingsSinceLastOrder', h, 32)).toBe(0);
    expect(Number.isNaN(value('refundsSinceLastOrder', customer({}), 40))).toBe(true);
    const f = churnFeature('severeTicketsSinceLastOrder');
    const v = historyAsOf(h, day(40));
    expect(f.reason(f.compute(v), v)).toBe('1 high-severity ticket since the last order');
  });

  it('measures how deep the last orders’ discounts went', () => {
    // 10 % off, none, 30 % off (of the price before the discount).
    const h = customer({
      orders: [order(0, 9000, 1000), order(10), order(20, 7000, 3000), order(30, 8000, 2000)],
    });
    expect(value('recentDiscountDepth', h, 40)).toBeCloseTo((0 + 0.3 + 0.2) / 3);
    expect(value('recentDiscountDepth', regular, 100)).toBe(0);
  });

  it('measures lateness against the customer’s own gap and says it in days', () => {
    // Every 30 days; the last order was 44 days ago: 14 days later than usual.
    expect(value('recencyDays', regular, 134)).toBe(44);
    expect(value('overdueRatio', regular, 134)).toBeCloseTo(44 / 30);
    const f = churnFeature('overdueRatio');
    const h = historyAsOf(regular, day(134));
    expect(f.reason(f.compute(h), h)).toBe('14 days later than usual for this customer');
  });

  it('sees gaps spacing out and orders shrinking', () => {
    const slowing = customer({ orders: [order(0, 8000), order(10, 8000), order(20, 2000), order(60, 2000)] });
    expect(value('gapTrend', slowing, 61)).toBeCloseTo(4);
    expect(value('aovTrend', slowing, 61)).toBeCloseTo(2000 / 5000);
    expect(value('gapTrend', customer({ orders: [order(0), order(5)] }), 10)).toBeNaN();
  });

  it('calls a customer who never pays full price one who only buys on discount', () => {
    const h = customer({ orders: [order(0, 5000, 500), order(20, 5000, 900)] });
    expect(value('discountOrderShare', h, 30)).toBe(1);
    const f = churnFeature('discountOrderShare');
    const v = historyAsOf(h, day(30));
    expect(f.reason(f.compute(v), v)).toBe('only buys on discount');
  });

  it('counts unresolved tickets and treats a resolution after the cut-off as not yet resolved', () => {
    const h = customer({
      orders: [order(0)],
      tickets: [
        { ticketId: 't1', openedAt: day(5), severity: 'urgent', resolvedAt: day(20), satisfied: false },
        { ticketId: 't2', openedAt: day(8), severity: 'low', resolvedAt: null, satisfied: null },
      ],
    });
    expect(value('unresolvedTickets', h, 10)).toBe(2);
    expect(value('unresolvedTickets', h, 30)).toBe(1);
    expect(value('severeTickets90d', h, 30)).toBe(1);
    expect(value('resolutionDays180d', h, 30)).toBe(15);
    expect(value('unsatisfiedTickets180d', h, 30)).toBe(1);
    expect(value('oldestOpenTicketDays', h, 30)).toBe(22);
    const f = churnFeature('unresolvedTickets');
    expect(f.reason(2, historyAsOf(h, day(10)))).toBe('2 unresolved tickets');
  });

  it('compares recent email opens with the customer’s own earlier rate', () => {
    const opens = [];
    for (let d = 0; d < 140; d += 2) opens.push({ at: day(d), kind: 'emailOpen' as const }); // 14 per 28 days
    const h = customer({ orders: [order(0)], activity: opens });
    // Recent 28 days before day 168: none; baseline 14 per 28 days → (0+1)/(14+1).
    expect(value('emailOpenTrend', h, 168)).toBeCloseTo(1 / 15);
    expect(value('emailOpenTrend', h, 140)).toBeCloseTo(15 / 15);
    expect(value('emailOpenTrend', customer({ orders: [order(0)] }), 20)).toBeNaN();
  });

  it('counts refunds of orders before the cut-off and low ratings', () => {
    const h = customer({
      orders: [order(0), order(10)],
      refunds: [{ at: day(12), orderId: 'o10' }],
      reviews: [
        { at: day(11), rating: 1 },
        { at: day(3), rating: 5 },
      ],
    });
    expect(value('refundRate', h, 11)).toBe(0);
    expect(value('refundRate', h, 13)).toBe(0.5);
    expect(value('lowRatings180d', h, 13)).toBe(1);
    expect(value('meanRating', h, 13)).toBe(3);
  });
});
