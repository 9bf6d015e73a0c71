import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyGuardrails,
  defaultGuardrailConfig,
  type Channel,
  type GuardrailContext,
  type Proposal,
  type ScheduledMessage,
} from './guardrails.js';
import { inQuietHours, localWeek } from './local-time.js';
import type { ConsentState, TicketSummary } from './state.js';

const NOW = Date.parse('2025-03-05T15:00:00Z'); // Wednesday 15:00 UTC
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const allConsent: ConsentState[] = [
  { channel: 'email', purpose: 'marketing', granted: true },
  { channel: 'email', purpose: 'transactional', granted: true },
  { channel: 'sms', purpose: 'marketing', granted: true },
];

const ctx = (over: Partial<GuardrailContext> = {}): GuardrailContext => ({
  now: NOW,
  timezone: 'Europe/London',
  consents: allConsent,
  tickets: [],
  inGlobalControl: false,
  scheduled: [],
  config: defaultGuardrailConfig,
  ...over,
});

const proposal = (over: Partial<Proposal> = {}): Proposal => ({
  key: 'cus_1:review_request:review:ord_1',
  customerId: 'cus_1',
  actionId: 'review_request',
  channel: 'email',
  consentPurpose: 'marketing',
  purpose: 'review_request',
  promotion: false,
  value: 100,
  at: NOW,
  ...over,
});

