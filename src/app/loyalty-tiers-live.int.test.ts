import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { runLoyalty } from '../cli/commands/loyalty.js';
import { eventStore } from '../store/event-repository.js';
import { loyaltyEventSource } from '../store/loyalty-events-repository.js';
import { programmeHooks, tierOf } from '../store/loyalty-programme-ledger.js';
import { programmeStore } from '../store/loyalty-programme-repository.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import { ingestBatch } from './ingest-events.js';
import { processLoyaltyEvents } from './loyalty-events.js';
import { evaluateTiers, type ProgrammeStore } from './loyalty-programme.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;

const order = (userId: string, orderId: string, at: string, price: number) => ({
  type: 'track',
  event: 'Order Completed',
  userId,
  messageId: `m-${orderId}`,
  timestamp: at,
  properties: {
    order_id: orderId,
    total: price,
    currency: 'USD',
    products: [{ product_id: `${orderId}-p`, sku: 'S', price, quantity: 1 }],
  },
});

describe.each(DATABASES)('tiers re-evaluated by the event run on %s', (dialect) => {
  let t: TestDatabase;
  const ingest = async (events: unknown[]) => {
    const r = await ingestBatch(eventStore(t.store), events, {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: NOW.toISOString(),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  };
  const id = async (userId: string) => (await loyaltyStore(t.store).customerIdFor(userId)) as string;
  const tierRow = async (customerId: string) =>
    t.store.db
      .selectFrom('loyalty_tiers')
      .selectAll()
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
  const history = async (customerId: string) =>
    t.store.db
      .selectFrom('loyalty_tier_history')
      .select(['type', 'from_tier', 'to_tier', 'effective_at'])
      .where('customer_id', '=', customerId)
      .orderBy('type')
      .execute();

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  }, 60_000);
  afterAll(async () => t?.drop());

  it('upgrades a member whose order crosses a threshold in the same run, and touches no one else', async () => {
    // u_other's order is turned into points by a run without the programme's hooks: no tier yet.
    await ingest([order('u_other', 'x1', '2026-05-20T10:00:00.000Z', 700)]);
    await processLoyaltyEvents(loyaltyStore(t.store), loyaltyEventSource(t.store), ledgerIds, {
      now: () => NOW,
    });
    await ingest([order('u_up', 'o1', '2026-05-30T10:00:00.000Z', 300)]);
    const run = await runLoyalty(t.store, { quiet: true, now: NOW, hooks: programmeHooks(t.store) });
    expect(run.tiersEvaluated).toBe(1);
    const up = await id('u_up');
    // Default tiers: Silver from 250; $300 of spend scores 300.
    expect(await tierRow(up)).toMatchObject({ tier_id: 'silver', score: 300, demotion_to: null });
    expect(await history(up)).toEqual([
      { type: 'TierUpgraded', from_tier: 'member', to_tier: 'silver', effective_at: null },
    ]);
    // Only the members the run's events touched were evaluated (u_other would qualify for Gold).
    expect(await tierRow(await id('u_other'))).toBeUndefined();
  });

  it('schedules the soft-landing demotion when a refund drops the member below the threshold', async () => {
    await ingest([
      {
        type: 'track',
        event: 'Order Refunded',
        userId: 'u_up',
        messageId: 'refund-o1',
        timestamp: '2026-05-31T10:00:00.000Z',
        properties: { order_id: 'o1', total: 300, currency: 'USD' },
      },
    ]);
    const run = await runLoyalty(t.store, { quiet: true, now: NOW, hooks: programmeHooks(t.store) });
    expect(run.tiersEvaluated).toBe(1);
    const up = await id('u_up');
    const effectiveAt = new Date(NOW.getTime() + 60 * DAY).toISOString();
    // Still Silver through the 60-day grace, then Member.
    expect(await tierRow(up)).toMatchObject({
      tier_id: 'silver',
      score: 0,
      demotion_to: 'member',
      demotion_at: effectiveAt,
    });
    expect((await history(up)).map((h) => [h.type, h.to_tier, h.effective_at])).toEqual([
      ['DemotionScheduled', 'member', effectiveAt],
      ['TierUpgraded', 'silver', null],
    ]);
    // Running again (no new events, then the same members by hand) records nothing more.
    expect(
      (await runLoyalty(t.store, { quiet: true, now: NOW, hooks: programmeHooks(t.store) })).tiersEvaluated,
    ).toBe(0);
    await evaluateTiers(programmeStore(t.store), { customerIds: [up, up], now: NOW.toISOString() });
    expect(await history(up)).toHaveLength(2);
  });

  it('reads the facts of the touched members as one group, not one customer or everyone at a time', async () => {
    await ingest([
      order('u_g1', 'g1', '2026-05-29T10:00:00.000Z', 30),
      order('u_g2', 'g2', '2026-05-29T11:00:00.000Z', 260),
      {
        type: 'track',
        event: 'Product Reviewed',
        userId: 'u_g3',
        messageId: 'rev-g3',
        timestamp: '2026-05-29T12:00:00.000Z',
        properties: { product_id: 'p', review_id: 'r-g3', rating: 4, review_body: 'Fine.' },
      },
      // A completed profile earns points but changes no tier.
      {
        type: 'identify',
        userId: 'u_g4',
        messageId: 'id-g4',
        timestamp: '2026-05-29T12:00:00.000Z',
        traits: { email: 'g4@example.com', first_name: 'G', last_name: 'Four', phone: '+15555550100' },
      },
    ]);
    const ps = programmeStore(t.store);
    const reads: Array<readonly string[] | string | null> = [];
    const spied: ProgrammeStore = {
      ...ps,
      facts: (who, since) => {
        reads.push(who);
        return ps.facts(who, since);
      },
    };
    const r = await processLoyaltyEvents(loyaltyStore(t.store), loyaltyEventSource(t.store), ledgerIds, {
      now: () => NOW,
      hooks: {
        tierOf: tierOf(t.store),
        membersTouched: async (customerIds, now) => {
          await evaluateTiers(spied, { customerIds, now });
        },
      },
    });
    const [g1, g2, g3] = [await id('u_g1'), await id('u_g2'), await id('u_g3')];
    expect(r.membersTouched).toBe(3);
    expect(reads).toHaveLength(1);
    expect([...(reads[0] as string[])].sort()).toEqual([g1, g2, g3].sort());
    expect((await tierRow(g2))?.tier_id).toBe('silver');
    expect(await tierRow(g1)).toMatchObject({ tier_id: 'member', score: 30 });
    expect(await tierRow(g3)).toMatchObject({ tier_id: 'member', score: 20 });
    expect(await tierRow(await id('u_g4'))).toBeUndefined();
  });
});
