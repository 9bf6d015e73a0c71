/**
 * Local time in a customer's IANA time zone, DST included, fast enough for millions of events:
 * the zone's UTC offset is looked up once per (zone, UTC day) through Intl and cached.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const HOURS_OF_WEEK = 168;

const formatters = new Map<string, Intl.DateTimeFormat | null>();
const offsets = new Map<string, Map<number, number>>();

function formatter(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    } catch {
      f = null;
    }
    formatters.set(zone, f);
  }
  return f;
}

/** True when Intl knows the zone. */
export function knownZone(zone: string): boolean {
  return formatter(zone) !== null;
}

function offsetAt(zone: string, ms: number): number {
  const f = formatter(zone);
  if (f === null) return 0;
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR_MS + Number(m[3]) * 60_000) : 0;
}

/**
 * The zone's offset from UTC (ms) at `ms`. Cached per UTC day; on a day whose offset changes
 * (a DST switch) the exact instant is looked up. Unknown zones count as UTC.
 */
export function zoneOffset(zone: string, ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  let byDay = offsets.get(zone);
  if (byDay === undefined) offsets.set(zone, (byDay = new Map()));
  let cached = byDay.get(day);
  if (cached === undefined) {
    const start = offsetAt(zone, day * DAY_MS);
    const end = offsetAt(zone, (day + 1) * DAY_MS - 1);
    cached = start === end ? start : NaN;
    byDay.set(day, cached);
  }
  return Number.isNaN(cached) ? offsetAt(zone, ms) : cached;
}

/** Hour of the week in the zone: Monday 00:00–00:59 is 0, Sunday 23:00 is 167. */
export function localHourOfWeek(zone: string, ms: number): number {
  const local = ms + zoneOffset(zone, ms);
  const day = Math.floor(local / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  const weekday = (((day + 3) % 7) + 7) % 7;
  const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
  return weekday * 24 + hour;
}

/**
 * The first instant at or after `after` when the local clock in `zone` shows `hour`:00, on the
 * given weekday (0 = Monday) or on any day when `weekday` is null.
 */
export function nextLocalTime(zone: string, after: number, hour: number, weekday: number | null): number {
  for (let d = -1; d <= 8; d++) {
    const guessDay = Math.floor((after + zoneOffset(zone, after)) / DAY_MS) + d;
    const approx = guessDay * DAY_MS + hour * HOUR_MS;
    const t = approx - zoneOffset(zone, approx - zoneOffset(zone, approx));
    if (t < after) continue;
    if (weekday !== null && Math.floor(localHourOfWeek(zone, t) / 24) !== weekday) continue;
    return t;
  }
  throw new Error(`nextLocalTime: no ${hour}:00 in ${zone} within 9 days of ${after}`);
}
