import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { ok } from '../domain/result.js';
import { eventStore } from '../store/event-repository.js';
import { programmeStore } from '../store/loyalty-programme-repository.js';
import { ingestBatch } from './ingest-events.js';
import {
  attributeReferral,
  calibrateChallenges,
  createReward,
  ensureReferralCode,
  evaluateTiers,
  flagRefundCycling,
  memberTier,
  processReferrals,
  refreshChallenges,
  rewardSuggestions,
  updateReward,
  type PointsPort,
} from './loyalty-programme.js';

const T0 = '2026-05-01T10:00:00.000Z';
const day = (d: number) => new Date(Date.parse(T0) + d * 86_400_000).toISOString();
let seq = 0;
const track = (userId: string, event: string, at: string, properties: Record<string, unknown>) => ({
  type: 'track',
  userId,
  event,
  messageId: `m-${++seq}`,
  timestamp: at,
  properties,
});
const order = (userId: string, id: string, at: string, lines: Array<[string, number, number]>) =>
  track(userId, 'Order Completed', at, {
    order_id: id,
    total: lines.reduce((s, [, price, q]) => s + price * q, 0),
    currency: 'USD',
    products: lines.map(([category, price, quantity], i) => ({
      product_id: `${id}-p${i}`,
      category,
      price,
      quantity,
    })),
  });

/** A ledger double for the programme's tests: credits once per business key, as the ledger does. */
function recordingLedger(): PointsPort & { credits: Map<string, { customerId: string; points: number }> } {
  const credits = new Map<string, { customerId: string; points: number }>();
  return {
    credits,
    async credit(i) {
      const dup = credits.has(i.businessKey);
      if (!dup) credits.set(i.businessKey, { customerId: i.customerId, points: i.points });
      return ok({ entryId: `led_${i.businessKey}`, duplicate: dup });
    },
    async available(customerId) {
      let n = 0;
      for (const c of credits.values()) if (c.customerId === customerId) n += c.points;
      return n;
    },
  };
}

