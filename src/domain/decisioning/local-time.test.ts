import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inQuietHours,
  instantOfWallTime,
  localHour,
  localWallTime,
  localWeek,
  nextAllowedTime,
  offsetAt,
  startOfNextLocalWeek,
} from './local-time.js';

const t = (iso: string): number => Date.parse(iso);
const quiet = { startHour: 21, endHour: 8 };

describe('local time in the customer’s own zone', () => {
  it('knows New York is UTC−5 in winter and UTC−4 in summer', () => {
    expect(offsetAt(t('2025-01-15T12:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(offsetAt(t('2025-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
  });

  it('reads the local hour in Tokyo', () => {
    expect(localHour(t('2025-03-01T13:30:00Z'), 'Asia/Tokyo')).toBe(22.5);
  });

  it('treats 23:00 in Berlin as quiet and 12:00 as not', () => {
    expect(inQuietHours(t('2025-03-01T22:00:00Z'), 'Europe/Berlin', quiet)).toBe(true);
    expect(inQuietHours(t('2025-03-01T11:00:00Z'), 'Europe/Berlin', quiet)).toBe(false);
  });

  it('defers 23:00 in Los Angeles to 08:00 the next local morning', () => {
    const at = t('2025-03-02T07:00:00Z'); // 23:00 PST on March 1st
    expect(new Date(nextAllowedTime(at, 'America/Los_Angeles', quiet)).toISOString()).toBe(
      '2025-03-02T16:00:00.000Z',
    );
  });

  it('defers across the spring-forward night to 08:00 daylight time', () => {
    const at = t('2025-03-09T06:00:00Z'); // 01:00 EST, the night clocks go to 03:00
    expect(new Date(nextAllowedTime(at, 'America/New_York', quiet)).toISOString()).toBe(
      '2025-03-09T12:00:00.000Z',
    );
  });

  it('converts a local wall time back to the instant', () => {
    expect(new Date(instantOfWallTime(Date.UTC(2025, 6, 1, 9), 'Australia/Sydney')).toISOString()).toBe(
      '2025-06-30T23:00:00.000Z',
    );
  });

  it('starts the next local week on Monday 00:00 local time', () => {
    const at = t('2025-03-05T12:00:00Z'); // a Wednesday
    const next = startOfNextLocalWeek(at, 'Europe/London');
    expect(new Date(next).toISOString()).toBe('2025-03-10T00:00:00.000Z');
    expect(localWeek(next, 'Europe/London')).toBe(localWeek(at, 'Europe/London') + 1);
  });
});

describe('the cached offsets', () => {
  it('agree with Intl at every instant, across DST changes in every zone', () => {
    const zones = [
      'America/New_York',
      'Europe/London',
      'Australia/Sydney',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2024-01-01'), max: Date.parse('2028-01-01') }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const f = new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
          const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
          const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (ms % 1000);
          expect(localWallTime(ms, zone)).toBe(wall);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
