/**
 * The guardrails: the one place every message passes before it is queued. Pure: given the
 * proposals for one customer, what is already scheduled for them, their consent, time zone,
 * tickets and experiment group, it says for each proposal queue (at a time), defer (to a later
 * time, with why) or skip (with why), and which already-queued lower-value messages it displaced.
 *
 * Rules, in order:
 * 1. never twice — a proposal whose idempotency key is already scheduled is skipped;
 * 2. the global control group receives no marketing;
 * 3. consent per channel and purpose — no granted consent, no send (the skip is recorded);
 * 4. promotions are suppressed while a high-severity ticket is open or after an unsatisfied one;
 * 5. no two messages of the same purpose (journey) in flight;
 * 6. quiet hours in the customer's own time zone defer to the next allowed local time;
 * 7. a frequency budget per channel and local calendar week, spent by value: when the week is
 *    full, a higher-value proposal displaces the lowest-value message not yet sent (which is
 *    moved to a later week), otherwise the proposal is deferred to the next week with room.
 * Transactional messages (order confirmations, delay notices) are exempt from 5–7: they answer
 * the customer's own order and go now. Human tasks need no consent and use no budget.
 */
import type { ConsentState, TicketSummary } from './state.js';
import { nextAllowedTime, localWeek, startOfNextLocalWeek, type QuietHours } from './local-time.js';

export type Channel = 'email' | 'sms' | 'push' | 'webhook' | 'task';
export type ConsentPurpose = 'transactional' | 'marketing';

export interface GuardrailConfig {
  /** Messages per channel and local calendar week (transactional ones not counted). */
  readonly weeklyCap: Readonly<Partial<Record<Channel, number>>>;
  readonly quietHours: QuietHours;
  /** A message of a purpose is in flight from its send time for this many days. */
  readonly inFlightDays: number;
  /** Promotions stay suppressed this many days after an unsatisfied ticket resolution. */
  readonly suppressionDays: number;
  /** Used when the customer's time zone is unknown. */
  readonly defaultTimezone: string;
  /** How many weeks ahead a deferral may look before the proposal is skipped. */
  readonly maxDeferWeeks: number;
}

export const defaultGuardrailConfig: GuardrailConfig = {
  weeklyCap: { email: 2, sms: 1, push: 2, webhook: 2 },
  quietHours: { startHour: 21, endHour: 8 },
  inFlightDays: 7,
  suppressionDays: 30,
  defaultTimezone: 'UTC',
  maxDeferWeeks: 4,
};

export interface Proposal {
  /** Idempotency key: customer + action + triggering event. */
  readonly key: string;
  readonly customerId: string;
  readonly actionId: string;
  readonly channel: Channel;
  readonly consentPurpose: ConsentPurpose;
  /** The journey purpose: no two of the same in flight (e.g. `churn_save`, `review_request`). */
  readonly purpose: string;
  readonly promotion: boolean;
  /** Expected value (minor units): what the frequency budget is spent by. */
  readonly value: number;
  /** The earliest time it may be sent. */
  readonly at: number;
}

/** A message already queued or sent to the customer. */
export interface ScheduledMessage {
  readonly key: string;
  readonly channel: Channel;
  readonly purpose: string;
  readonly consentPurpose: ConsentPurpose;
  readonly value: number;
  readonly sendAt: number;
  /** `queued` messages not yet sent can be displaced; `sent` ones are history. */
  readonly status: 'queued' | 'sent';
}

export interface GuardrailContext {
  readonly now: number;
  readonly timezone: string | null;
  readonly consents: readonly ConsentState[];
  readonly tickets: readonly TicketSummary[];
  readonly inGlobalControl: boolean;
  readonly scheduled: readonly ScheduledMessage[];
  readonly config: GuardrailConfig;
}

export type SkipReason =
  | 'duplicate'
  | 'global_control'
  | 'no_consent'
  | 'suppressed_after_bad_support'
  | 'same_purpose_in_flight'
  | 'frequency_budget_exhausted';

export type DeferReason = 'quiet_hours' | 'frequency_budget';

