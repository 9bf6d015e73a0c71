/**
 * Calendar arithmetic in the programme's time zone (IANA name), for the ledger's dates: when a
 * return window closes, when a lot expires, which period a bonus cap counts in. Instants are ISO
 * 8601 UTC strings; a local date is `YYYY-MM-DD` in the zone. Uses Intl only (no clock, no I/O).
 */

/** Zone offsets come from the decisioning clock's cache (one Intl call per zone and quarter hour). */
import { instantOfWallTime, localWallTime } from '../decisioning/local-time.js';

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(ms: number, timeZone: string): LocalParts {
  const d = new Date(localWallTime(Math.floor(ms / 1000) * 1000, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The local calendar date (`YYYY-MM-DD`) of an instant in the zone. */
export function localDate(instant: string, timeZone: string): string {
  const p = localParts(Date.parse(instant), timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Adds whole days to a local date. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The instant (ISO UTC) at which a local date begins in the zone (handles DST shifts). */
export function startOfLocalDay(date: string, timeZone: string): string {
  // Local midnight; where a DST change skips midnight (Pacific/Apia on 2010-09-26 jumped from
  // 00:00 to 01:00) the day begins at the first instant after the gap.
  return new Date(instantOfWallTime(Date.parse(`${date}T00:00:00.000Z`), timeZone)).toISOString();
}

/**
 * The instant a window of `days` days that starts on the local date of `instant` ends: the start of
 * the local day after its last day. A 30-day return window for an order placed on 1 March closes at
 * local midnight between 31 March and 1 April.
 */
export function endOfWindow(instant: string, days: number, timeZone: string): string {
  return startOfLocalDay(addDays(localDate(instant, timeZone), days + 1), timeZone);
}

export type CapPeriod = 'day' | 'week' | 'month' | 'year' | 'lifetime';

/** The [start, end) instants of the calendar period that holds `instant`, in the zone. Weeks start on Monday. */
export function periodBounds(
  instant: string,
  period: CapPeriod,
  timeZone: string,
): { start: string; end: string } {
  if (period === 'lifetime') return { start: '0000-01-01T00:00:00.000Z', end: '9999-12-31T23:59:59.999Z' };
  const date = localDate(instant, timeZone);
  const [y, m] = date.split('-').map(Number) as [number, number];
  let first: string;
  let next: string;
  if (period === 'day') {
    first = date;
    next = addDays(date, 1);
  } else if (period === 'week') {
    const dow = (new Date(`${date}T00:00:00.000Z`).getUTCDay() + 6) % 7; // Monday = 0
    first = addDays(date, -dow);
    next = addDays(first, 7);
  } else if (period === 'month') {
    first = `${date.slice(0, 7)}-01`;
    next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  } else {
    first = `${y}-01-01`;
    next = `${y + 1}-01-01`;
  }
  return { start: startOfLocalDay(first, timeZone), end: startOfLocalDay(next, timeZone) };
}
