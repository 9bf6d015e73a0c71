/**
 * Where the programme meets the ledger: points posted through the ledger's use cases (never written
 * here), the rewards catalog as a `RedemptionReward` (stock decremented and a unique code issued in
 * the redemption's own transaction, so stock moves exactly once per redemption and never below
 * zero), the member's tier for the earn rules, and the ledger figures programme health reads.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { LedgerFigures } from '../app/loyalty-health.js';
import {
  creditPoints,
  memberBalance,
  type MemberSession,
  type RedemptionReward,
} from '../app/loyalty-ledger.js';
import type { LoyaltyHooks } from '../app/loyalty-events.js';
import { evaluateTiers, type PointsPort } from '../app/loyalty-programme.js';
import { checkRedeemable, rewardCode } from '../domain/loyalty/rewards.js';
import { err, ok } from '../domain/result.js';
import { openStore, type Store } from './database.js';
import { ledgerIds, loyaltyStore } from './loyalty-repository.js';
import { programmeStore, rewardFromRow } from './loyalty-programme-repository.js';
import type { Tx } from './transaction.js';

/** Points through the ledger: a bonus lot, available at once, not tier-qualifying (tiers score the facts). */
export function ledgerPoints(store: Store): PointsPort {
  const ledger = loyaltyStore(store);
  return {
    async credit(i) {
      const r = await creditPoints(ledger, ledgerIds, {
        customerId: i.customerId,
        businessKey: i.businessKey,
        source: 'bonus',
        rule: i.rule,
        points: i.points,
        qualifying: 0,
        release: null,
        effectiveAt: i.effectiveAt,
        now: i.now,
        explanation: i.explanation,
      });
      return r.ok
        ? ok({ entryId: r.value.entryId, duplicate: r.value.duplicate })
        : err({ type: r.error.type });
    },
    async available(customerId, now) {
      return (await memberBalance(ledger, customerId, now)).available;
    },
  };
}

/** Thrown inside a redemption's transaction when the last unit went to a concurrent redemption. */
export class RewardSoldOut extends Error {
  constructor(readonly rewardId: string) {
    super(`reward ${rewardId} is out of stock`);
  }
}

/**
 * The catalog entry `rewardId` as the ledger's redemption sees it. `reserve` (member locked, reward
 * row locked) checks that the reward exists, is active, the member's tier may take it and stock is
 * left; `issue` runs after the points are posted: one conditional decrement (`stock_left > 0`: a
 * safety net — should it ever find no stock it throws, and the whole redemption, points included,
 * rolls back) and one code row keyed by the redemption (unique), all in the ledger's transaction.
 */