export type GuardrailVerdict =
  | { readonly type: 'queue'; readonly key: string; readonly sendAt: number }
  | {
      readonly type: 'defer';
      readonly key: string;
      readonly sendAt: number;
      readonly reasons: readonly DeferReason[];
    }
  | { readonly type: 'skip'; readonly key: string; readonly reason: SkipReason; readonly detail: string };

export interface GuardrailResult {
  /** One verdict per proposal, in the order given. */
  readonly verdicts: readonly GuardrailVerdict[];
  /** Already-queued messages moved by a higher-value proposal: new time, or null when dropped. */
  readonly displaced: ReadonlyArray<{
    readonly key: string;
    readonly by: string;
    readonly sendAt: number | null;
  }>;
}

const DAY = 86_400_000;

const HIGH_SEVERITY = new Set(['high', 'urgent']);

/** Why promotions are suppressed right now, or null. */
export function badSupportExperience(
  tickets: readonly TicketSummary[],
  now: number,
  suppressionDays: number,
): string | null {
  for (const t of tickets) {
    if (t.openedAt > now) continue;
    const open = t.resolvedAt === null || t.resolvedAt > now;
    if (open && HIGH_SEVERITY.has(t.severity)) return `ticket ${t.ticketId} (${t.severity}) is open`;
    if (!open && t.satisfied === false && now - (t.resolvedAt ?? now) < suppressionDays * DAY) {
      return `ticket ${t.ticketId} was resolved without satisfying the customer`;
    }
  }
  return null;
}

function hasConsent(consents: readonly ConsentState[], channel: Channel, purpose: ConsentPurpose): boolean {
  return consents.some((c) => c.channel === channel && c.purpose === purpose && c.granted);
}

interface Slot {
  key: string;
  channel: Channel;
  purpose: string;
  transactional: boolean;
  value: number;
  sendAt: number;
  sent: boolean;
}

/**
 * Applies every guardrail to one customer's proposals. Proposals are considered in descending
 * value (ties by key), so within a batch the budget goes to the most valuable first.
 */
