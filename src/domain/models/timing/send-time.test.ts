import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { computeSendTimes, responseTypeIndex } from './compute.js';
import { HOURS_OF_WEEK, localHourOfWeek, nextLocalTime } from './local-time.js';
import {
  bestHour,
  channelPreference,
  fitPriorStrength,
  posteriorPattern,
  storePattern,
  type SparseCounts,
} from './send-time.js';

const at = (s: string): number => Date.parse(s);

describe('local time', () => {
  it('gives the hour of the week in the customer’s zone, daylight saving included', () => {
    // Tuesday 2025-03-04 10:00Z is 05:00 EST; Tuesday 2025-07-01 23:30Z is 19:30 EDT.
    expect(localHourOfWeek('America/New_York', at('2025-03-04T10:00:00Z'))).toBe(24 + 5);
    expect(localHourOfWeek('America/New_York', at('2025-07-01T23:30:00Z'))).toBe(24 + 19);
    // Sunday 2025-03-30 01:30Z is 03:30 CEST in Berlin (after the switch at 01:00Z).
    expect(localHourOfWeek('Europe/Berlin', at('2025-03-30T01:30:00Z'))).toBe(6 * 24 + 3);
    expect(localHourOfWeek('Asia/Tokyo', at('2025-03-02T15:00:00Z'))).toBe(0);
  });

  it('finds the next occurrence of a local hour, on any day or on a given weekday', () => {
    expect(nextLocalTime('America/New_York', at('2025-03-04T10:00:00Z'), 19, null)).toBe(
      at('2025-03-05T00:00:00Z'),
    );
    expect(nextLocalTime('America/New_York', at('2025-03-05T00:00:01Z'), 19, null)).toBe(
      at('2025-03-06T00:00:00Z'),
    );
    // Next Saturday 09:00 in London after Tuesday 4 March 2025.
    expect(nextLocalTime('Europe/London', at('2025-03-04T10:00:00Z'), 9, 5)).toBe(at('2025-03-08T09:00:00Z'));
  });
});

describe('send-time shrinkage', () => {
  it('gives a customer without history the store pattern, and one with much history their own', () => {
    const counts = new Float64Array(HOURS_OF_WEEK);
    counts[24 + 19] = 1000;
    const p = storePattern(counts);
    const none = posteriorPattern({ hours: [], counts: [], total: 0 }, p, 20);
    expect(Array.from(none)).toEqual(Array.from(p));
    const lots = posteriorPattern({ hours: [2 * 24 + 8], counts: [2000], total: 2000 }, p, 20);
    expect(bestHour(lots).hour).toBe(8);
    expect(lots.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('recovers the prior strength of a simulated Dirichlet–multinomial store within 35 %', () => {
    const rnd = createRandom(11);
    const base = new Float64Array(HOURS_OF_WEEK).map((_, h) => Math.exp(-(((h % 24) - 19) ** 2) / 8) + 0.02);
    const sum = base.reduce((s, v) => s + v, 0);
    const p = base.map((v) => v / sum);
    const alpha = 40;
    const customers: SparseCounts[] = [];
    for (let i = 0; i < 3000; i++) {
      const g = Array.from(p, (ph) => rnd.gamma(alpha * ph + 1e-9, 1));
      const gs = g.reduce((s, v) => s + v, 0);
      const n = 3 + rnd.int(30);
      const counts = new Map<number, number>();
      for (let k = 0; k < n; k++) {
        let u = rnd.next() * gs;
        let h = 0;
        while (h < HOURS_OF_WEEK - 1 && (u -= g[h]!) > 0) h++;
        counts.set(h, (counts.get(h) ?? 0) + 1);
      }
      customers.push({ hours: [...counts.keys()], counts: [...counts.values()], total: n });
    }
    const fitted = fitPriorStrength(customers, p);
    expect(fitted).toBeGreaterThan(alpha / 1.35);
    expect(fitted).toBeLessThan(alpha * 1.35);
  });

  it('smooths neighbouring hours: opens at 19:xx and 20:xx beat a single 07:xx spike', () => {
    const pattern = new Float64Array(HOURS_OF_WEEK);
    pattern[19] = 0.3;
    pattern[20] = 0.3;
    pattern[7] = 0.4;
    const b = bestHour(pattern);
    expect([19, 20]).toContain(b.hour);
  });

  it('prefers the channel a customer responds on, and the store’s channel without history', () => {
    const store = { email: 0.8, sms: 0.15, push: 0.05 };
    expect(channelPreference({ email: 1, sms: 9, push: 0 }, store).channel).toBe('sms');
    expect(channelPreference({ email: 0, sms: 0, push: 0 }, store).channel).toBe('email');
    expect(channelPreference({ email: 0, sms: 1, push: 0 }, store).channel).toBe('email');
  });

  it('finds an evening habit from opens in local time across zones', () => {
    // Two customers: New York opening at 20:00 local, Tokyo at 08:00 local, ten opens each.
    const times: number[] = [];
    // (The New York weeks straddle the switch to daylight saving time on 9 March.)
    const week = 7 * 86_400_000;
    for (let d = 0; d < 10; d++)
      times.push(
        nextLocalTime('America/New_York', at('2025-03-01T00:00:00Z') + d * week, 20, null) + 600_000,
      );
    for (let d = 0; d < 10; d++)
      times.push(nextLocalTime('Asia/Tokyo', at('2025-03-01T00:00:00Z') + d * week, 8, null) + 600_000);
    const r = computeSendTimes({
      customers: 2,
      start: Int32Array.from([0, 10, 20]),
      at: Float64Array.from(times),
      type: new Uint8Array(20).fill(responseTypeIndex('email', 'open')),
      zone: Int32Array.from([0, 1]),
      zones: ['America/New_York', 'Asia/Tokyo'],
    });
    expect(r.bestHour[0]).toBe(20);
    expect(r.bestHour[1]).toBe(8);
    expect(r.opens[0]).toBe(10);
  });
});
