/**
 * Wall-clock time in a customer's own IANA time zone, through Intl (DST included): the offset at
 * an instant, the local hour, the local calendar week (Monday first), and the conversion of a
 * local wall time back to an instant. Formatters are cached per zone.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function wallTimeByIntl(t: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const p = parts.find((x) => x.type === type);
    return p ? Number(p.value) : 0;
  };
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall + (((t % 1000) + 1000) % 1000);
}

/**
 * Offsets per zone and 15-minute slot: every zone's transitions fall on a quarter hour, so the
 * offset is constant within a slot, and Intl (slow: it formats a string) runs once per slot.
 */
const QUARTER = 15 * 60_000;
const offsets = new Map<string, number>();

/** Local wall time at instant `t` in `timeZone`, as epoch milliseconds of that wall time read as UTC. */
export function localWallTime(t: number, timeZone: string): number {
  const slot = Math.floor(t / QUARTER);
  const key = `${timeZone}|${slot}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = slot * QUARTER;
    offset = wallTimeByIntl(start, timeZone) - start;
    if (offsets.size > 200_000) offsets.clear();
    offsets.set(key, offset);
  }
  return t + offset;
}

/** UTC offset of `timeZone` at instant `t`, in milliseconds (local = UTC + offset). */
export function offsetAt(t: number, timeZone: string): number {
  return localWallTime(t, timeZone) - t;
}

/** Local hour as a fraction (e.g. 21.5 for 21:30) at instant `t`. */
export function localHour(t: number, timeZone: string): number {
  const wall = localWallTime(t, timeZone);
  return (((wall % DAY) + DAY) % DAY) / HOUR;
}

/**
 * The instant whose local wall time in `timeZone` is `wall` (epoch ms of the wall time read as
 * UTC). In a spring-forward gap the later valid instant is returned; in a fall-back overlap the
 * earlier one.
 */
export function instantOfWallTime(wall: number, timeZone: string): number {
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  const back = localWallTime(t, timeZone);
  // Inside a gap the wall time does not exist: move forward by the gap.
  if (back !== wall) t += wall - back;
  return t;
}

/** Monday-first week number of the local calendar at instant `t` (1970-01-01 was a Thursday). */
export function localWeek(t: number, timeZone: string): number {
  const days = Math.floor(localWallTime(t, timeZone) / DAY);
  return Math.floor((days + 3) / 7);
}

/** The instant local Monday 00:00 of the week after the one containing `t` begins. */
export function startOfNextLocalWeek(t: number, timeZone: string): number {
  const week = localWeek(t, timeZone);
  const mondayWall = ((week + 1) * 7 - 3) * DAY;
  return instantOfWallTime(mondayWall, timeZone);
}

/** Quiet hours as local hours [start, end), wrapping midnight when start > end (e.g. 21 → 8). */
export interface QuietHours {
  readonly startHour: number;
  readonly endHour: number;
}

export function inQuietHours(t: number, timeZone: string, quiet: QuietHours): boolean {
  if (quiet.startHour === quiet.endHour) return false;
  const h = localHour(t, timeZone);
  return quiet.startHour < quiet.endHour
    ? h >= quiet.startHour && h < quiet.endHour
    : h >= quiet.startHour || h < quiet.endHour;
}

/** `t` itself when it is outside quiet hours, else the next local `endHour:00` after it. */
export function nextAllowedTime(t: number, timeZone: string, quiet: QuietHours): number {
  if (!inQuietHours(t, timeZone, quiet)) return t;
  const wall = localWallTime(t, timeZone);
  const dayStart = Math.floor(wall / DAY) * DAY;
  let target = dayStart + quiet.endHour * HOUR;
  if (target <= wall) target += DAY;
  let next = instantOfWallTime(target, timeZone);
  // A DST jump can land inside the window again; step an hour at a time (bounded).
  for (let i = 0; i < 48 && inQuietHours(next, timeZone, quiet); i++) next += HOUR;
  return next;
}
