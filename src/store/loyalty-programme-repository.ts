/**
 * Storage of the loyalty programme around the ledger (tiers, challenges, rewards catalog and
 * issued codes, referral codes and attributions, flags): the `ProgrammeStore` port of
 * src/app/loyalty-programme.ts over Kysely, identical on SQLite and PostgreSQL.
 */
import { sql, type Kysely } from 'kysely';
import type {
  MemberFacts,
  ProgrammeSettings,
  ProgrammeStore,
  StoredChallenge,
  StoredReferral,
  TierRecord,
} from '../app/loyalty-programme.js';
import { DEFAULT_PROGRAMME_SETTINGS } from '../app/loyalty-programme.js';
import { DEFAULT_CALIBRATION, type Calibration, type ChallengeKind } from '../domain/loyalty/challenges.js';
import type { CycleOrder, ReferralFlag } from '../domain/loyalty/referrals.js';
import { rewardBenefit, type Reward, type RewardType } from '../domain/loyalty/rewards.js';
import type { Database, Store } from './database.js';
import { loadMemberFacts, loadWantedItems, popularCategories } from './loyalty-facts-repository.js';
import { inList, writeTransaction } from './transaction.js';
import { resolveCustomerId } from './customer-id.js';

const SETTINGS_KEY = 'loyalty_programme';

type RewardRow = Database['loyalty_rewards'];
export const rewardFromRow = (r: RewardRow): Reward => ({
  id: r.id,
  name: r.name,
  benefit: rewardBenefit.parse(JSON.parse(r.benefit)),
  costPoints: Number(r.cost_points),
  stock: r.stock === null ? null : Number(r.stock),
  stockLeft: r.stock_left === null ? null : Number(r.stock_left),
  eligibleTiers: r.eligible_tiers === null ? null : (JSON.parse(r.eligible_tiers) as string[]),
  active: Number(r.active) === 1,
});

type ChallengeRow = Database['loyalty_challenges'];
const challengeFromRow = (r: ChallengeRow): StoredChallenge => ({
  id: r.id,
  customerId: r.customer_id,
  kind: r.kind as ChallengeKind,
  periodKey: r.period_key,
  category: r.category,
  title: r.title,
  target: Number(r.target),
  baseline: Number(r.baseline),
  stretch: Number(r.stretch),
  progress: Number(r.progress),
  rewardPoints: Number(r.reward_points),
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  status: r.status as StoredChallenge['status'],
  completedAt: r.completed_at,
  rewardEntryId: r.reward_entry_id,
});

type ReferralRow = Database['loyalty_referrals'];
const referralFromRow = (r: ReferralRow): StoredReferral => ({
  id: r.id,
  referrerId: r.referrer_id,
  refereeId: r.referee_id,
  code: r.code,
  referredAt: r.referred_at,
  decision: r.decision as StoredReferral['decision'],
  flags: JSON.parse(r.flags) as ReferralFlag[],
  status: r.status,
  firstOrderId: r.first_order_id,
  dueAt: r.due_at,
  rewardedAt: r.rewarded_at,
});

const tierFromRow = (r: Database['loyalty_tiers']): TierRecord => ({
  state: {
    tierId: r.tier_id,
    since: r.since,
    demotion:
      r.demotion_to !== null && r.demotion_at !== null
        ? { toTierId: r.demotion_to, effectiveAt: r.demotion_at, noticeAt: r.notice_at ?? r.demotion_at }
        : null,
    reminded: Number(r.reminded) === 1,
  },
  score: Number(r.score),
  evaluatedAt: r.evaluated_at,
});

/**
 * Read-mostly programme data, cached per database for every `programmeStore` over it: the
 * settings and the rewards catalog for a second, the redemption counts per tier (a statistic over
 * every code issued, for suggestions) for half a minute. Saving settings or a reward through this
 * process is seen at once; another process's change within the TTL; a stock decremented by a
 * redemption may show in suggestions for up to a second (redeeming checks stock in the
 * transaction). Promises are cached, so concurrent requests share one read.
 */
interface Cached<T> {
  readonly at: number;
  readonly value: Promise<T>;
}
interface ProgrammeCache {
  settings: Cached<ProgrammeSettings> | null;
  rewards: Cached<Reward[]> | null;
  counts: Map<string, Cached<Record<string, number>>>;
}
const SETTINGS_TTL_MS = 1000;
const COUNTS_TTL_MS = 30_000;
const caches = new WeakMap<Store, ProgrammeCache>();