describe('guardrails', () => {
  it('queues a consented marketing email outside quiet hours as it is', () => {
    const r = applyGuardrails([proposal()], ctx());
    expect(r.verdicts).toEqual([{ type: 'queue', key: proposal().key, sendAt: NOW }]);
  });

  it('skips a marketing email without marketing consent and says why', () => {
    const r = applyGuardrails(
      [proposal()],
      ctx({ consents: [{ channel: 'email', purpose: 'marketing', granted: false }] }),
    );
    expect(r.verdicts[0]).toMatchObject({ type: 'skip', reason: 'no_consent' });
  });

  it('sends no marketing to the global control group but still sends an order confirmation', () => {
    const r = applyGuardrails(
      [proposal(), proposal({ key: 'k2', consentPurpose: 'transactional', purpose: 'order_confirmation' })],
      ctx({ inGlobalControl: true }),
    );
    expect(r.verdicts[0]).toMatchObject({ type: 'skip', reason: 'global_control' });
    expect(r.verdicts[1]).toMatchObject({ type: 'queue' });
  });

  it('suppresses promotions while a high-severity ticket is open, not service messages', () => {
    const tickets: TicketSummary[] = [
      { ticketId: 't1', openedAt: NOW - DAY, severity: 'urgent', resolvedAt: null, satisfied: null },
    ];
    const r = applyGuardrails(
      [proposal({ promotion: true }), proposal({ key: 'k2', purpose: 'feedback' })],
      ctx({ tickets }),
    );
    expect(r.verdicts[0]).toMatchObject({ type: 'skip', reason: 'suppressed_after_bad_support' });
    expect(r.verdicts[1]).toMatchObject({ type: 'queue' });
  });

  it('suppresses promotions for a while after a ticket resolved without satisfying the customer', () => {
    const tickets: TicketSummary[] = [
      {
        ticketId: 't1',
        openedAt: NOW - 20 * DAY,
        severity: 'low',
        resolvedAt: NOW - 10 * DAY,
        satisfied: false,
      },
    ];
    expect(applyGuardrails([proposal({ promotion: true })], ctx({ tickets })).verdicts[0]).toMatchObject({
      type: 'skip',
    });
    const later = ctx({ tickets, now: NOW + 25 * DAY });
    expect(
      applyGuardrails([proposal({ promotion: true, at: NOW + 25 * DAY })], later).verdicts[0],
    ).toMatchObject({ type: 'queue' });
  });

  it('defers a message proposed at 23:00 local time to 08:00 the next morning', () => {
    const at = Date.parse('2025-03-05T23:00:00Z');
    const r = applyGuardrails([proposal({ at })], ctx());
    expect(r.verdicts[0]).toEqual({
      type: 'defer',
      key: proposal().key,
      sendAt: Date.parse('2025-03-06T08:00:00Z'),
      reasons: ['quiet_hours'],
    });
  });

  it('never sends the same idempotency key twice', () => {
    const scheduled: ScheduledMessage[] = [
      {
        key: proposal().key,
        channel: 'email',
        purpose: 'review_request',
        consentPurpose: 'marketing',
        value: 100,
        sendAt: NOW - DAY,
        status: 'sent',
      },
    ];
    expect(applyGuardrails([proposal()], ctx({ scheduled })).verdicts[0]).toMatchObject({
      type: 'skip',
      reason: 'duplicate',
    });
    expect(applyGuardrails([proposal(), proposal()], ctx()).verdicts.map((v) => v.type)).toEqual([
      'queue',
      'skip',
    ]);
  });

  it('keeps two messages of the same purpose from being in flight together', () => {
    const r = applyGuardrails([proposal({ key: 'a', value: 5 }), proposal({ key: 'b', value: 9 })], ctx());
    expect(r.verdicts[1]).toMatchObject({ type: 'queue' });
    expect(r.verdicts[0]).toMatchObject({ type: 'skip', reason: 'same_purpose_in_flight' });
  });

  it('spends a full week by value: a more valuable message displaces a cheaper queued one', () => {
    const later = NOW + DAY; // Thursday, still this week
    const scheduled: ScheduledMessage[] = [
      {
        key: 'cheap',
        channel: 'email',
        purpose: 'feedback',
        consentPurpose: 'marketing',
        value: 10,
        sendAt: later,
        status: 'queued',
      },
      {
        key: 'sent',
        channel: 'email',
        purpose: 'onboarding',
        consentPurpose: 'marketing',
        value: 50,
        sendAt: NOW - DAY,
        status: 'sent',
      },
    ];
    const r = applyGuardrails(
      [proposal({ key: 'valuable', purpose: 'churn_save', value: 500 })],
      ctx({ scheduled }),
    );
    expect(r.verdicts[0]).toMatchObject({ type: 'queue', sendAt: NOW });
    expect(r.displaced).toHaveLength(1);
    expect(r.displaced[0]).toMatchObject({ key: 'cheap', by: 'valuable' });
    expect(r.displaced[0]!.sendAt).toBe(Date.parse('2025-03-10T08:00:00Z')); // next Monday 08:00 London
  });

  it('defers a cheaper message to next week when the week is full of more valuable ones', () => {
    const scheduled: ScheduledMessage[] = [
      {
        key: 'x',
        channel: 'email',
        purpose: 'churn_save',
        consentPurpose: 'marketing',
        value: 900,
        sendAt: NOW + HOUR,
        status: 'queued',
      },
      {
        key: 'y',
        channel: 'email',
        purpose: 'onboarding',
        consentPurpose: 'marketing',
        value: 800,
        sendAt: NOW - DAY,
        status: 'sent',
      },
    ];
    const r = applyGuardrails([proposal({ value: 10 })], ctx({ scheduled }));
    expect(r.verdicts[0]).toMatchObject({
      type: 'defer',
      reasons: ['frequency_budget'],
      sendAt: Date.parse('2025-03-10T08:00:00Z'),
    });
    expect(r.displaced).toEqual([]);
  });

  it('lets a human task through without consent or budget', () => {
    const r = applyGuardrails(
      [proposal({ channel: 'task', consentPurpose: 'transactional', purpose: 'churn_save' })],
      ctx({ consents: [] }),
    );
    expect(r.verdicts[0]).toMatchObject({ type: 'queue' });
  });
});

// ---- The properties, over random streams of proposals applied week after week ----

const CHANNELS: Channel[] = ['email', 'sms'];
const PURPOSES = ['churn_save', 'review_request', 'cross_sell', 'feedback', 'order_confirmation'];
const ZONES = ['Europe/London', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'America/Los_Angeles'];

const streamArb = fc.record({
  timezone: fc.constantFrom(...ZONES),
  consents: fc.subarray(allConsent.concat([{ channel: 'sms', purpose: 'transactional', granted: true }])),
  inGlobalControl: fc.boolean(),
  openTicket: fc.boolean(),
  steps: fc.array(
    fc.array(
      fc.record({
        hourOffset: fc.integer({ min: 0, max: 24 * 6 }),
        event: fc.integer({ min: 0, max: 6 }),
        purpose: fc.constantFrom(...PURPOSES),
        channel: fc.constantFrom(...CHANNELS),
        value: fc.integer({ min: 1, max: 1000 }),
        promotion: fc.boolean(),
      }),
      { maxLength: 6 },
    ),
    { minLength: 1, maxLength: 10 },
  ),
});

