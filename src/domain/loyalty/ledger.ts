/**
 * The points ledger, pure: double-entry postings between accounts, credits held in lots, debits
 * drawn first-expiring-first, pending → available after the return window, expiry, refund
 * reversal with an explicit debt policy, and redemptions returned to their original lots.
 *
 * Every movement is a posting `{ from, to, points, lotId }` with `points > 0`: points leave one
 * account and enter another, so the sum over all accounts is always zero. A member has three
 * accounts — `pending`, `available` and `debt` (negative while the member owes points) — and the
 * programme has system accounts: `issued` (the source of every earned point), `redeemed`,
 * `expired`, `reversed` (refund claw-backs), `written_off` and `adjusted` (manual corrections).
 * A member's balance on an account is Σ points in − Σ points out over the postings; a lot's
 * remaining pending/available points likewise over the postings that carry its id. The store keeps
 * these sums cached in rows and `reconcile` proves the cache equals the postings.
 *
 * Each operation takes the member's state and returns a plan — the postings of one journal entry
 * and, for credits, the new lot — or a typed error. `applyPlan` gives the state after it. Nothing
 * here reads a clock: `now` is passed in.
 */
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DebtPolicy } from './config.js';

export const memberAccounts = ['pending', 'available', 'debt'] as const;
export const systemAccounts = [
  'issued',
  'redeemed',
  'expired',
  'reversed',
  'written_off',
  'adjusted',
] as const;
export type MemberAccount = (typeof memberAccounts)[number];
export type SystemAccount = (typeof systemAccounts)[number];
export type AccountName = MemberAccount | SystemAccount;

export interface Posting {
  readonly from: AccountName;
  readonly to: AccountName;
  /** Always a positive integer. */
  readonly points: number;
  /** The lot the points belong to (every posting that touches pending or available names one). */
  readonly lotId: string | null;
}

/** Where a lot's points came from. */
export type LotSource = 'earn' | 'bonus' | 'adjustment';

/** A credit: points earned together, released and expiring together. */
export interface Lot {
  readonly id: string;
  readonly source: LotSource;
  /** Points credited to the lot. */
  readonly points: number;
  /** Of those, still pending (not yet released). */
  readonly pending: number;
  /** Of those, released and not yet spent, expired or reversed. */
  readonly available: number;
  /** Points of this lot that expired (net of those a later refund reversed). */
  readonly expired: number;
  /** When the lot becomes available (null: at once). */
  readonly releaseAt: string | null;
  readonly expiresAt: string;
  readonly createdAt: string;
}

/** What the ledger knows about one member: cached balances and their open lots. */
export interface MemberState {
  readonly pending: number;
  readonly available: number;
  /** Points owed after a refund reversed points already spent (≥ 0). */
  readonly debt: number;
  /** Tier-qualifying credit: earned by spend and actions, reduced by refunds, never by spending. */
  readonly qualifying: number;
  /** Lots with points still pending or available (plus any lot an operation names). */
  readonly lots: readonly Lot[];
}

export const emptyMember: MemberState = { pending: 0, available: 0, debt: 0, qualifying: 0, lots: [] };

export type EntryKind =
  'earn' | 'bonus' | 'release' | 'expire' | 'redeem' | 'redeem_return' | 'reverse' | 'adjust';

/** The postings of one journal entry (the store adds its id, business key, version and times). */
export interface EntryPlan {
  readonly kind: EntryKind;
  /** The entry's headline amount: points earned, redeemed, reversed… (≥ 0). */
  readonly points: number;
  readonly qualifyingDelta: number;
  readonly postings: readonly Posting[];
  /** A credit opens a lot. */
  readonly newLot: Lot | null;
  /** For a redemption and a reversal: which lots gave how many points. */
  readonly draws: readonly LotDraw[];
}

export interface LotDraw {
  readonly lotId: string;
  readonly points: number;
}

export type LedgerError =
  | { type: 'InsufficientPoints'; available: number; needed: number }
  | { type: 'RedemptionsBlocked'; debt: number }
  | { type: 'InvalidPoints'; points: number; reason: string }
  | { type: 'UnknownLot'; lotId: string }
  | { type: 'NothingToDo'; reason: string };

const isPositiveInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** Lots that can be spent at `now`, first-expiring first (then oldest, then by id for determinism). */
export function spendableLots(state: MemberState, now: string): Lot[] {
  return state.lots
    .filter((l) => l.available > 0 && l.expiresAt > now)
    .sort((a, b) => cmp(a.expiresAt, b.expiresAt) || cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Points spendable at `now` (lots past their expiry are not, even before the expiry job ran). */
export function availableAt(state: MemberState, now: string): number {
  let sum = 0;
  for (const l of spendableLots(state, now)) sum += l.available;
  return sum;
}

/** Points of lots that expire in (now, now + horizon], as `{ points, firstExpiresAt }`. */
export function expiringSoon(
  state: MemberState,
  now: string,
  until: string,
): { points: number; firstExpiresAt: string | null } {
  let points = 0;
  let first: string | null = null;
  for (const l of spendableLots(state, now)) {
    if (l.expiresAt <= until) {
      points += l.available;
      if (first === null) first = l.expiresAt;
    }
  }
  return { points, firstExpiresAt: first };
}

function repayDebt(state: MemberState, lotId: string, points: number, policy: DebtPolicy): Posting[] {
  if (policy === 'write_off' || state.debt === 0) return [];
  const repay = Math.min(state.debt, points);
  return repay > 0 ? [{ from: 'available', to: 'debt', points: repay, lotId }] : [];
}

export interface CreditInput {
  readonly lotId: string;
  readonly source: LotSource;
  readonly points: number;
  readonly qualifying: number;
  /** When the points become available; null or ≤ now: at once. */
  readonly releaseAt: string | null;
  readonly expiresAt: string;
  readonly now: string;
  readonly policy: DebtPolicy;
}

/**
 * Credits points earned by spend or a bonus: `issued → pending` (or `→ available` when there is no
 * return window), in a new lot. Points credited straight to available repay an outstanding debt first.
 */
export function planCredit(state: MemberState, input: CreditInput): Result<EntryPlan, LedgerError> {
  if (!isPositiveInt(input.points)) {
    return err({
      type: 'InvalidPoints',
      points: input.points,
      reason: 'a credit must be a positive whole number',
    });
  }
  if (!Number.isSafeInteger(input.qualifying) || input.qualifying < 0) {
    return err({ type: 'InvalidPoints', points: input.qualifying, reason: 'qualifying credit must be ≥ 0' });
  }
  const immediate = input.releaseAt === null || input.releaseAt <= input.now;
  const postings: Posting[] = [
    { from: 'issued', to: immediate ? 'available' : 'pending', points: input.points, lotId: input.lotId },
  ];
  if (immediate) postings.push(...repayDebt(state, input.lotId, input.points, input.policy));
  const lot: Lot = {
    id: input.lotId,
    source: input.source,
    points: input.points,
    pending: 0,
    available: 0,
    expired: 0,
    releaseAt: immediate ? null : input.releaseAt,
    expiresAt: input.expiresAt,
    createdAt: input.now,
  };
  return ok({
    kind: input.source === 'bonus' ? 'bonus' : 'earn',
    points: input.points,
    qualifyingDelta: input.qualifying,
    postings,
    newLot: lot,
    draws: [],
  });
}

/** A manual credit (goodwill) straight to available. It does not repay a debt: it is the store's gift. */
export function planManualCredit(
  state: MemberState,
  input: { lotId: string; points: number; qualifying: number; expiresAt: string; now: string },
): Result<EntryPlan, LedgerError> {
  if (!isPositiveInt(input.points)) {
    return err({
      type: 'InvalidPoints',
      points: input.points,
      reason: 'an adjustment must be a non-zero whole number',
    });
  }
  void state;
  return ok({
    kind: 'adjust',
    points: input.points,
    qualifyingDelta: input.qualifying,
    postings: [{ from: 'adjusted', to: 'available', points: input.points, lotId: input.lotId }],
    newLot: {
      id: input.lotId,
      source: 'adjustment',
      points: input.points,
      pending: 0,
      available: 0,
      expired: 0,
      releaseAt: null,
      expiresAt: input.expiresAt,
      createdAt: input.now,
    },
    draws: [],
  });
}

/** Draws `points` from spendable lots, first-expiring first. */
function draw(state: MemberState, points: number, now: string): LotDraw[] | null {
  const draws: LotDraw[] = [];
  let left = points;
  for (const lot of spendableLots(state, now)) {
    if (left === 0) break;
    const take = Math.min(left, lot.available);
    draws.push({ lotId: lot.id, points: take });
    left -= take;
  }
  return left === 0 ? draws : null;
}

/**
 * A manual debit: draws from available lots first-expiring first. Never below zero — a debit larger
 * than the available balance is refused (corrections of spent points go through a refund reversal).
 */
export function planManualDebit(
  state: MemberState,
  input: { points: number; now: string },
): Result<EntryPlan, LedgerError> {
  if (!isPositiveInt(input.points)) {
    return err({
      type: 'InvalidPoints',
      points: input.points,
      reason: 'an adjustment must be a non-zero whole number',
    });
  }
  const draws = draw(state, input.points, input.now);
  if (!draws)
    return err({
      type: 'InsufficientPoints',
      available: availableAt(state, input.now),
      needed: input.points,
    });
  return ok({
    kind: 'adjust',
    points: input.points,
    qualifyingDelta: 0,
    postings: draws.map((d) => ({ from: 'available', to: 'adjusted', points: d.points, lotId: d.lotId })),
    newLot: null,
    draws,
  });
}

/**
 * Redeems points: refused below zero (`InsufficientPoints` with what is available and what is
 * needed) and, under the `block` policy, while a debt is outstanding. Draws first-expiring first and
 * records the lots drawn. Lots past their expiry are never drawn, even if the expiry job is late.
 */
export function planRedeem(
  state: MemberState,
  input: { points: number; now: string; policy: DebtPolicy },
): Result<EntryPlan, LedgerError> {
  if (!isPositiveInt(input.points)) {
    return err({
      type: 'InvalidPoints',
      points: input.points,
      reason: 'a redemption must be a positive whole number',
    });
  }
  if (input.policy === 'block' && state.debt > 0)
    return err({ type: 'RedemptionsBlocked', debt: state.debt });
  const draws = draw(state, input.points, input.now);
  if (!draws) {
    return err({
      type: 'InsufficientPoints',
      available: availableAt(state, input.now),
      needed: input.points,
    });
  }
  return ok({
    kind: 'redeem',
    points: input.points,
    qualifyingDelta: 0,
    postings: draws.map((d) => ({ from: 'available', to: 'redeemed', points: d.points, lotId: d.lotId })),
    newLot: null,
    draws,
  });
}

/**
 * Returns a refunded redemption's points to the lots they came from, with those lots' original
 * expiry (`redeemed → available`). `draws` are the redemption's draws less anything already returned.
 */
export function planRedeemReturn(
  state: MemberState,
  input: { draws: readonly LotDraw[] },
): Result<EntryPlan, LedgerError> {
  const postings: Posting[] = [];
  let total = 0;
  for (const d of input.draws) {
    if (d.points <= 0) continue;
    if (!state.lots.some((l) => l.id === d.lotId)) return err({ type: 'UnknownLot', lotId: d.lotId });
    postings.push({ from: 'redeemed', to: 'available', points: d.points, lotId: d.lotId });
    total += d.points;
  }
  if (total === 0) return err({ type: 'NothingToDo', reason: 'the redemption was already returned' });
  return ok({
    kind: 'redeem_return',
    points: total,
    qualifyingDelta: 0,
    postings,
    newLot: null,
    draws: input.draws,
  });
}

/** Releases a lot's pending points once its return window has closed (`pending → available`), repaying a debt first. */
export function planRelease(
  state: MemberState,
  input: { lotId: string; now: string; policy: DebtPolicy },
): Result<EntryPlan, LedgerError> {
  const lot = state.lots.find((l) => l.id === input.lotId);
  if (!lot) return err({ type: 'UnknownLot', lotId: input.lotId });
  if (lot.pending === 0) return err({ type: 'NothingToDo', reason: 'nothing pending in the lot' });
  if (lot.releaseAt !== null && lot.releaseAt > input.now) {
    return err({ type: 'NothingToDo', reason: `the return window closes at ${lot.releaseAt}` });
  }
  const postings: Posting[] = [{ from: 'pending', to: 'available', points: lot.pending, lotId: lot.id }];
  postings.push(...repayDebt(state, lot.id, lot.pending, input.policy));
  return ok({ kind: 'release', points: lot.pending, qualifyingDelta: 0, postings, newLot: null, draws: [] });
}

/** Expires what is left of a lot once its expiry has passed (`pending|available → expired`). */
export function planExpire(
  state: MemberState,
  input: { lotId: string; now: string },
): Result<EntryPlan, LedgerError> {
  const lot = state.lots.find((l) => l.id === input.lotId);
  if (!lot) return err({ type: 'UnknownLot', lotId: input.lotId });
  if (lot.expiresAt > input.now)
    return err({ type: 'NothingToDo', reason: `the lot expires at ${lot.expiresAt}` });
  const postings: Posting[] = [];
  if (lot.pending > 0) postings.push({ from: 'pending', to: 'expired', points: lot.pending, lotId: lot.id });
  if (lot.available > 0)
    postings.push({ from: 'available', to: 'expired', points: lot.available, lotId: lot.id });
  if (postings.length === 0) return err({ type: 'NothingToDo', reason: 'nothing left in the lot' });
  return ok({
    kind: 'expire',
    points: lot.pending + lot.available,
    qualifyingDelta: 0,
    postings,
    newLot: null,
    draws: [],
  });
}

/** Lots whose expiry has passed with points left, oldest expiry first. */
export function dueExpiries(state: MemberState, now: string): Lot[] {
  return state.lots
    .filter((l) => l.expiresAt <= now && l.pending + l.available > 0)
    .sort((a, b) => cmp(a.expiresAt, b.expiresAt) || cmp(a.id, b.id));
}

/**
 * How many of an order line's points a refund reverses in total, in proportion to the share of the
 * order refunded so far, never more than the line earned: round(earned × min(1, refunded / total)).
 * Computed on the cumulative refund so that partial refunds add up without rounding drift.
 */
export function reversalTarget(earned: number, refundedSoFar: number, orderTotal: number): number {
  if (earned <= 0) return 0;
  if (orderTotal <= 0 || refundedSoFar >= orderTotal) return earned;
  if (refundedSoFar <= 0) return 0;
  return Math.min(earned, Math.round((earned * refundedSoFar) / orderTotal));
}

/**
 * Reverses `points` that a lot earned (a refund or cancellation of its order line). Taken from the
 * lot itself first — pending first, then available; then, when the lot's points had expired, those
 * expired points (the member already lost them: `expired → reversed`); then, for points already
 * spent, from the member's other available lots first-expiring first; whatever is still left is a
 * shortfall handled by the policy — a recorded debt (`debt → reversed`, under `block` and `debt`) or
 * a write-off (`written_off → reversed`). Never dropped silently; qualifying credit falls by
 * `qualifying`.
 */
export function planReverse(
  state: MemberState,
  input: { lotId: string; points: number; qualifying: number; now: string; policy: DebtPolicy },
): Result<EntryPlan, LedgerError> {
  const lot = state.lots.find((l) => l.id === input.lotId);
  if (!lot) return err({ type: 'UnknownLot', lotId: input.lotId });
  if (!Number.isSafeInteger(input.points) || input.points < 0) {
    return err({ type: 'InvalidPoints', points: input.points, reason: 'a reversal must be ≥ 0' });
  }
  if (input.points > lot.points) {
    return err({ type: 'InvalidPoints', points: input.points, reason: `the lot earned only ${lot.points}` });
  }
  const qualifying = Math.min(Math.max(0, input.qualifying), state.qualifying);
  if (input.points === 0 && qualifying === 0)
    return err({ type: 'NothingToDo', reason: 'nothing to reverse' });
  const postings: Posting[] = [];
  const draws: LotDraw[] = [];
  let left = input.points;
  const take = (from: AccountName, to: AccountName, available: number, lotId: string): void => {
    const n = Math.min(left, available);
    if (n <= 0) return;
    postings.push({ from, to, points: n, lotId });
    if (from === 'available' || from === 'pending') draws.push({ lotId, points: n });
    left -= n;
  };
  take('pending', 'reversed', lot.pending, lot.id);
  take('available', 'reversed', lot.available, lot.id);
  take('expired', 'reversed', lot.expired, lot.id);
  for (const other of spendableLots(state, input.now)) {
    if (left === 0) break;
    if (other.id !== lot.id) take('available', 'reversed', other.available, other.id);
  }
  if (left > 0) take(input.policy === 'write_off' ? 'written_off' : 'debt', 'reversed', left, lot.id);
  return ok({
    kind: 'reverse',
    points: input.points,
    qualifyingDelta: -qualifying,
    postings,
    newLot: null,
    draws,
  });
}

/** The member's state after an entry (balances and lots move exactly as the postings say). */
export function applyPlan(state: MemberState, plan: EntryPlan): MemberState {
  const lots = new Map(state.lots.map((l) => [l.id, l]));
  if (plan.newLot) lots.set(plan.newLot.id, plan.newLot);
  let { pending, available, debt } = state;
  for (const p of plan.postings) {
    const delta = (account: AccountName): number =>
      (p.to === account ? p.points : 0) - (p.from === account ? p.points : 0);
    pending += delta('pending');
    available += delta('available');
    debt -= delta('debt');
    if (p.lotId !== null) {
      const lot = lots.get(p.lotId);
      if (!lot) throw new Error(`posting names lot ${p.lotId}, which the member does not have`);
      lots.set(p.lotId, {
        ...lot,
        pending: lot.pending + delta('pending'),
        available: lot.available + delta('available'),
        expired: lot.expired + delta('expired'),
      });
    }
  }
  return {
    pending,
    available,
    debt,
    qualifying: state.qualifying + plan.qualifyingDelta,
    lots: [...lots.values()],
  };
}

/** A member's balances recomputed from nothing but postings (what `reconcile` compares the cache with). */
export function balancesFromPostings(postings: Iterable<Posting>): {
  pending: number;
  available: number;
  debt: number;
  lots: Map<string, { pending: number; available: number; expired: number }>;
} {
  let pending = 0;
  let available = 0;
  let debtBalance = 0;
  const lots = new Map<string, { pending: number; available: number; expired: number }>();
  for (const p of postings) {
    const d = (a: AccountName): number => (p.to === a ? p.points : 0) - (p.from === a ? p.points : 0);
    pending += d('pending');
    available += d('available');
    debtBalance += d('debt');
    if (p.lotId !== null) {
      const lot = lots.get(p.lotId) ?? { pending: 0, available: 0, expired: 0 };
      lot.pending += d('pending');
      lot.available += d('available');
      lot.expired += d('expired');
      lots.set(p.lotId, lot);
    }
  }
  return { pending, available, debt: debtBalance === 0 ? 0 : -debtBalance, lots };
}

/** Broken invariants of a member's state (empty when all hold). */
export function invariantViolations(state: MemberState): string[] {
  const out: string[] = [];
  if (state.pending < 0) out.push(`pending is negative (${state.pending})`);
  if (state.available < 0) out.push(`available is negative (${state.available})`);
  if (state.debt < 0) out.push(`debt is negative (${state.debt})`);
  if (state.qualifying < 0) out.push(`qualifying credit is negative (${state.qualifying})`);
  let pending = 0;
  let available = 0;
  for (const l of state.lots) {
    if (l.pending < 0 || l.available < 0 || l.expired < 0) out.push(`lot ${l.id} has a negative count`);
    if (l.pending + l.available + l.expired > l.points)
      out.push(`lot ${l.id} holds more than it was credited`);
    pending += l.pending;
    available += l.available;
  }
  if (pending !== state.pending) out.push(`pending ${state.pending} ≠ Σ lots ${pending}`);
  if (available !== state.available) out.push(`available ${state.available} ≠ Σ lots ${available}`);
  return out;
}
