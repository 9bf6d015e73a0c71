/**
 * Time for the simulator: epoch milliseconds internally, UTC ISO strings with milliseconds outside.
 * The horizon always comes from options; nothing here reads the wall clock.
 */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

const dayPrefixes = new Map<number, string>();

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `2025-03-04T10:11:12.000Z` for an integer epoch millisecond (a faster `toISOString`). */
export function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY;
  const h = Math.floor(rest / HOUR);
  rest -= h * HOUR;
  const m = Math.floor(rest / MINUTE);
  rest -= m * MINUTE;
  const s = Math.floor(rest / 1000);
  return `${prefix}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(rest - s * 1000, 3)}Z`;
}

/** Parses a horizon start (`2025-01-06` or a full ISO instant) into epoch milliseconds. */
export function parseInstant(value: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(ms)) throw new RangeError(`"${value}" is not a date such as 2025-01-06`);
  return ms;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();

/** The zone's offset from UTC in milliseconds on the (UTC) day containing `ms`, DST included. */
export function zoneOffset(zone: string, ms: number): number {
  const day = Math.floor(ms / DAY);
  let byDay = offsets.get(zone);
  if (byDay === undefined) offsets.set(zone, (byDay = new Map()));
  const cached = byDay.get(day);
  if (cached !== undefined) return cached;
  // Offsets change only at DST switches: when a week starts and ends on the same offset, every
  // day in it has that offset, which saves six slow Intl calls out of seven.
  const first = day - (((day % 7) + 7) % 7);
  const a = offsetOnDay(zone, first);
  const b = offsetOnDay(zone, first + 7);
  for (let d = first; d < first + 7; d++) byDay.set(d, a === b ? a : offsetOnDay(zone, d));
  return byDay.get(day) as number;
}

function offsetOnDay(zone: string, day: number): number {
  let fmt = formatters.get(zone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, fmt);
  }
  // Noon UTC keeps the whole day on one side of a DST switch in every zone the simulator uses.
  const name = fmt.formatToParts(new Date(day * DAY + 12 * HOUR)).find((p) => p.type === 'timeZoneName');
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name?.value ?? '');
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * MINUTE) : 0;
}

/**
 * The first instant at or after `ms` whose local time of day in `zone` is `hour` (fractional hours).
 * Used to move a latent event time to the customer's waking hours without moving it backwards.
 */
export function nextLocalHour(zone: string, ms: number, hour: number): number {
  const off = zoneOffset(zone, ms);
  const localDay = Math.floor((ms + off) / DAY);
  let t = localDay * DAY + hour * HOUR - off;
  if (t < ms) t += DAY;
  return Math.round(t);
}
