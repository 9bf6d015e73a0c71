/**
 * Programme health: what the outstanding points would cost the store (pending, available, and the
 * breakage the history of expiries predicts), how many members took part this quarter, and a
 * what-if of tier thresholds replayed over the real history.
 */
import {
  evaluateTier,
  initialTierState,
  qualifyingScore,
  type QualifyingActivity,
  type TierConfig,
  type TierDefinition,
  type TierState,
} from './tiers.js';

/** The money one point is worth: `minor` minor units per `per` points (e.g. 1 per 1, or 5 per 100). */
export interface PointValue {
  readonly minor: number;
  readonly per: number;
}

export const pointsToMinor = (points: number, v: PointValue): number =>
  Math.round((points * v.minor) / v.per);

/** A lot whose lifetime has ended: what became of the points it credited. */
export interface MaturedLot {
  readonly points: number;
  readonly redeemed: number;
  readonly expired: number;
  /** Reversed by refunds (not breakage: the points never were the member's). */
  readonly reversed: number;
}

export interface Breakage {
  /** Share of credited points that expired unspent, 0‥1, or null without matured lots or redemptions. */
  readonly rate: number | null;
  readonly maturedPoints: number;
  readonly expiredPoints: number;
}

/**
 * Breakage = Σ expired / Σ (credited − reversed) over lots whose lifetime has ended (open lots are
 * left out: their outcome is not known yet, and counting them would bias the rate down).
 * A history in which no matured point was ever redeemed says nothing about how members spend —
 * typically points credited over imported history before the programme (and its rewards) went
 * live — so it gives no rate either, rather than a breakage of 100 % and a liability of nothing.
 */
export function breakageFromHistory(lots: readonly MaturedLot[]): Breakage {
  let matured = 0;
  let expired = 0;
  let redeemed = 0;
  for (const l of lots) {
    matured += Math.max(0, l.points - l.reversed);
    expired += l.expired;
    redeemed += l.redeemed;
  }
  return {
    rate: matured > 0 && redeemed > 0 ? expired / matured : null,
    maturedPoints: matured,
    expiredPoints: expired,
  };
}

export interface Liability {
  readonly pendingPoints: number;
  readonly availablePoints: number;
  readonly pendingMinor: number;
  readonly availableMinor: number;
  /** Points expected to expire unspent (outstanding × breakage rate). */
  readonly expectedBreakagePoints: number;
  readonly expectedBreakageMinor: number;
  /** What the store should expect to honour: (pending + available − breakage) × point value. */
  readonly expectedCostMinor: number;
  readonly breakageRate: number;
  readonly breakageBasis: 'history' | 'assumed';
}

/**
 * Outstanding points liability in the store's currency. Without matured lots the breakage rate is
 * the `assumedBreakage` the store configured, and the basis says so.
 */
export function pointsLiability(input: {
  readonly pendingPoints: number;
  readonly availablePoints: number;
  readonly pointValue: PointValue;
  readonly breakage: Breakage;
  readonly assumedBreakage: number;
}): Liability {
  const rate = input.breakage.rate ?? input.assumedBreakage;
  const outstanding = input.pendingPoints + input.availablePoints;
  const breakagePoints = Math.round(outstanding * rate);
  return {
    pendingPoints: input.pendingPoints,
    availablePoints: input.availablePoints,
    pendingMinor: pointsToMinor(input.pendingPoints, input.pointValue),
    availableMinor: pointsToMinor(input.availablePoints, input.pointValue),
    expectedBreakagePoints: breakagePoints,
    expectedBreakageMinor: pointsToMinor(breakagePoints, input.pointValue),
    expectedCostMinor: pointsToMinor(outstanding - breakagePoints, input.pointValue),
    breakageRate: rate,
    breakageBasis: input.breakage.rate === null ? 'assumed' : 'history',
  };
}

/** Offset of a time zone from UTC at an instant, in ms (local = utc + offset). */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of local midnight on a local calendar date in a time zone. */
function zonedMidnight(year: number, month0: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month0, day);
  let t = guess - zoneOffsetMs(guess, timeZone);
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

/** The calendar quarter containing `now` in the programme's time zone: [start, end) as ISO UTC. */
export function quarterOf(now: string, timeZone: string): { label: string; start: string; end: string } {
  const ms = Date.parse(now);
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  const year = local.getUTCFullYear();
  const q = Math.floor(local.getUTCMonth() / 3);
  const start = zonedMidnight(year, q * 3, 1, timeZone);
  const end = q === 3 ? zonedMidnight(year + 1, 0, 1, timeZone) : zonedMidnight(year, q * 3 + 3, 1, timeZone);
  return {
    label: `${year}-Q${q + 1}`,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
  };
}

