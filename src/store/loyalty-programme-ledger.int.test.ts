import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { programmeHealth } from '../app/loyalty-health.js';
import { creditPoints, memberBalance, redeemPoints } from '../app/loyalty-ledger.js';
import { createReward, memberProgramme } from '../app/loyalty-programme.js';
import { isValidRewardCode } from '../domain/loyalty/rewards.js';
import { catalogReward, ledgerFigures, ledgerPoints } from './loyalty-programme-ledger.js';
import { programmeStore } from './loyalty-programme-repository.js';
import { ledgerIds, loyaltyStore } from './loyalty-repository.js';

const NOW = '2026-06-01T00:00:00.000Z';

for (const dialect of DATABASES) {
  describe(`rewards and points through the ledger on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    const give = (customerId: string, points: number, key = `grant:${customerId}`) =>
      creditPoints(loyaltyStore(t.store), ledgerIds, {
        customerId,
        businessKey: key,
        source: 'bonus',
        rule: 'test_grant',
        points,
        release: null,
        effectiveAt: NOW,
        now: NOW,
      });

    it('lets exactly as many concurrent redemptions succeed as there is stock, and never goes below zero', async () => {
      const ps = programmeStore(t.store);
      const r = await createReward(
        ps,
        {
          name: 'Mug',
          benefit: { type: 'free_product', productId: 'mug', valueMinor: 1200 },
          costPoints: 100,
          stock: 10,
        },
        NOW,
      );
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      const members = Array.from({ length: 50 }, (_, i) => `cus_race_${i}`);
      for (const m of members) await give(m, 1_000);
      const ledger = loyaltyStore(t.store);
      const results = await Promise.all(
        members.map((customerId) =>
          redeemPoints(ledger, ledgerIds, {
            customerId,
            reward: catalogReward(t.store.dialect, r.value.id, NOW),
            now: NOW,
            businessKey: `reward:${customerId}:mug`,
          }),
        ),
      );
      const won = results.filter((x) => x.ok);
      expect(won).toHaveLength(10);
      expect(results.filter((x) => !x.ok && x.error.type === 'RewardOutOfStock')).toHaveLength(40);
      expect((await ps.reward(r.value.id))?.stockLeft).toBe(0);
      const codes = await t.store.db.selectFrom('loyalty_reward_codes').selectAll().execute();
      expect(codes).toHaveLength(10);
      expect(new Set(codes.map((c) => c.code)).size).toBe(10);
      for (const c of codes) expect(isValidRewardCode(c.code)).toBe(true);
      // Points left only the winners' accounts.
      const balances = await Promise.all(members.map((m) => memberBalance(ledger, m, NOW)));
      expect(balances.filter((b) => b.available === 900)).toHaveLength(10);
      expect(balances.filter((b) => b.available === 1_000)).toHaveLength(40);

      // A retry of a winner's redemption answers the same and takes neither stock nor points again.
      const winner = members[results.findIndex((x) => x.ok)]!;
      const again = await redeemPoints(ledger, ledgerIds, {
        customerId: winner,
        reward: catalogReward(t.store.dialect, r.value.id, NOW),
        now: NOW,
        businessKey: `reward:${winner}:mug`,
      });
      expect(again).toMatchObject({ ok: true, value: { replayed: true } });
      expect(
        Number(
          (await sql<{ n: number }>`select count(*) as n from loyalty_reward_codes`.execute(t.store.db))
            .rows[0]?.n,
        ),
      ).toBe(10);
    });

    it('refuses a reward the member’s tier may not take, and one that does not exist', async () => {
      const ps = programmeStore(t.store);
      const r = await createReward(
        ps,
        {
          name: 'VIP night',
          benefit: { type: 'exclusive_access', description: 'Night shopping' },
          costPoints: 50,
          eligibleTiers: ['gold'],
        },
        NOW,
      );
      if (!r.ok) throw new Error('reward');
      await give('cus_silver', 500);
      const ledger = loyaltyStore(t.store);
      const no = await redeemPoints(ledger, ledgerIds, {
        customerId: 'cus_silver',
        reward: catalogReward(t.store.dialect, r.value.id, NOW),
        now: NOW,
        businessKey: 'k1',
      });
      expect(no).toMatchObject({ ok: false, error: { type: 'NotEligible' } });
      const none = await redeemPoints(ledger, ledgerIds, {
        customerId: 'cus_silver',
        reward: catalogReward(t.store.dialect, 'rwd_x', NOW),
        now: NOW,
        businessKey: 'k2',
      });
      expect(none).toMatchObject({ ok: false, error: { type: 'UnknownReward' } });
      const poor = await createReward(
        ps,
        { name: 'Big', benefit: { type: 'amount_off', amountMinor: 5000 }, costPoints: 5_000 },
        NOW,
      );
      if (!poor.ok) throw new Error('reward');
      const broke = await redeemPoints(ledger, ledgerIds, {
        customerId: 'cus_silver',
        reward: catalogReward(t.store.dialect, poor.value.id, NOW),
        now: NOW,
        businessKey: 'k3',
      });
      expect(broke).toMatchObject({
        ok: false,
        error: { type: 'InsufficientPoints', available: 500, needed: 5_000 },
      });
      expect((await memberBalance(ledger, 'cus_silver', NOW)).available).toBe(500);
    });

    it('posts a programme reward once per business key', async () => {
      const points = ledgerPoints(t.store);
      const input = {
        customerId: 'cus_ch',
        businessKey: 'challenge:chl_1:reward',
        rule: 'challenge',
        points: 150,
        effectiveAt: NOW,
        now: NOW,
        explanation: 'Challenge completed.',
      };
      const a = await points.credit(input);
      const b = await points.credit(input);
      expect(a).toMatchObject({ ok: true, value: { duplicate: false } });
      expect(b).toMatchObject({ ok: true, value: { duplicate: true, entryId: a.ok ? a.value.entryId : '' } });
      expect(await points.available('cus_ch', NOW)).toBe(150);
    });

    it('reports the liability of the outstanding points and this quarter’s participation', async () => {
      const h = await programmeHealth(programmeStore(t.store), ledgerFigures(t.store), NOW);
      // 50 × 1,000 − 10 × 100 + 500 + 150 outstanding, all available, one point = one cent.
      expect(h.liability).toMatchObject({
        pendingPoints: 0,
        availablePoints: 49_650,
        availableMinor: 49_650,
        breakageBasis: 'assumed',
      });
      expect(h.liability.expectedCostMinor).toBe(Math.round(49_650 * 0.8));
      expect(h.participation).toMatchObject({ quarter: '2026-Q2', members: 52, active: 52, redeeming: 10 });
    });

    it('sums what each matured lot lost to redemptions and reversals, as the postings say', async () => {
      // Every lot credited in this suite matures by 2100; the figures must match a plain sum of its postings.
      const later = '2100-01-01T00:00:00.000Z';
      const lots = await ledgerFigures(t.store).maturedLots(later);
      const rows = await t.store.db.selectFrom('loyalty_lots').select(['id', 'points', 'expired']).execute();
      const postings = await t.store.db
        .selectFrom('loyalty_postings')
        .select(['lot_id', 'to_account', 'points'])
        .where('lot_id', 'is not', null)
        .execute();
      const sum = (lot: string, to: string) =>
        postings
          .filter((p) => p.lot_id === lot && p.to_account === to)
          .reduce((a, p) => a + Number(p.points), 0);
      const expected = rows.map((l) => ({
        points: Number(l.points),
        expired: Number(l.expired),
        reversed: sum(l.id, 'reversed'),
        redeemed: sum(l.id, 'redeemed'),
      }));
      const order = (xs: typeof expected) =>
        [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(lots.length).toBe(rows.length);
      expect(order(lots)).toEqual(order(expected));
      expect(lots.some((l) => l.redeemed > 0)).toBe(true);
    });

    it('gives the member’s programme view with a referral code and suggestions within the balance', async () => {
      const v = await memberProgramme(programmeStore(t.store), {
        customerId: 'cus_silver',
        available: 500,
        now: NOW,
        firstName: 'Sil',
      });
      expect(v.tier.id).toBe('member');
      expect(v.referralCode).toMatch(/^SIL-/);
      expect(v.suggestedRewards.map((s) => s.rewardId)).not.toContain(undefined);
      expect(v.suggestedRewards.every((s) => s.affordable || s.missingPoints > 0)).toBe(true);
    });
  });
}
