import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../../test/support/databases.js';
import { createApiKey } from '../../app/api-keys.js';
import { decideCustomers } from '../../app/decide.js';
import { ingestBatch } from '../../app/ingest-events.js';
import { defaultDecisioningConfig } from '../../domain/decisioning/plan.js';
import { apiKeyStore } from '../../store/api-key-repository.js';
import { decisionIdOf, decisionRepository } from '../../store/decision-repository.js';
import { loadDecisionStates } from '../../app/decision-states.js';
import { eventStore } from '../../store/event-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { createApp } from '../app.js';

const NOW = new Date('2025-03-05T12:00:00Z');

describe.each(DATABASES)('decision routes on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let key: string;
  let customerId: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    key = (
      await createApiKey(apiKeyStore(t.store), { name: 'r', scopes: ['read'], now: '2025-01-01T00:00:00Z' })
    ).secret;
    const events = [
      {
        type: 'identify',
        messageId: 'i1',
        userId: 'u_1',
        timestamp: '2025-01-02T10:00:00Z',
        traits: { email: 'a@example.com' },
        context: { timezone: 'Europe/London' },
      },
      {
        type: 'track',
        event: 'Consent Updated',
        messageId: 'c1',
        userId: 'u_1',
        timestamp: '2025-01-02T10:01:00Z',
        properties: { channel: 'email', purpose: 'marketing', granted: true },
      },
      {
        type: 'track',
        event: 'Order Completed',
        messageId: 'o1',
        userId: 'u_1',
        timestamp: '2025-01-05T12:00:00Z',
        properties: { order_id: 'ord_1', total: 80, currency: 'USD' },
      },
    ];
    const r = await ingestBatch(eventStore(t.store), events, {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: '2025-03-01T00:00:00Z',
    });
    expect(r.ok).toBe(true);
    customerId = (
      await t.store.db
        .selectFrom('identities')
        .select('customer_id')
        .where('key', '=', 'user:u_1')
        .executeTakeFirstOrThrow()
    ).customer_id;
    await t.store.db
      .insertInto('churn_scores')
      .values({
        customer_id: customerId,
        model_version: 'm',
        scored_at: '2025-03-05T00:00:00.000Z',
        as_of: '2025-03-04',
        probability: 0.8,
        driver: 'service',
        reasons: '[{"text":"a slow ticket"}]',
      })
      .execute();
    await t.store.db
      .insertInto('clv_scores')
      .values({
        customer_id: customerId,
        as_of: '2025-03-04',
        scored_at: '2025-03-05T00:00:00.000Z',
        model_version: 'c',
        params: '{}',
        currency: 'USD',
        probability_alive: 0.5,
        expected_purchases_30d: 0,
        expected_purchases_90d: 1,
        expected_purchases_365d: 2,
        probability_no_purchase_90d: 0.5,
        expected_next_order_on: null,
        expected_order_value_minor: 8000,
        horizon_days: 365,
        clv_minor: 40_000,
        learned_expected_purchases: null,
        learned_clv_minor: null,
      })
      .execute();
    await decideCustomers(
      {
        loadStates: (o) => loadDecisionStates(t.store, o),
        decisions: decisionRepository(t.store),
        isInGlobalControl: () => false,
        config: defaultDecisioningConfig,
      },
      { now: NOW, decisionIdOf },
    );
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys: apiKeyStore(t.store),
      now: () => NOW,
      maxBodyBytes: 10_000,
      log: () => {},
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  const get = (path: string) => app.request(path, { headers: { authorization: `Bearer ${key}` } });

  it('lists a customer’s decisions with inputs, candidates, scores and reason (by userId)', async () => {
    const res = await get('/v1/customers/u_1/decisions');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { customerId: string; decisions: Array<Record<string, unknown>> };
    expect(body.customerId).toBe(customerId);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      chosenAction: 'churn_save_service',
      status: 'task',
      trigger: { type: 'churn_risk_crossed' },
    });
    expect((body.decisions[0]!.candidates as unknown[]).length).toBeGreaterThan(3);
  });

  it('lists the open tasks for people with their reasons', async () => {
    const body = (await (await get('/v1/tasks?status=open')).json()) as {
      tasks: Array<{ reasons: string[]; customerId: string }>;
    };
    expect(body.tasks).toHaveLength(1);
    expect(body.tasks[0]!.reasons).toContain('a slow ticket');
  });

  it('answers the next best action', async () => {
    const res = await get(`/v1/customers/${customerId}/next-best-action`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ customerId, asOf: NOW.toISOString() });
  });

  it('refuses a bad limit naming the field, and answers 404 for an unknown customer', async () => {
    const bad = await get('/v1/customers/u_1/decisions?limit=0');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/limit/);
    expect((await get('/v1/customers/nobody/decisions')).status).toBe(404);
    expect((await get('/v1/customers/nobody/next-best-action')).status).toBe(404);
    expect((await app.request('/v1/tasks')).status).toBe(401);
  });
});