function cached<T>(
  get: () => Cached<T> | null | undefined,
  set: (c: Cached<T> | null) => void,
  ttl: number,
  load: () => Promise<T>,
): Promise<T> {
  const now = Date.now();
  const entry = get();
  if (entry && now - entry.at < ttl) return entry.value;
  const fresh = { at: now, value: load() };
  set(fresh);
  // A failed read is not kept: the next call tries again.
  fresh.value.catch(() => {
    if (get() === fresh) set(null);
  });
  return fresh.value;
}

export function programmeStore(store: Store): ProgrammeStore {
  const db = store.db;
  let cache = caches.get(store);
  if (!cache) {
    cache = { settings: null, rewards: null, counts: new Map() };
    caches.set(store, cache);
  }
  const c = cache;
  const readSettings = async (): Promise<ProgrammeSettings> => {
    const row = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', SETTINGS_KEY)
      .executeTakeFirst();
    if (!row) {
      const cur = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'currency')
        .executeTakeFirst();
      const currency = cur
        ? ((JSON.parse(cur.value) as { baseCurrency?: string }).baseCurrency ?? 'USD')
        : 'USD';
      return { ...DEFAULT_PROGRAMME_SETTINGS, currency };
    }
    return { ...DEFAULT_PROGRAMME_SETTINGS, ...(JSON.parse(row.value) as Partial<ProgrammeSettings>) };
  };
  const readRewards = async (): Promise<Reward[]> =>
    (await db.selectFrom('loyalty_rewards').selectAll().orderBy('cost_points').orderBy('id').execute()).map(
      rewardFromRow,
    );
  const readRedemptionCounts = async (tierId: string | null): Promise<Record<string, number>> => {
    let q = db
      .selectFrom('loyalty_reward_codes as c')
      .select((eb) => ['c.reward_id', eb.fn.countAll<number>().as('n')])
      .groupBy('c.reward_id');
    if (tierId !== null)
      q = q.innerJoin('loyalty_tiers as t', 't.customer_id', 'c.customer_id').where('t.tier_id', '=', tierId);
    return Object.fromEntries((await q.execute()).map((r) => [r.reward_id, Number(r.n)]));
  };
  return {
    settings: () =>
      cached(
        () => c.settings,
        (v) => (c.settings = v),
        SETTINGS_TTL_MS,
        readSettings,
      ),
    async saveSettings(s, now) {
      const value = JSON.stringify(s);
      c.settings = null;
      await db
        .insertInto('settings')
        .values({ key: SETTINGS_KEY, value, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
        .execute();
      c.settings = null;
    },
    facts: (customerId, since): Promise<Map<string, MemberFacts>> => loadMemberFacts(db, customerId, since),
    wantedItems: (customerId) => loadWantedItems(db, customerId),
    popularCategories: (now) => popularCategories(db, now),
    async tier(customerId) {
      const r = await db
        .selectFrom('loyalty_tiers')
        .selectAll()
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      return r ? tierFromRow(r) : null;
    },
    async tiers(ids) {
      const out = new Map<string, TierRecord>();
      if (ids !== null && ids.length === 0) return out;
      let q = db.selectFrom('loyalty_tiers').selectAll();
      if (ids !== null) q = q.where('customer_id', 'in', inList(ids));
      for (const r of await q.execute()) out.set(r.customer_id, tierFromRow(r));
      return out;
    },
    async saveTiers(rows, now) {
      if (rows.length === 0) return;
      await writeTransaction(store, async (tx) => {
        for (const { customerId, record, transitions } of rows) {
          const s = record.state;
          const values = {
            tier_id: s.tierId,
            since: s.since,
            score: record.score,
            demotion_to: s.demotion?.toTierId ?? null,
            demotion_at: s.demotion?.effectiveAt ?? null,
            notice_at: s.demotion?.noticeAt ?? null,
            reminded: s.reminded ? 1 : 0,
            evaluated_at: record.evaluatedAt,
          };
          await tx
            .insertInto('loyalty_tiers')
            .values({ customer_id: customerId, ...values })
            .onConflict((oc) => oc.column('customer_id').doUpdateSet(values))
            .execute();
          for (const t of transitions) {
            const from = 'from' in t ? t.from : 'tierId' in t ? t.tierId : null;
            const to = 'to' in t ? t.to : null;
            const effectiveAt = 'effectiveAt' in t ? t.effectiveAt : null;
            await tx
              .insertInto('loyalty_tier_history')
              .values({
                id: `${customerId}:${t.type}:${t.at}:${to ?? ''}`,
                customer_id: customerId,
                type: t.type,
                from_tier: from,
                to_tier: to,
                at: t.at,
                effective_at: effectiveAt,
                score: record.score,
                created_at: now,
              })
              .onConflict((oc) => oc.column('id').doNothing())
              .execute();
          }
        }
      });
    },
    async tierCounts() {
      const rows = await db
        .selectFrom('loyalty_tiers')
        .select((eb) => ['tier_id', eb.fn.countAll<number>().as('n')])
        .groupBy('tier_id')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.tier_id, Number(r.n)]));
    },
    async challenges(customerId, status) {
      let q = db.selectFrom('loyalty_challenges').selectAll();
      if (customerId !== null) q = q.where('customer_id', '=', customerId);
      if (status) q = q.where('status', '=', status);
      return (await q.orderBy('customer_id').orderBy('starts_at').orderBy('kind').execute()).map(
        challengeFromRow,
      );
    },
    async insertChallenges(rows, now) {
      if (rows.length === 0) return 0;
      return writeTransaction(store, async (tx) => {
        let n = 0;
        for (const c of rows) {
          const r = await tx
            .insertInto('loyalty_challenges')
            .values({
              id: c.id,
              customer_id: c.customerId,
              kind: c.kind,
              period_key: c.periodKey,
              category: c.category,
              title: c.title,
              target: c.target,
              baseline: c.baseline,
              stretch: c.stretch,
              progress: c.progress,
              reward_points: c.rewardPoints,
              starts_at: c.startsAt,
              ends_at: c.endsAt,
              status: c.status,
              completed_at: c.completedAt,
              reward_entry_id: c.rewardEntryId,
              created_at: now,
              updated_at: now,
            })
            .onConflict((oc) => oc.doNothing())
            .executeTakeFirst();
          n += Number(r.numInsertedOrUpdatedRows ?? 0);
        }
        return n;
      });
    },
    async updateChallenges(rows, now) {
      if (rows.length === 0) return;
      await writeTransaction(store, async (tx) => {
        for (const r of rows) {
          await tx
            .updateTable('loyalty_challenges')
            .set({
              progress: r.progress,
              status: r.status,
              completed_at: r.completedAt,
              ...(r.rewardEntryId !== null ? { reward_entry_id: r.rewardEntryId } : {}),
              updated_at: now,
            })
            .where('id', '=', r.id)
            // A completed challenge stays completed (a later refund does not take the reward back).
            .where((eb) => eb.or([eb('status', '=', 'active'), eb('status', '=', r.status)]))
            .execute();
        }
      });
    },
    async calibration() {
      const rows = await db.selectFrom('loyalty_challenge_calibration').selectAll().execute();
      const stretch: Record<keyof Calibration, number> = { ...DEFAULT_CALIBRATION };
      let through = null as string | null;
      for (const r of rows) {
        if (r.kind === 'spend_stretch' || r.kind === 'category_quantity') stretch[r.kind] = Number(r.stretch);
        through = through === null || r.through < through ? r.through : through;
      }
      return { stretch, through };
    },
    async saveCalibration(kind, stretch, offered, completed, through, now) {
      const values = { stretch, offered, completed, through, updated_at: now };
      await db
        .insertInto('loyalty_challenge_calibration')
        .values({ kind, ...values })
        .onConflict((oc) => oc.column('kind').doUpdateSet(values))
        .execute();
    },
    async endedChallenges(kind, after, until) {
      let q = db
        .selectFrom('loyalty_challenges')
        .select((eb) => [
          eb.fn.countAll<number>().as('offered'),
          eb.fn.sum<number>(sql<number>`case when status = 'completed' then 1 else 0 end`).as('completed'),
        ])
        .where('kind', '=', kind)
        .where('ends_at', '<=', until)
        .where('status', '!=', 'active');
      if (after !== null) q = q.where('ends_at', '>', after);
      const r = await q.executeTakeFirst();
      return { offered: Number(r?.offered ?? 0), completed: Number(r?.completed ?? 0) };
    },
    rewards: () =>
      cached(
        () => c.rewards,
        (v) => (c.rewards = v),
        SETTINGS_TTL_MS,
        readRewards,
      ),
    async reward(id) {
      const r = await db.selectFrom('loyalty_rewards').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? rewardFromRow(r) : null;
    },
    async saveReward(r, now) {
      const values = {
        name: r.name,
        benefit: JSON.stringify(r.benefit),
        cost_points: r.costPoints,
        stock: r.stock,
        stock_left: r.stockLeft,
        eligible_tiers: r.eligibleTiers === null ? null : JSON.stringify(r.eligibleTiers),
        active: r.active ? 1 : 0,
        updated_at: now,
      };
      await db
        .insertInto('loyalty_rewards')
        .values({ id: r.id, ...values, created_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
      c.rewards = null;
    },
    redemptionCounts: (tierId) =>
      cached(
        () => c.counts.get(tierId ?? ''),
        (v) => (v ? c.counts.set(tierId ?? '', v) : c.counts.delete(tierId ?? '')),
        COUNTS_TTL_MS,
        () => readRedemptionCounts(tierId),
      ),
    async redeemedTypes(customerId) {
      const rows = await db
        .selectFrom('loyalty_reward_codes as c')
        .innerJoin('loyalty_rewards as r', 'r.id', 'c.reward_id')
        .select(['r.benefit'])
        .where('c.customer_id', '=', customerId)
        .execute();
      const out: Partial<Record<RewardType, number>> = {};
      for (const r of rows) {
        const t = (JSON.parse(r.benefit) as { type: RewardType }).type;
        out[t] = (out[t] ?? 0) + 1;
      }
      return out;
    },
    async referralCode(customerId) {
      return (
        (
          await db
            .selectFrom('loyalty_referral_codes')
            .select('code')
            .where('customer_id', '=', customerId)
            .executeTakeFirst()
        )?.code ?? null
      );
    },
    async saveReferralCode(customerId, code, now) {
      await db
        .insertInto('loyalty_referral_codes')
        .values({ code, customer_id: customerId, created_at: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const stored = await db
        .selectFrom('loyalty_referral_codes')
        .select('code')
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      if (!stored) throw new Error(`referral code ${code} collided with another member's; try again`);
      return stored.code;
    },
    async referralCodeOwner(code) {
      return (
        (
          await db
            .selectFrom('loyalty_referral_codes')
            .select('customer_id')
            .where('code', '=', code)
            .executeTakeFirst()
        )?.customer_id ?? null
      );
    },
    async referrals(filter) {
      let q = db.selectFrom('loyalty_referrals').selectAll();
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.referrerId) q = q.where('referrer_id', '=', filter.referrerId);
      return (await q.orderBy('referred_at').orderBy('id').execute()).map(referralFromRow);
    },
    async insertReferral(r, now) {
      const res = await db
        .insertInto('loyalty_referrals')
        .values({
          id: r.id,
          referrer_id: r.referrerId,
          referee_id: r.refereeId,
          code: r.code,
          referred_at: r.referredAt,
          decision: r.decision,
          flags: JSON.stringify(r.flags),
          status: r.status,
          first_order_id: r.firstOrderId,
          due_at: r.dueAt,
          rewarded_at: r.rewardedAt,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async updateReferral(r, now) {
      await db
        .updateTable('loyalty_referrals')
        .set({
          status: r.status,
          first_order_id: r.firstOrderId,
          due_at: r.dueAt,
          rewarded_at: r.rewardedAt,
          updated_at: now,
        })
        .where('id', '=', r.id)
        .where('status', '!=', 'rewarded')
        .execute();
    },
    async party(customerId) {
      const [c, ids, orders] = await Promise.all([
        db
          .selectFrom('customers')
          .select(['email', 'traits'])
          .where('id', '=', customerId)
          .executeTakeFirst(),
        db.selectFrom('identities').select(['kind', 'value']).where('customer_id', '=', customerId).execute(),
        db
          .selectFrom('events')
          .select('payload')
          .where('customer_id', '=', customerId)
          .where('name', '=', 'Order Completed')
          .limit(50)
          .execute(),
      ]);
      const emails = new Set<string>();
      if (c?.email) emails.add(c.email);
      for (const i of ids) if (i.kind === 'email') emails.add(i.value);
      const addresses = new Set<string>();
      const fingerprints = new Set<string>();
      const addAddress = (a: unknown) => {
        if (typeof a === 'string' && a.trim() !== '') addresses.add(a);
        else if (a && typeof a === 'object') {
          const o = a as Record<string, unknown>;
          const text = [
            'street',
            'address1',
            'address2',
            'city',
            'postalCode',
            'postal_code',
            'zip',
            'country',
          ]
            .map((k) => o[k])
            .filter((v) => typeof v === 'string' && v !== '')
            .join(' ');
          if (text) addresses.add(text);
        }
      };
      if (c?.traits) addAddress((JSON.parse(c.traits) as { address?: unknown }).address);
      for (const o of orders) {
        const p = (JSON.parse(o.payload) as { properties?: Record<string, unknown> }).properties ?? {};
        addAddress(p.shipping_address);
        addAddress(p.billing_address);
        const fp = p.payment_fingerprint ?? (p.payment as Record<string, unknown> | undefined)?.fingerprint;
        if (typeof fp === 'string' && fp !== '') fingerprints.add(fp);
      }
      return {
        customerId,
        emails: [...emails],
        addresses: [...addresses],
        paymentFingerprints: [...fingerprints],
      };
    },
    async firstOrder(customerId) {
      const r = await sql<{ order_id: string; placed_at: string; gross: number; refunded: number | null }>`
        select o.order_id, o.placed_at, o.base_total_minor as gross,
               (select sum(u.base_amount_minor) from order_updates u where u.order_id = o.order_id and u.kind = 'refunded') as refunded
        from orders o
        where o.customer_id = ${customerId}
          and not exists (select 1 from order_updates u where u.order_id = o.order_id and u.kind = 'cancelled')
        order by o.placed_at, o.order_id limit 1`.execute(db);
      const o = r.rows[0];
      if (!o) return null;
      const gross = Number(o.gross);
      return {
        orderId: o.order_id,
        at: o.placed_at,
        grossMinor: gross,
        netMinor: Math.max(0, gross - Number(o.refunded ?? 0)),
      };
    },
    customerIdFor: (idOrUserId) => resolveCustomerId(db, idOrUserId),
    async cycleOrders(customerId, since) {
      return loadCycleOrders(db, customerId, since);
    },
    async saveFlag(f, now) {
      const r = await db
        .insertInto('loyalty_flags')
        .values({
          id: f.id,
          customer_id: f.customerId,
          kind: f.kind,
          detail: JSON.stringify(f.detail),
          status: 'open',
          created_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async flags(customerId) {
      let q = db.selectFrom('loyalty_flags').selectAll();
      if (customerId !== null) q = q.where('customer_id', '=', customerId);
      return (await q.orderBy('created_at').execute()).map((r) => ({
        id: r.id,
        customerId: r.customer_id,
        kind: r.kind,
        detail: JSON.parse(r.detail) as unknown,
        status: r.status,
        createdAt: r.created_at,
      }));
    },
  };
}

/**
 * Orders with refunds since `since`, per customer, with the points each earned. Points come from the
 * ledger's earn entries when the ledger holds any for the order; otherwise the order is taken to
 * have earned at the default rate of one point per currency unit of its gross amount.
 */
async function loadCycleOrders(
  db: Kysely<Database>,
  customerId: string | null,
  since: string,
): Promise<Map<string, CycleOrder[]>> {
  const who = customerId === null ? sql`1 = 1` : sql`o.customer_id = ${customerId}`;
  const rows = await sql<{
    customer_id: string;
    order_id: string;
    placed_at: string;
    gross: number;
    refunded: number | null;
    refunded_at: string | null;
  }>`
    select o.customer_id, o.order_id, o.placed_at, o.base_total_minor as gross, r.refunded, r.refunded_at
    from orders o
    left join (select order_id, sum(base_amount_minor) as refunded, max(at) as refunded_at from order_updates
               where kind = 'refunded' and order_id is not null group by order_id) r on r.order_id = o.order_id
    where ${who} and o.placed_at >= ${since}
      and o.customer_id in (select u.customer_id from order_updates u where u.kind = 'refunded' and u.at >= ${since})
    order by o.customer_id, o.placed_at`.execute(db);
  const out = new Map<string, CycleOrder[]>();
  for (const r of rows.rows) {
    const list = out.get(r.customer_id) ?? [];
    out.set(r.customer_id, list);
    list.push({
      orderId: r.order_id,
      at: r.placed_at,
      grossMinor: Number(r.gross),
      refundedMinor: Number(r.refunded ?? 0),
      refundedAt: r.refunded_at,
      pointsEarned: Math.floor(Number(r.gross) / 100),
    });
  }
  return out;
}