for (const dialect of DATABASES) {
  describe(`the loyalty programme on ${dialect}`, () => {
    let t: TestDatabase;
    const ingest = async (events: unknown[]) => {
      const r = await ingestBatch(eventStore(t.store), events, {
        currency: { baseCurrency: 'USD', rates: {} },
        receivedAt: '2026-06-01T00:00:00.000Z',
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    };
    const id = async (userId: string) => (await programmeStore(t.store).customerIdFor(userId)) as string;

    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await ingest([
        {
          type: 'identify',
          userId: 'u_a',
          messageId: 'i-a',
          timestamp: day(-200),
          traits: { email: 'Anna.B@gmail.com', first_name: 'Anna' },
        },
        {
          type: 'identify',
          userId: 'u_c',
          messageId: 'i-c',
          timestamp: day(-200),
          traits: { email: 'carl@example.com' },
        },
        order('u_a', 'a1', day(-150), [['Coffee', 40, 2]]),
        order('u_a', 'a2', day(-90), [
          ['Coffee', 30, 2],
          ['Mugs', 20, 1],
        ]),
        order('u_a', 'a3', day(-20), [['Coffee', 45, 1]]),
        track('u_a', 'Product Reviewed', day(-19), {
          product_id: 'a3-p0',
          rating: 5,
          review_body: 'Lovely beans',
        }),
        track('u_a', 'Community Posted', day(-5), { post_id: 'p1', kind: 'answer', helpful_votes: 2 }),
        order('u_c', 'c1', day(-30), [['Tea', 10, 1]]),
        order('u_c', 'c2', day(-25), [['Tea', 10, 1]]),
        order('u_c', 'c3', day(-20), [['Tea', 10, 1]]),
        track('u_c', 'Order Refunded', day(-18), { order_id: 'c1', total: 10, currency: 'USD' }),
        track('u_c', 'Order Refunded', day(-15), { order_id: 'c2', total: 10, currency: 'USD' }),
        track('u_c', 'Order Refunded', day(-10), { order_id: 'c3', total: 10, currency: 'USD' }),
      ]);
    }, 60_000);
    afterAll(async () => t?.drop());

    it('qualifies a member on spend and engagement, and re-evaluating changes nothing', async () => {
      const ps = programmeStore(t.store);
      const r = await evaluateTiers(ps, { now: T0 });
      expect(r.transitions.TierUpgraded).toBe(0);
      expect(r.byTier).toEqual({ member: 2 });
      // u_a: 80 + 80 + 45 = 205 spend points + a review 20 + community help 10 = 235: Member, 15 short of Silver.
      const view = await memberTier(ps, await id('u_a'), T0);
      expect(view.tier).toMatchObject({ id: 'member', score: 235 });
      expect(view.tierProgress).toMatchObject({ nextTierId: 'silver', remaining: 15 });
      expect(view.tierProgress.options.map((o) => o.description)).toEqual([
        'one review',
        'one more order of $15',
      ]);
      expect(view.tierProgress.options[1]).toMatchObject({ orderMinor: 1_500, actions: {} });

      await ingest([order('u_a', 'a4', day(1), [['Coffee', 20, 1]])]);
      const again = await evaluateTiers(ps, { customerId: await id('u_a'), now: day(1) });
      expect(again.transitions.TierUpgraded).toBe(1);
      expect((await ps.tier(await id('u_a')))?.state.tierId).toBe('silver');
      const twice = await evaluateTiers(ps, { customerId: await id('u_a'), now: day(1) });
      expect(Object.values(twice.transitions).reduce((a, b) => a + b, 0)).toBe(0);
    });

    it('offers personal challenges, tracks them from orders and pays each reward once', async () => {
      const ps = programmeStore(t.store);
      const ledger = recordingLedger();
      const first = await refreshChallenges(ps, ledger, { now: day(2), seed: 1 });
      expect(first.generated).toBeGreaterThanOrEqual(4);
      const mine = await ps.challenges(await id('u_a'), 'active');
      const spend = mine.find((c) => c.kind === 'spend_stretch')!;
      // u_a's baseline: $225 net over 152 days ≈ $44.41 per 30 days; ×1.2 = $53.29 → $54.
      expect(spend.target).toBe(Math.ceil((1.2 * Math.round(22_500 / (152 / 30))) / 100) * 100);
      expect(spend.target).toBe(5_400);
      expect((await refreshChallenges(ps, ledger, { now: day(2), seed: 1 })).generated).toBe(0);

      await ingest([order('u_a', 'a5', day(3), [['Coffee', 70, 1]])]);
      const r = await refreshChallenges(ps, ledger, { customerId: await id('u_a'), now: day(4), seed: 1 });
      // The spend stretch ($70 ≥ $54) is done; two Coffee items and a first Tea order are not yet.
      expect(r.completed).toBe(1);
      const paid = [...ledger.credits.keys()].filter((k) => k.startsWith('challenge:'));
      expect(paid).toContain(`challenge:${spend.id}:reward`);
      const before = ledger.credits.size;
      await refreshChallenges(ps, ledger, { now: day(5), seed: 1 });
      expect(ledger.credits.size).toBe(before);
      const done = (await ps.challenges(await id('u_a'), 'completed')).find((c) => c.id === spend.id)!;
      expect(done.rewardEntryId).toBe(`led_challenge:${spend.id}:reward`);
      expect(done.completedAt).toBe(day(3));
    });

    it('calibrates the stretch from the challenges that ended', async () => {
      const ps = programmeStore(t.store);
      await refreshChallenges(ps, null, { now: day(40), seed: 1, generate: false });
      const r = await calibrateChallenges(ps, day(40));
      const spend = r.find((x) => x.kind === 'spend_stretch')!;
      expect(spend.offered).toBeGreaterThanOrEqual(2);
      // u_a completed, u_c did not: 50 % against a 35 % target — a little harder next time.
      expect(spend.after).toBeGreaterThan(spend.before);
      expect((await ps.calibration()).stretch.spend_stretch).toBe(spend.after);
    });

    it('keeps a catalog with clear errors and suggests what the member can take now', async () => {
      const ps = programmeStore(t.store);
      const bad = await createReward(
        ps,
        { name: '', benefit: { type: 'percent_off', percent: 0 }, costPoints: -1 },
        T0,
      );
      expect(bad.ok).toBe(false);
      if (!bad.ok && bad.error.type === 'Invalid')
        expect(bad.error.errors.map((e) => e.path)).toEqual(['name', 'benefit.percent', 'costPoints']);
      const unknownTier = await createReward(
        ps,
        { name: 'x', benefit: { type: 'free_shipping' }, costPoints: 5, eligibleTiers: ['diamond'] },
        T0,
      );
      expect(unknownTier).toMatchObject({
        ok: false,
        error: { type: 'Invalid', errors: [{ path: 'eligibleTiers' }] },
      });
      const ten = await createReward(
        ps,
        { name: '$10 off', benefit: { type: 'amount_off', amountMinor: 1_000 }, costPoints: 200, stock: 5 },
        T0,
      );
      expect(ten.ok).toBe(true);
      if (!ten.ok) return;
      const upd = await updateReward(ps, ten.value.id, { stock: 3 }, T0);
      expect(upd).toMatchObject({ ok: true, value: { stock: 3, stockLeft: 3 } });
      await ingest([
        track('u_a', 'Product Added', day(6), {
          product_id: 'grinder',
          name: 'Hand grinder',
          price: 35,
          category: 'Coffee',
        }),
      ]);
      const s = await rewardSuggestions(ps, {
        customerId: await id('u_a'),
        tierId: 'silver',
        available: 250,
        now: day(6),
      });
      expect(s[0]).toMatchObject({
        rewardId: ten.value.id,
        reason: 'You can take $10 off Hand grinder in your cart',
      });
    });

    it('attributes a referral, rejects a self-referral and rewards both sides after the return window', async () => {
      const ps = programmeStore(t.store);
      const a = await id('u_a');
      const code = await ensureReferralCode(ps, a, 'Anna', T0);
      expect(code).toMatch(/^ANNA-/);
      expect(await ensureReferralCode(ps, a, 'Anna', T0)).toBe(code);
      await ingest([
        {
          type: 'identify',
          userId: 'u_b',
          messageId: 'i-b',
          timestamp: day(10),
          traits: { email: 'bob@example.com' },
        },
        {
          type: 'identify',
          userId: 'u_self',
          messageId: 'i-s',
          timestamp: day(10),
          traits: { email: 'annab+2@googlemail.com' },
        },
      ]);
      const fine = await attributeReferral(ps, {
        code: code.toLowerCase(),
        referee: 'u_b',
        at: day(10),
        now: day(10),
      });
      expect(fine).toMatchObject({
        ok: true,
        value: { decision: 'accept', status: 'awaiting_order', new: true },
      });
      const again = await attributeReferral(ps, { code, referee: 'u_b', at: day(11), now: day(11) });
      expect(again).toMatchObject({ ok: true, value: { new: false } });
      const self = await attributeReferral(ps, { code, referee: 'u_self', at: day(10), now: day(10) });
      expect(self).toMatchObject({
        ok: true,
        value: { decision: 'reject', flags: [{ type: 'SelfReferral', by: 'email' }] },
      });
      expect(
        await attributeReferral(ps, { code: 'NOPE-123456', referee: 'u_b', at: day(10), now: day(10) }),
      ).toMatchObject({
        ok: false,
        error: { type: 'UnknownReferralCode' },
      });

      const ledger = recordingLedger();
      await ingest([order('u_b', 'b1', day(12), [['Tea', 25, 1]])]);
      expect(await processReferrals(ps, ledger, day(20))).toMatchObject({ due: 0, rewarded: 0 });
      expect(ledger.credits.size).toBe(0);
      expect(await processReferrals(ps, ledger, day(43))).toMatchObject({ due: 1, rewarded: 1 });
      expect(await processReferrals(ps, ledger, day(44))).toMatchObject({ checked: 0 });
      const ref = [...ledger.credits.entries()];
      expect(ref.map(([k, v]) => [k.split(':')[2], v.points])).toEqual([
        ['referrer', 250],
        ['referee', 100],
      ]);
    });

    it('flags refund cycling for review, once', async () => {
      const ps = programmeStore(t.store);
      expect(await flagRefundCycling(ps, T0)).toBe(1);
      expect(await flagRefundCycling(ps, T0)).toBe(0);
      const flags = await ps.flags(await id('u_c'));
      expect(flags).toMatchObject([{ kind: 'refund_cycling', status: 'open', detail: { cycles: 3 } }]);
    });
  });
}
