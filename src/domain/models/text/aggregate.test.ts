import { describe, expect, it } from 'vitest';
import {
  customerTextSignals,
  monthsBetween,
  risingComplaints,
  shiftMonth,
  themeTrends,
} from './aggregate.js';

const row = (
  month: string,
  polarity: string,
  mentions: number,
  productId: string | null = 'p1',
  theme = 'sizing',
) => ({
  productId,
  theme,
  month,
  polarity,
  mentions,
  scoreSum: polarity === 'negative' ? -0.5 * mentions : 0.5 * mentions,
});

describe('months', () => {
  it('lists every month of a range across a year end and shifts months both ways', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-02', '2026-01')).toEqual([]);
    expect(shiftMonth('2026-01', 1)).toBe('2025-12');
    expect(shiftMonth('2025-12', -1)).toBe('2026-01');
    expect(shiftMonth('2026-03', 14)).toBe('2025-01');
  });
});

describe('theme trends', () => {
  it('fills every month of the range, zeros included, with counts, shares and mean scores', () => {
    const [sizing] = themeTrends(
      [row('2025-10', 'negative', 2), row('2025-10', 'positive', 2)],
      ['2025-09', '2025-10'],
    );
    expect(sizing?.months).toEqual([
      { month: '2025-09', mentions: 0, negative: 0, neutral: 0, positive: 0, negativeShare: 0, meanScore: 0 },
      {
        month: '2025-10',
        mentions: 4,
        negative: 2,
        neutral: 0,
        positive: 2,
        negativeShare: 0.5,
        meanScore: 0,
      },
    ]);
  });
});

describe('rising complaints', () => {
  it('flags a rise beyond chance (z ≥ 1.96) and not one within it', () => {
    // 7 against 1: z = 6 / √8 = 2.12; 6 against 1: z = 5 / √7 = 1.89.
    expect(
      risingComplaints([row('2025-10', 'negative', 1), row('2025-11', 'negative', 7)], '2025-11'),
    ).toEqual([
      expect.objectContaining({
        productId: 'p1',
        theme: 'sizing',
        negative: 7,
        previousNegative: 1,
        z: 2.12,
      }),
    ]);
    expect(
      risingComplaints([row('2025-10', 'negative', 1), row('2025-11', 'negative', 6)], '2025-11'),
    ).toEqual([]);
  });

  it('ignores praise, falls and other months, and says the finding in words', () => {
    const rows = [
      row('2025-11', 'positive', 50),
      row('2025-10', 'negative', 20, 'p2'),
      row('2025-11', 'negative', 5, 'p2'),
      row('2025-08', 'negative', 0, 'p3'),
      row('2025-11', 'negative', 9, 'p3', 'shipping'),
    ];
    const r = risingComplaints(rows, '2025-11');
    expect(r.map((x) => [x.productId, x.theme])).toEqual([['p3', 'shipping']]);
    expect(r[0]?.text).toBe('shipping complaints on product p3 rose from 0 in 2025-10 to 9 in 2025-11');
  });
});

describe("a customer's text signals", () => {
  it('counts the recent negative texts, the complained-about themes and the latest tone', () => {
    const s = customerTextSignals(
      [
        { source: 'review', occurredAt: '2025-01-01T00:00:00Z', score: -0.8, label: 'negative', themes: [] },
        {
          source: 'ticket',
          occurredAt: '2025-06-02T00:00:00Z',
          score: -0.5,
          label: 'negative',
          themes: [{ theme: 'shipping', polarity: 'negative' }],
        },
        {
          source: 'review',
          occurredAt: '2025-06-05T00:00:00Z',
          score: 0.5,
          label: 'positive',
          themes: [{ theme: 'quality', polarity: 'positive' }],
        },
      ],
      '2025-06-01T00:00:00Z',
    );
    expect(s).toEqual({
      since: '2025-06-01T00:00:00Z',
      texts: 2,
      negative: 1,
      positive: 1,
      meanScore: 0,
      lastNegativeAt: '2025-06-02T00:00:00Z',
      latestLabel: 'positive',
      complaints: [{ theme: 'shipping', negative: 1, lastAt: '2025-06-02T00:00:00Z' }],
      praise: [{ theme: 'quality', positive: 1 }],
    });
  });
});