export function applyGuardrails(proposals: readonly Proposal[], ctx: GuardrailContext): GuardrailResult {
  const { config, now } = ctx;
  const tz = ctx.timezone ?? config.defaultTimezone;
  const slots: Slot[] = ctx.scheduled.map((m) => ({
    key: m.key,
    channel: m.channel,
    purpose: m.purpose,
    transactional: m.consentPurpose === 'transactional',
    value: m.value,
    sendAt: m.sendAt,
    sent: m.status === 'sent' || m.sendAt <= now,
  }));
  const original = new Map(slots.map((s) => [s.key, s.sendAt]));
  const displacedBy = new Map<string, string>();
  const verdicts: Array<GuardrailVerdict | undefined> = proposals.map(() => undefined);
  const indexOfKey = new Map<string, number>();
  const suppression = badSupportExperience(ctx.tickets, now, config.suppressionDays);

  const inFlight = (purpose: string, self: string): Slot | undefined =>
    slots.find(
      (s) =>
        s.key !== self &&
        !s.transactional &&
        s.purpose === purpose &&
        (!s.sent || now - s.sendAt < config.inFlightDays * DAY),
    );

  /** Finds a time for `slot` from `from` on; may displace cheaper queued slots. Returns null if none. */
  const place = (slot: Slot, from: number, depth: number): number | null => {
    let t = Math.max(from, now);
    const cap = config.weeklyCap[slot.channel];
    for (let w = 0; w <= config.maxDeferWeeks; w++) {
      t = nextAllowedTime(t, tz, config.quietHours);
      if (cap === undefined) return t;
      const week = localWeek(t, tz);
      const same = slots.filter(
        (s) =>
          s !== slot && !s.transactional && s.channel === slot.channel && localWeek(s.sendAt, tz) === week,
      );
      if (same.length < cap) return t;
      const movable = same
        .filter((s) => !s.sent && s.sendAt > now)
        .sort((a, b) => a.value - b.value || (a.key < b.key ? 1 : -1));
      const victim = movable[0];
      if (victim && victim.value < slot.value && depth < 8) {
        slot.sendAt = t;
        const idx = slots.indexOf(victim);
        slots.splice(idx, 1);
        const again = place(victim, startOfNextLocalWeek(t, tz), depth + 1);
        displacedBy.set(victim.key, slot.key);
        if (again !== null) {
          victim.sendAt = again;
          slots.push(victim);
        }
        return t;
      }
      t = startOfNextLocalWeek(t, tz);
    }
    return null;
  };

  const order = proposals
    .map((p, i) => ({ p, i }))
    .sort((x, y) => y.p.value - x.p.value || (x.p.key < y.p.key ? -1 : x.p.key > y.p.key ? 1 : x.i - y.i));
  for (const { p, i } of order) {
    const skip = (reason: SkipReason, detail: string): void => {
      verdicts[i] = { type: 'skip', key: p.key, reason, detail };
    };
    if (slots.some((s) => s.key === p.key) || indexOfKey.has(p.key)) {
      skip('duplicate', 'a message with this idempotency key is already scheduled');
      continue;
    }
    indexOfKey.set(p.key, i);
    const transactional = p.consentPurpose === 'transactional';
    if (p.channel !== 'task') {
      if (!transactional && ctx.inGlobalControl) {
        skip('global_control', 'the customer is in the global control group: no marketing');
        continue;
      }
      if (!hasConsent(ctx.consents, p.channel, p.consentPurpose)) {
        skip('no_consent', `no granted consent for ${p.channel}/${p.consentPurpose}`);
        continue;
      }
    }
    if (p.promotion && suppression !== null) {
      skip('suppressed_after_bad_support', suppression);
      continue;
    }
    const slot: Slot = {
      key: p.key,
      channel: p.channel,
      purpose: p.purpose,
      transactional,
      value: p.value,
      sendAt: Math.max(p.at, now),
      sent: false,
    };
    if (transactional || p.channel === 'task') {
      slots.push(slot);
      verdicts[i] = { type: 'queue', key: p.key, sendAt: slot.sendAt };
      continue;
    }
    const busy = inFlight(p.purpose, p.key);
    if (busy) {
      skip('same_purpose_in_flight', `${busy.key} (${p.purpose}) is in flight`);
      continue;
    }
    const requested = slot.sendAt;
    const quietFree = nextAllowedTime(requested, tz, config.quietHours);
    const at = place(slot, requested, 0);
    if (at === null) {
      skip('frequency_budget_exhausted', `no room on ${p.channel} within ${config.maxDeferWeeks} weeks`);
      continue;
    }
    slot.sendAt = at;
    slots.push(slot);
    if (at === requested) verdicts[i] = { type: 'queue', key: p.key, sendAt: at };
    else {
      const reasons: DeferReason[] = [];
      if (quietFree !== requested) reasons.push('quiet_hours');
      if (at !== quietFree) reasons.push('frequency_budget');
      verdicts[i] = { type: 'defer', key: p.key, sendAt: at, reasons };
    }
  }

  // A proposal displaced by a later, higher-value one within the same batch: update its verdict.
  const displaced: Array<{ key: string; by: string; sendAt: number | null }> = [];
  for (const [key, by] of displacedBy) {
    const slot = slots.find((s) => s.key === key);
    const sendAt = slot ? slot.sendAt : null;
    const i = indexOfKey.get(key);
    if (original.has(key) || i === undefined) {
      displaced.push({ key, by, sendAt });
    } else if (sendAt === null) {
      verdicts[i] = { type: 'skip', key, reason: 'frequency_budget_exhausted', detail: `displaced by ${by}` };
    } else {
      verdicts[i] = { type: 'defer', key, sendAt, reasons: ['frequency_budget'] };
    }
  }
  return {
    verdicts: verdicts.map((v, i) => {
      if (!v) throw new Error(`guardrails: no verdict for proposal ${proposals[i]?.key}`);
      return v;
    }),
    displaced,
  };
}
