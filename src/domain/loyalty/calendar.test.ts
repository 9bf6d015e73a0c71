import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endOfWindow, localDate, startOfLocalDay } from './calendar.js';

/** The reference: Intl asked directly, no caching. */
function intlDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
}

// Whole-hour, half-hour (Lord Howe's DST moves by 30 min) and quarter-hour zones, both hemispheres.
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
];
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

describe('calendar (cached zone offsets)', () => {
  it('gives the same local date as Intl for any instant and zone', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), (ms, zone) => {
        expect(localDate(new Date(ms).toISOString(), zone)).toBe(intlDate(ms, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it('starts a local day at the instant whose local date it is, and not a second earlier', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), (ms, zone) => {
        const day = intlDate(ms, zone);
        const start = Date.parse(startOfLocalDay(day, zone));
        expect(intlDate(start, zone)).toBe(day);
        expect(intlDate(start - 1000, zone)).not.toBe(day);
      }),
      { numRuns: 2000 },
    );
  });

  it('starts a day whose midnight a DST change skipped at the first instant after the gap', () => {
    // Apia moved from 00:00 to 01:00 (UTC−11 → UTC−10) on 2010-09-26: the day began at 01:00 local.
    expect(startOfLocalDay('2010-09-26', 'Pacific/Apia')).toBe('2010-09-26T11:00:00.000Z');
  });

  it('closes a window at local midnight across a DST change', () => {
    // Placed 2026-03-01 in Berlin; 30 days → closes at the start of 1 April, local (CEST, UTC+2).
    expect(endOfWindow('2026-03-01T10:00:00.000Z', 30, 'Europe/Berlin')).toBe('2026-03-31T22:00:00.000Z');
  });
});
