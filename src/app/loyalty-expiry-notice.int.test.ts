import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { defaultDecisioningConfig } from '../domain/decisioning/plan.js';
import { DEFAULT_PROGRAMME_CONFIG } from '../domain/loyalty/config.js';
import { decisionIdOf, decisionRepository } from '../store/decision-repository.js';
import { loadDecisionStates } from './decision-states.js';
import { eventStore } from '../store/event-repository.js';
import { loyaltyEventSource } from '../store/loyalty-events-repository.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import type { Tx } from '../store/transaction.js';
import { decideCustomers, type DecideDeps } from './decide.js';
import { ingestBatch } from './ingest-events.js';
import { processLoyaltyEvents } from './loyalty-events.js';
import { runLedgerJobs } from './loyalty-ledger.js';

// Points available at once, lots live 40 days, members are told 14 days ahead (programme in UTC).
const config = {
  ...DEFAULT_PROGRAMME_CONFIG,
  returnWindowDays: 0,
  lotLifetimeDays: 40,
  expiryNoticeDays: 14,
};
const NOW = '2025-02-02T12:00:00.000Z';

const order = (n: number, at: string) => ({
  type: 'track',
  event: 'Order Completed',
  userId: 'u_exp',
  messageId: `o-${n}`,
  timestamp: at,
  properties: { order_id: `ord_${n}`, total: 60, currency: 'USD' },
});

describe.each(DATABASES)('points about to expire reach the decision pass on %s', (dialect) => {
  let t: TestDatabase;
  let customerId: string;
  let deps: DecideDeps<Tx>;
  const state = async (asOf: string) =>
    (await loadDecisionStates(t.store, { customerIds: [customerId], asOf }))[0]!.pointsExpiring;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const ledger = loyaltyStore(t.store);
    await ledger.activateConfig({ config, now: '2020-01-01T00:00:00.000Z', by: 'test' });
    const r = await ingestBatch(
      eventStore(t.store),
      [
        {
          type: 'identify',
          userId: 'u_exp',
          messageId: 'id-exp',
          timestamp: '2024-12-01T10:00:00Z',
          traits: { email: 'exp@example.com' },
        },
        {
          type: 'track',
          event: 'Consent Updated',
          userId: 'u_exp',
          messageId: 'c-exp',
          timestamp: '2024-12-01T10:01:00Z',
          properties: { channel: 'email', purpose: 'marketing', granted: true },
        },
        // 60 points + the 100-point first-order bonus expire at the start of 11 February;
        // the second order's 60 points at the start of 15 February.
        order(1, '2025-01-01T10:00:00.000Z'),
        order(2, '2025-01-05T10:00:00.000Z'),
      ],
      { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: '2025-01-05T11:00:00.000Z' },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    await processLoyaltyEvents(ledger, loyaltyEventSource(t.store), ledgerIds, {
      now: () => new Date('2025-01-05T12:00:00.000Z'),
    });
    customerId = (await ledger.customerIdFor('u_exp')) as string;
    await t.store.db
      .insertInto('clv_scores')
      .values({
        customer_id: customerId,
        as_of: '2025-02-01',
        scored_at: '2025-02-01T00:00:00.000Z',
        model_version: 'clv_test',
        params: '{}',
        currency: 'USD',
        probability_alive: 0.8,
        expected_purchases_30d: 0.5,
        expected_purchases_90d: 1,
        expected_purchases_365d: 3,
        probability_no_purchase_90d: 0.3,
        expected_next_order_on: null,
        expected_order_value_minor: 6000,
        horizon_days: 365,
        clv_minor: 30_000,
        learned_expected_purchases: null,
        learned_clv_minor: null,
      })
      .execute();
    deps = {
      loadStates: (o) => loadDecisionStates(t.store, o),
      decisions: decisionRepository(t.store),
      isInGlobalControl: () => false,
      config: defaultDecisioningConfig,
    };
  }, 60_000);
  afterAll(async () => t?.drop());

  it('has no expiring points in the state until the ledger jobs record the notice', async () => {
    expect(await state(NOW)).toBeNull();
    const jobs = await runLedgerJobs(loyaltyStore(t.store), ledgerIds, NOW);
    expect(jobs.notices).toBe(3);
    expect(await state(NOW)).toEqual({
      id: expect.stringMatching(/.+/),
      expiresAt: Date.parse('2025-02-11T00:00:00.000Z'),
      amount: 160,
    });
  });

  it('fires “points about to expire” in a decision pass with the points and the date, once', async () => {
    const summary = await decideCustomers(deps, { now: new Date(NOW), decisionIdOf });
    expect(summary.customers).toBe(1);
    const rows = await t.store.db
      .selectFrom('decisions')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('trigger_type', '=', 'points_expiring')
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.trigger)).toMatchObject({
      type: 'points_expiring',
      facts: { points: 160, expiresOn: '2025-02-11' },
    });
    expect(rows[0]).toMatchObject({ chosen_action: 'points_expiry_reminder', status: 'queued' });
    const again = await decideCustomers(deps, { now: new Date(Date.parse(NOW) + 3_600_000), decisionIdOf });
    expect(again.stored).toBe(0);
  });

  it('moves on to the next expiry once the first lots have expired', async () => {
    const later = '2025-02-12T12:00:00.000Z';
    expect((await runLedgerJobs(loyaltyStore(t.store), ledgerIds, later)).expired).toBe(2);
    expect(await state(later)).toMatchObject({
      expiresAt: Date.parse('2025-02-15T00:00:00.000Z'),
      amount: 60,
    });
  });
});
