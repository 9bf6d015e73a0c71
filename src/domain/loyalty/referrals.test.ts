import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkReferral,
  detectRefundCycling,
  normaliseAddress,
  normaliseEmail,
  normaliseReferralCode,
  referralCode,
  referralStatus,
  type CycleOrder,
  type ReferralParty,
} from './referrals.js';

const NOW = '2026-06-01T00:00:00.000Z';
const days = (d: number) => new Date(Date.parse(NOW) + d * 86_400_000).toISOString();
const party = (id: string, over: Partial<ReferralParty> = {}): ReferralParty => ({
  customerId: id,
  emails: [`${id}@example.com`],
  addresses: [],
  paymentFingerprints: [],
  ...over,
});

describe('referral codes', () => {
  it('carry a readable stem and six code characters, and survive the usual typing slips', () => {
    const code = referralCode(new Uint8Array([1, 2, 3, 4, 5, 6]), 'Zoë');
    expect(code).toMatch(/^ZOE-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(normaliseReferralCode(` ${code.toLowerCase()} `)).toBe(code);
    expect(referralCode(new Uint8Array(6), null)).toBe('FRIEND-000000');
    expect(normaliseReferralCode('friend-ooolli')).toBe('FRIEND-000111');
  });

  it('differ when the random bytes differ (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        (a, b) => {
          // The code keeps the low 30 bits; different low 30 bits give different codes.
          const low = (x: Uint8Array) => ((x[2]! & 0x3f) << 24) | (x[3]! << 16) | (x[4]! << 8) | x[5]!;
          if (low(a) !== low(b)) expect(referralCode(a)).not.toBe(referralCode(b));
        },
      ),
    );
  });
});

describe('fraud checks on a referral', () => {
  it('accepts two different people', () => {
    expect(
      checkReferral({
        referrer: party('a'),
        referee: party('b'),
        refereeOrderedBefore: null,
        referrerAttributions: [],
        at: NOW,
      }),
    ).toEqual({ decision: 'accept', flags: [] });
  });

  it('rejects a self-referral through a Gmail dot or plus alias', () => {
    const r = checkReferral({
      referrer: party('a', { emails: ['Anna.Smith@gmail.com'] }),
      referee: party('b', { emails: ['annasmith+promo@googlemail.com'] }),
      refereeOrderedBefore: null,
      referrerAttributions: [],
      at: NOW,
    });
    expect(r).toEqual({
      decision: 'reject',
      flags: [{ type: 'SelfReferral', by: 'email', value: 'annasmith@gmail.com' }],
    });
  });

  it('rejects a shared shipping address or payment card', () => {
    const r = checkReferral({
      referrer: party('a', { addresses: ['12 Baker Street, London'], paymentFingerprints: ['fp_1'] }),
      referee: party('b', { addresses: ['12 baker st london'], paymentFingerprints: ['fp_1'] }),
      refereeOrderedBefore: null,
      referrerAttributions: [],
      at: NOW,
    });
    expect(r.decision).toBe('reject');
    expect(r.flags.map((f) => (f.type === 'SelfReferral' ? f.by : f.type))).toEqual(['address', 'payment']);
  });

  it('rejects a referee who had ordered before', () => {
    const r = checkReferral({
      referrer: party('a'),
      referee: party('b'),
      refereeOrderedBefore: days(-40),
      referrerAttributions: [],
      at: NOW,
    });
    expect(r.decision).toBe('reject');
  });

  it('sends a referrer over the velocity limit to review', () => {
    const r = checkReferral({
      referrer: party('a'),
      referee: party('b'),
      refereeOrderedBefore: null,
      referrerAttributions: [days(-0.5), days(-0.2), days(-0.1), days(-3)],
      at: NOW,
    });
    expect(r).toEqual({
      decision: 'review',
      flags: [{ type: 'VelocityExceeded', window: 'day', count: 4, limit: 3 }],
    });
  });

  it('normalises addresses and emails the same way on both sides', () => {
    expect(normaliseAddress('Hauptstraße 5, Köln')).toBe(normaliseAddress('hauptstrasse 5 koln'));
    expect(normaliseEmail(' X.Y+z@Example.com ')).toBe('x.y@example.com');
  });
});

describe('the referral lifecycle', () => {
  const base = {
    decision: 'accept' as const,
    referredAt: days(-50),
    rewarded: false,
    now: NOW,
    returnWindowDays: 30,
    attributionDays: 60,
  };

  it('is due for both sides only after the first order’s return window has closed', () => {
    expect(referralStatus({ ...base, firstOrder: null }).status).toBe('awaiting_order');
    expect(
      referralStatus({ ...base, firstOrder: { at: days(-10), netMinor: 5_000, grossMinor: 5_000 } }),
    ).toEqual({
      status: 'in_return_window',
      dueAt: days(20),
    });
    expect(
      referralStatus({ ...base, firstOrder: { at: days(-31), netMinor: 5_000, grossMinor: 5_000 } }).status,
    ).toBe('due');
    expect(
      referralStatus({ ...base, rewarded: true, firstOrder: { at: days(-31), netMinor: 1, grossMinor: 1 } })
        .status,
    ).toBe('rewarded');
  });

  it('is void when the first order was refunded in full or came too late', () => {
    expect(
      referralStatus({ ...base, firstOrder: { at: days(-31), netMinor: 0, grossMinor: 5_000 } }).status,
    ).toBe('void');
    expect(
      referralStatus({
        ...base,
        referredAt: days(-100),
        firstOrder: { at: days(-1), netMinor: 1, grossMinor: 1 },
      }).status,
    ).toBe('void');
    expect(referralStatus({ ...base, referredAt: days(-61), firstOrder: null }).status).toBe('void');
  });
});

describe('refund cycling', () => {
  const o = (id: string, d: number, refunded: number, points = 50): CycleOrder => ({
    orderId: id,
    at: days(d),
    grossMinor: 5_000,
    refundedMinor: refunded,
    refundedAt: refunded > 0 ? days(d + 5) : null,
    pointsEarned: points,
  });

  it('flags buy, earn, refund, repeat for review', () => {
    const f = detectRefundCycling(
      [o('1', -80, 5_000), o('2', -50, 4_500), o('3', -20, 5_000), o('4', -10, 0)],
      NOW,
    );
    expect(f).toMatchObject({
      cycles: 3,
      orders: 4,
      refundRate: 0.75,
      pointsEarnedOnRefunded: 150,
      orderIds: ['1', '2', '3'],
    });
  });

  it('does not flag a customer who keeps most of what they buy, or small partial refunds', () => {
    expect(
      detectRefundCycling(
        [
          o('1', -80, 5_000),
          o('2', -50, 5_000),
          o('3', -20, 5_000),
          ...['a', 'b', 'c', 'd'].map((id) => o(id, -5, 0)),
        ],
        NOW,
      ),
    ).toBeNull();
    expect(detectRefundCycling([o('1', -80, 1_000), o('2', -50, 1_000), o('3', -20, 1_000)], NOW)).toBeNull();
    expect(
      detectRefundCycling([o('1', -200, 5_000), o('2', -150, 5_000), o('3', -20, 5_000)], NOW),
    ).toBeNull();
  });
});
