/**
 * Programme health for the store: the outstanding points liability in its currency (pending,
 * available, expected breakage from the history of expiries), participation in the quarter, the
 * members per tier, open abuse flags, and a what-if of tier thresholds replayed over the real
 * history. Reads the ledger's figures through `LedgerFigures` (src/store implements it over the
 * ledger's tables) and never writes.
 */
import {
  breakageFromHistory,
  participation,
  pointsLiability,
  whatIfThresholds,
  type Liability,
  type MaturedLot,
  type Participation,
  type WhatIfResult,
} from '../domain/loyalty/health.js';
import { err, ok, type Result } from '../domain/result.js';
import type { ProgrammeStore } from './loyalty-programme.js';

export interface LedgerFigures {
  /** Σ pending and available points over all members, and the number of members with an account. */
  outstanding(now: string): Promise<{ pending: number; available: number; members: number }>;
  /** Lots whose expiry is at or before `now`, with what became of their points. */
  maturedLots(now: string): Promise<MaturedLot[]>;
  /** Earn and redeem movements in [start, end). */
  movements(
    start: string,
    end: string,
  ): Promise<Array<{ customerId: string; at: string; kind: 'earn' | 'redeem' }>>;
}

export interface ProgrammeHealth {
  readonly asOf: string;
  readonly currency: string;
  readonly liability: Liability & { readonly maturedPoints: number; readonly expiredPoints: number };
  readonly participation: Participation;
  readonly tiers: Record<string, number>;
  readonly openFlags: number;
}

export async function programmeHealth(
  store: ProgrammeStore,
  ledger: LedgerFigures,
  now: string,
): Promise<ProgrammeHealth> {
  const s = await store.settings();
  const [outstanding, lots, tiers, flags] = await Promise.all([
    ledger.outstanding(now),
    ledger.maturedLots(now),
    store.tierCounts(),
    store.flags(null),
  ]);
  const breakage = breakageFromHistory(lots);
  const p = participation({
    members: outstanding.members,
    movements: await ledger.movements(new Date(Date.parse(now) - 100 * 86_400_000).toISOString(), now),
    now,
    timeZone: s.timezone,
  });
  return {
    asOf: now,
    currency: s.currency,
    liability: {
      ...pointsLiability({
        pendingPoints: outstanding.pending,
        availablePoints: outstanding.available,
        pointValue: s.pointValue,
        breakage,
        assumedBreakage: s.assumedBreakage,
      }),
      maturedPoints: breakage.maturedPoints,
      expiredPoints: breakage.expiredPoints,
    },
    participation: p,
    tiers,
    openFlags: flags.filter((f) => f.status === 'open').length,
  };
}

export type WhatIfError = { type: 'Invalid'; errors: Array<{ path: string; message: string }> };

/**
 * How many members would be in each tier under proposed thresholds, both the current and the
 * proposed configuration replayed over each member's real history (orders, refunds, reviews,
 * referrals, community help) — soft landings included.
 */
export async function whatIf(
  store: ProgrammeStore,
  input: { thresholds: unknown; now: string; checkpointDays?: number },
): Promise<Result<WhatIfResult, WhatIfError>> {
  const s = await store.settings();
  const ids = s.tiers.tiers.map((t) => t.id);
  const errors: Array<{ path: string; message: string }> = [];
  const t = input.thresholds;
  if (typeof t !== 'object' || t === null || Array.isArray(t))
    return err({
      type: 'Invalid',
      errors: [{ path: 'thresholds', message: 'must be an object of tier id → score' }],
    });
  const thresholds: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) {
    if (!ids.includes(k))
      errors.push({ path: `thresholds.${k}`, message: `unknown tier (tiers: ${ids.join(', ')})` });
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      errors.push({ path: `thresholds.${k}`, message: 'must be a whole number ≥ 0' });
    else thresholds[k] = v;
  }
  const merged = s.tiers.tiers.map((x) => thresholds[x.id] ?? x.threshold);
  if (errors.length === 0) {
    if (merged[0] !== 0)
      errors.push({ path: `thresholds.${ids[0]}`, message: 'the entry tier must stay at 0' });
    merged.forEach((v, i) => {
      if (i > 0 && v <= (merged[i - 1] as number))
        errors.push({ path: `thresholds.${ids[i]}`, message: 'thresholds must increase from tier to tier' });
    });
  }
  if (errors.length > 0) return err({ type: 'Invalid', errors });
  const facts = await store.facts(null, null);
  return ok(
    whatIfThresholds({
      members: [...facts.values()].map((f) => f.activities),
      current: s.tiers,
      thresholds,
      now: input.now,
      checkpointDays: input.checkpointDays ?? 7,
    }),
  );
}