describe('guardrail properties over random event streams', () => {
  it('never sends without consent, over budget, inside quiet hours, or twice', () => {
    fc.assert(
      fc.property(streamArb, (s) => {
        const schedule = new Map<string, ScheduledMessage & { promotion: boolean; transactional: boolean }>();
        const tickets: TicketSummary[] = s.openTicket
          ? [{ ticketId: 't', openedAt: NOW - DAY, severity: 'high', resolvedAt: null, satisfied: null }]
          : [];
        let now = NOW;
        for (const step of s.steps) {
          const proposals: Proposal[] = step.map((e) => {
            const transactional = e.purpose === 'order_confirmation';
            return {
              key: `cus_1:${e.purpose}:${e.channel}:evt_${e.event}`,
              customerId: 'cus_1',
              actionId: e.purpose,
              channel: e.channel,
              consentPurpose: transactional ? 'transactional' : 'marketing',
              purpose: e.purpose,
              promotion: e.promotion,
              value: e.value,
              at: now + e.hourOffset * HOUR,
            };
          });
          const scheduled = [...schedule.values()].map((m) => ({
            ...m,
            status: m.sendAt <= now ? ('sent' as const) : ('queued' as const),
          }));
          const r = applyGuardrails(proposals, {
            now,
            timezone: s.timezone,
            consents: s.consents,
            tickets,
            inGlobalControl: s.inGlobalControl,
            scheduled,
            config: defaultGuardrailConfig,
          });
          expect(r.verdicts).toHaveLength(proposals.length);
          for (const d of r.displaced) {
            const m = schedule.get(d.key)!;
            expect(m.sendAt).toBeGreaterThan(now); // only unsent messages move
            if (d.sendAt === null) schedule.delete(d.key);
            else schedule.set(d.key, { ...m, sendAt: d.sendAt });
          }
          r.verdicts.forEach((v, i) => {
            const p = proposals[i]!;
            if (v.type === 'skip') return;
            // never twice
            expect(schedule.has(p.key)).toBe(false);
            expect(v.sendAt).toBeGreaterThanOrEqual(Math.max(p.at, now));
            schedule.set(p.key, {
              key: p.key,
              channel: p.channel,
              purpose: p.purpose,
              consentPurpose: p.consentPurpose,
              value: p.value,
              sendAt: v.sendAt,
              status: 'queued',
              promotion: p.promotion,
              transactional: p.consentPurpose === 'transactional',
            });
          });
          now += 2 * DAY;
        }
        const all = [...schedule.values()];
        const perWeek = new Map<string, number>();
        for (const m of all) {
          // no send without consent for the channel and purpose
          expect(
            s.consents.some((c) => c.channel === m.channel && c.purpose === m.consentPurpose && c.granted),
          ).toBe(true);
          if (m.transactional) continue;
          // no marketing to the global control group, no promotion with an open high ticket
          expect(s.inGlobalControl).toBe(false);
          if (s.openTicket) expect(m.promotion).toBe(false);
          // nothing inside quiet hours
          expect(inQuietHours(m.sendAt, s.timezone, defaultGuardrailConfig.quietHours)).toBe(false);
          const wk = `${m.channel}:${localWeek(m.sendAt, s.timezone)}`;
          perWeek.set(wk, (perWeek.get(wk) ?? 0) + 1);
        }
        // never over the weekly budget per channel
        for (const [wk, n] of perWeek) {
          expect(n).toBeLessThanOrEqual(defaultGuardrailConfig.weeklyCap[wk.split(':')[0] as Channel]!);
        }
        // no two of the same purpose in flight
        const byPurpose = new Map<string, number[]>();
        for (const m of all)
          if (!m.transactional) byPurpose.set(m.purpose, [...(byPurpose.get(m.purpose) ?? []), m.sendAt]);
        for (const times of byPurpose.values()) {
          times.sort((a, b) => a - b);
          for (let i = 1; i < times.length; i++) {
            expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(
              defaultGuardrailConfig.inFlightDays * DAY,
            );
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