export interface Participation {
  readonly quarter: string;
  readonly members: number;
  readonly earning: number;
  readonly redeeming: number;
  /** Members who earned or redeemed in the quarter. */
  readonly active: number;
  readonly rate: number;
}

/** Active participation: members earning or redeeming in the quarter (each member once). */
export function participation(input: {
  readonly members: number;
  readonly movements: ReadonlyArray<{
    readonly customerId: string;
    readonly at: string;
    readonly kind: 'earn' | 'redeem';
  }>;
  readonly now: string;
  readonly timeZone: string;
}): Participation {
  const q = quarterOf(input.now, input.timeZone);
  const start = Date.parse(q.start);
  const end = Math.min(Date.parse(q.end), Date.parse(input.now) + 1);
  const earn = new Set<string>();
  const redeem = new Set<string>();
  for (const m of input.movements) {
    const t = Date.parse(m.at);
    if (t < start || t >= end) continue;
    (m.kind === 'earn' ? earn : redeem).add(m.customerId);
  }
  const active = new Set([...earn, ...redeem]).size;
  return {
    quarter: q.label,
    members: input.members,
    earning: earn.size,
    redeeming: redeem.size,
    active,
    rate: input.members > 0 ? active / input.members : 0,
  };
}

export interface WhatIfResult {
  readonly tiers: ReadonlyArray<{ readonly id: string; readonly current: number; readonly proposed: number }>;
  /** moves[from][to]: members in tier `from` today who would be in `to` under the proposal. */
  readonly moves: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly members: number;
  readonly checkpoints: number;
}

/**
 * Replays each member's real history under a tier configuration: the tier is re-evaluated at every
 * activity (as the live programme does) and at every `checkpointDays` (so window roll-off and grace
 * periods take effect), from the first activity to `now`. Returns the tier at `now`.
 */
export function replayTier(
  activities: readonly QualifyingActivity[],
  c: TierConfig,
  now: string,
  checkpointDays = 7,
): TierState {
  const sorted = [...activities].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = sorted[0];
  if (!first) return initialTierState(c, now);
  const end = Date.parse(now);
  const times = new Set<number>();
  for (const a of sorted) if (Date.parse(a.at) <= end) times.add(Date.parse(a.at));
  for (let t = Date.parse(first.at); t < end; t += checkpointDays * 86_400_000) times.add(t);
  times.add(end);
  let state = initialTierState(c, first.at);
  let i = 0;
  const seen: QualifyingActivity[] = [];
  for (const t of [...times].sort((a, b) => a - b)) {
    while (i < sorted.length && Date.parse((sorted[i] as QualifyingActivity).at) <= t)
      seen.push(sorted[i++] as QualifyingActivity);
    const at = new Date(t).toISOString();
    state = evaluateTier(state, qualifyingScore(seen, c, at).score, c, at).state;
  }
  return state;
}

/**
 * What-if: how many members would be in each tier under proposed thresholds (same tiers, other
 * numbers), both replayed over the same real history, and who would move where.
 */
export function whatIfThresholds(input: {
  readonly members: ReadonlyArray<readonly QualifyingActivity[]>;
  readonly current: TierConfig;
  readonly thresholds: Readonly<Record<string, number>>;
  readonly now: string;
  readonly checkpointDays?: number;
}): WhatIfResult {
  const proposed: TierConfig = {
    ...input.current,
    tiers: input.current.tiers.map((t): TierDefinition => ({
      ...t,
      threshold: input.thresholds[t.id] ?? t.threshold,
    })),
  };
  const ids = input.current.tiers.map((t) => t.id);
  const cur: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const pro: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const moves: Record<string, Record<string, number>> = Object.fromEntries(
    ids.map((id) => [id, Object.fromEntries(ids.map((to) => [to, 0]))]),
  );
  for (const acts of input.members) {
    const a = replayTier(acts, input.current, input.now, input.checkpointDays).tierId;
    const b = replayTier(acts, proposed, input.now, input.checkpointDays).tierId;
    cur[a] = (cur[a] ?? 0) + 1;
    pro[b] = (pro[b] ?? 0) + 1;
    const row = moves[a] as Record<string, number>;
    row[b] = (row[b] ?? 0) + 1;
  }
  return {
    tiers: ids.map((id) => ({ id, current: cur[id] ?? 0, proposed: pro[id] ?? 0 })),
    moves,
    members: input.members.length,
    checkpoints: input.checkpointDays ?? 7,
  };
}
