import { describe, expect, it } from 'vitest';
import { defaultTimeToValue, learnTimeToValue, reviewDueAt } from './review-timing.js';

describe('review-request timing', () => {
  it('uses the category default without reviews and follows the median with many', () => {
    const none = learnTimeToValue([]).find((c) => c.category === 'skincare')!;
    expect(none.days).toBe(defaultTimeToValue('skincare'));
    const many = learnTimeToValue(
      Array.from({ length: 2000 }, (_, i) => ({ category: 'coffee', days: 8 + (i % 5) - 2 })),
    );
    const coffee = many.find((c) => c.category === 'coffee')!;
    expect(coffee.medianDays).toBe(8);
    expect(coffee.days).toBeGreaterThan(7.8);
    expect(coffee.days).toBeLessThan(8);
  });

  it('shrinks a category with few reviews most of the way to its default', () => {
    const few = learnTimeToValue([2, 2, 2].map((days) => ({ category: 'supplements', days }))).find(
      (c) => c.category === 'supplements',
    )!;
    expect(few.days).toBeGreaterThan(15);
    expect(few.days).toBeLessThan(28);
  });

  it('times a review request from delivery and the main category of the order', () => {
    const ttv = new Map([
      ['coffee', 5],
      ['skincare', 20],
    ]);
    const delivered = Date.parse('2026-01-10T12:00:00Z');
    const r = reviewDueAt(
      delivered,
      [
        { category: 'Coffee', valueMinor: 1000 },
        { category: 'skincare', valueMinor: 4000 },
      ],
      ttv,
    );
    expect(r.category).toBe('skincare');
    expect(r.at).toBe(delivered + 20 * 86_400_000);
  });
});
