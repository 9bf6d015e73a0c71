import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { ingestBatch } from '../app/ingest-events.js';
import { evaluateTriggers } from '../domain/decisioning/triggers.js';
import { defaultDecisioningConfig } from '../domain/decisioning/plan.js';
import { loadDecisionStates } from '../app/decision-states.js';
import { eventStore } from './event-repository.js';

const NOW = '2025-03-05T12:00:00.000Z';

describe.each(DATABASES)('decisioning signals from their producers on %s', (dialect) => {
  let t: TestDatabase;
  let id = '';
  let bare = '';

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const r = await ingestBatch(
      eventStore(t.store),
      ['u_1', 'u_bare'].map((u) => ({
        type: 'identify',
        messageId: `id-${u}`,
        userId: u,
        timestamp: '2025-01-02T10:00:00Z',
        traits: { email: `${u}@example.com` },
      })),
      { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: NOW },
    );
    expect(r.ok).toBe(true);
    const rows = await t.store.db
      .selectFrom('identities')
      .select(['value', 'customer_id'])
      .where('kind', '=', 'user')
      .execute();
    id = rows.find((x) => x.value === 'u_1')!.customer_id;
    bare = rows.find((x) => x.value === 'u_bare')!.customer_id;
    const db = t.store.db;
    await db
      .insertInto('customer_segments')
      .values({
        customer_id: id,
        run_id: 'run_1',
        last_order_at: '2025-01-10T00:00:00.000Z',
        frequency: 4,
        monetary_minor: 40_000,
        recency_days: 54,
        r: 2,
        f: 4,
        m: 4,
        segment: 'At Risk',
        cluster: null,
        evaluated_at: NOW,
        updated_at: NOW,
      })
      .execute();
    await db
      .insertInto('decision_signals')
      .values({
        customer_id: id,
        churn_probability: 0.3,
        segment: 'Loyal',
        updated_at: '2025-03-04T00:00:00.000Z',
      })
      .execute();
    // Silver (250) on the way to Gold (600): 530 is 80 % of the way.
    await db
      .insertInto('loyalty_tiers')
      .values({
        customer_id: id,
        tier_id: 'silver',
        since: '2025-01-01T00:00:00.000Z',
        score: 530,
        demotion_to: null,
        demotion_at: null,
        notice_at: null,
        reminded: 0,
        evaluated_at: NOW,
      })
      .execute();
    const challenge = (cid: string, ends: string, status = 'active') => ({
      id: cid,
      customer_id: id,
      kind: 'spend_stretch',
      period_key: cid,
      category: null,
      title: 'Spend $60 this month',
      target: 6000,
      baseline: 5000,
      stretch: 1.2,
      progress: 4500,
      reward_points: 150,
      starts_at: '2025-03-01T00:00:00.000Z',
      ends_at: ends,
      status,
      completed_at: null,
      reward_entry_id: null,
      created_at: NOW,
      updated_at: NOW,
    });
    await db
      .insertInto('loyalty_challenges')
      .values([
        challenge('chl_later', '2025-03-31T00:00:00.000Z'),
        challenge('chl_soon', '2025-03-07T00:00:00.000Z'),
        challenge('chl_done', '2025-03-06T00:00:00.000Z', 'completed'),
      ])
      .execute();
    const refill = (product: string, runOut: string) => ({
      customer_id: id,
      product_id: product,
      last_purchased_on: '2025-02-01',
      last_quantity: 1,
      interval_days: 30,
      run_out_on: runOut,
    });
    await db
      .insertInto('customer_replenishment')
      .values([
        refill('beans_long_gone', '2024-12-01'),
        refill('beans', '2025-03-08'),
        refill('tea', '2025-04-01'),
      ])
      .execute();
    await db
      .insertInto('customer_advocacy')
      .values({
        customer_id: id,
        computed_at: NOW,
        score: 86,
        components: '{}',
        reasons: '[]',
        signals: '{}',
      })
      .execute();
  });
  afterAll(async () => t?.drop());

  it('loads each signal as its producer stored it', async () => {
    const [s] = await loadDecisionStates(t.store, { customerIds: [id], asOf: NOW });
    expect(s).toMatchObject({
      segment: { current: 'At Risk', previous: 'Loyal' },
      tier: { current: 'silver', next: 'gold' },
      challengeExpiring: { id: 'chl_soon', expiresAt: Date.parse('2025-03-07T00:00:00.000Z'), amount: 1500 },
      replenishment: { productId: 'beans', dueAt: Date.parse('2025-03-08T00:00:00.000Z') },
      advocacy: 0.86,
    });
    expect(s!.tier!.progress).toBeCloseTo((530 - 250) / (600 - 250), 12);
    const [b] = await loadDecisionStates(t.store, { customerIds: [bare], asOf: NOW });
    expect(b).toMatchObject({
      segment: null,
      tier: null,
      challengeExpiring: null,
      replenishment: null,
      advocacy: null,
    });
  });

  it('fires the triggers that were waiting for these signals', async () => {
    const [s] = await loadDecisionStates(t.store, { customerIds: [id], asOf: NOW });
    const fired = evaluateTriggers(
      s!,
      { type: 'Rescored', at: Date.parse(NOW) },
      Date.parse(NOW),
      defaultDecisioningConfig.triggers,
    )
      .map((x) => x.type)
      .sort();
    expect(fired).toEqual(
      expect.arrayContaining([
        'advocate_identified',
        'challenge_expiring',
        'replenishment_due',
        'segment_transition',
        'tier_almost_reached',
      ]),
    );
  });
});