export function catalogReward(dialect: Store['dialect'], rewardId: string, now: string): RedemptionReward {
  return {
    async reserve(s: MemberSession) {
      const tx = s.handle as Tx;
      // PostgreSQL: lock the reward's row until the redemption commits (after the member's account,
      // always in that order, so concurrent redemptions cannot deadlock); the stock read here is then
      // the stock `issue` decrements. SQLite serialises every write transaction already.
      let q = tx.selectFrom('loyalty_rewards').selectAll().where('id', '=', rewardId);
      if (dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return err({ type: 'UnknownReward', detail: `No reward "${rewardId}".` });
      const reward = rewardFromRow(row);
      const tier =
        (
          await tx
            .selectFrom('loyalty_tiers')
            .select('tier_id')
            .where('customer_id', '=', s.customerId)
            .executeTakeFirst()
        )?.tier_id ?? 'member';
      // Points are the ledger's to check (it answers InsufficientPoints with available and needed).
      const c = checkRedeemable(reward, { tierId: tier, available: Number.MAX_SAFE_INTEGER });
      if (!c.ok) {
        const e = c.error;
        if (e.type === 'OutOfStock')
          return err({ type: 'RewardOutOfStock', detail: `"${reward.name}" is out of stock.` });
        if (e.type === 'NotEligible')
          return err({
            type: 'NotEligible',
            detail: `"${reward.name}" is for ${e.eligibleTiers.join(', ')} members; this member is ${e.tierId}.`,
          });
        return err({ type: 'UnknownReward', detail: `"${reward.name}" is no longer offered.` });
      }
      return ok({ rewardId, points: reward.costPoints, label: reward.name });
    },
    async issue(s: MemberSession, redemption: { entryId: string; points: number }) {
      const tx = s.handle as Tx;
      const dec = await tx
        .updateTable('loyalty_rewards')
        .set({ stock_left: sql<number>`stock_left - 1`, updated_at: now })
        .where('id', '=', rewardId)
        .where('stock_left', 'is not', null)
        .where('stock_left', '>', 0)
        .executeTakeFirst();
      const row = await tx
        .selectFrom('loyalty_rewards')
        .select(['stock_left', 'name'])
        .where('id', '=', rewardId)
        .executeTakeFirstOrThrow();
      if (Number(dec.numUpdatedRows) === 0 && row.stock_left !== null) throw new RewardSoldOut(rewardId);
      const code = rewardCode(randomBytes(10));
      await tx
        .insertInto('loyalty_reward_codes')
        .values({
          code,
          redemption_id: redemption.entryId,
          reward_id: rewardId,
          customer_id: s.customerId,
          points: redemption.points,
          issued_at: now,
        })
        .execute();
      return { code, rewardId, name: row.name };
    },
  };
}

/**
 * The member's stored tier, for the ledger's earn rules (`config.tierMultipliers`). The ledger asks
 * while it holds the member's transaction; on SQLite that transaction owns the store's only
 * connection, so the tier is read through a second, read-only connection to the same file (WAL lets
 * it read beside the writer). On PostgreSQL the pool serves it.
 */
export function tierOf(store: Store): (customerId: string) => Promise<string | null> {
  let reader: Store | null = null;
  return async (customerId) => {
    let db = store.db;
    if (store.dialect === 'sqlite') {
      reader ??= openStore(store.url);
      db = reader.db;
    }
    return (
      (
        await db
          .selectFrom('loyalty_tiers')
          .select('tier_id')
          .where('customer_id', '=', customerId)
          .executeTakeFirst()
      )?.tier_id ?? null
    );
  };
}

/**
 * What the programme plugs into an event run (`processLoyaltyEvents`): the member's tier for the
 * earn multiplier, and the tiers of the members a batch of events touched, re-evaluated at once
 * (only those members, in groups; transitions recorded as `patron loyalty tiers` records them).
 */
export function programmeHooks(store: Store): LoyaltyHooks {
  const ps = programmeStore(store);
  return {
    tierOf: tierOf(store),
    async membersTouched(customerIds, now) {
      await evaluateTiers(ps, { customerIds, now });
    },
  };
}

/** The ledger's figures for programme health, read from its tables (read only). */
export function ledgerFigures(store: Store): LedgerFigures {
  const db = store.db;
  return {
    async outstanding() {
      const r = await db
        .selectFrom('loyalty_accounts')
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>('pending'), sql<number>`0`).as('pending'),
          eb.fn.coalesce(eb.fn.sum<number>('available'), sql<number>`0`).as('available'),
          eb.fn.countAll<number>().as('members'),
        ])
        .executeTakeFirst();
      return {
        pending: Number(r?.pending ?? 0),
        available: Number(r?.available ?? 0),
        members: Number(r?.members ?? 0),
      };
    },
    async maturedLots(now) {
      // A lot's points end redeemed, expired or reversed; what it credited minus reversals is the base.
      const rows = await sql<{
        points: number;
        expired: number;
        reversed: number | null;
        redeemed: number | null;
      }>`
        select l.points as points, l.expired as expired, p.reversed as reversed, p.redeemed as redeemed
        from loyalty_lots l
        left join (select lot_id,
                          sum(case when to_account = 'reversed' then points end) as reversed,
                          sum(case when to_account = 'redeemed' then points end) as redeemed
                   from loyalty_postings
                   where lot_id is not null and to_account in ('reversed', 'redeemed')
                   group by lot_id) p on p.lot_id = l.id
        where l.expires_at <= ${now}`.execute(db);
      return rows.rows.map((r) => ({
        points: Number(r.points),
        expired: Number(r.expired),
        reversed: Number(r.reversed ?? 0),
        redeemed: Number(r.redeemed ?? 0),
      }));
    },
    async movements(start, end) {
      const rows = await db
        .selectFrom('loyalty_entries')
        .select(['customer_id', 'effective_at', 'kind'])
        .where('effective_at', '>=', start)
        .where('effective_at', '<', end)
        .where('kind', 'in', ['earn', 'bonus', 'redeem'])
        .execute();
      return rows.map((r) => ({
        customerId: r.customer_id,
        at: r.effective_at,
        kind: r.kind === 'redeem' ? ('redeem' as const) : ('earn' as const),
      }));
    },
  };
}
