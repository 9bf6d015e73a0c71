import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { defaultDecisioningConfig } from '../domain/decisioning/plan.js';
import { decisionIdOf, decisionRepository } from '../store/decision-repository.js';
import { loadDecisionStates } from './decision-states.js';
import { eventStore } from '../store/event-repository.js';
import {
  decideCustomers,
  nextBestAction,
  recordDecisionOutcomes,
  type DecideDeps,
  type OutgoingMessage,
} from './decide.js';
import { ingestBatch } from './ingest-events.js';
import { outboxWiring } from './decide-outbox.js';
import type { Tx } from '../store/transaction.js';

const NOW = new Date('2025-03-05T12:00:00Z');
const currency = { baseCurrency: 'USD', rates: {} };

const identify = (u: string, tz: string) => ({
  type: 'identify',
  messageId: `id-${u}`,
  userId: u,
  timestamp: '2025-01-02T10:00:00Z',
  traits: { email: `${u}@example.com` },
  context: { timezone: tz },
});
const consent = (u: string, purpose: string, granted: boolean) => ({
  type: 'track',
  event: 'Consent Updated',
  messageId: `c-${u}-${purpose}`,
  userId: u,
  timestamp: '2025-01-02T10:01:00Z',
  properties: { channel: 'email', purpose, granted },
});
const order = (u: string, n: number, at: string) => ({
  type: 'track',
  event: 'Order Completed',
  messageId: `o-${u}-${n}`,
  userId: u,
  timestamp: at,
  properties: { order_id: `ord_${u}_${n}`, total: 60, currency: 'USD' },
});

describe.each(DATABASES)('decide on %s', (dialect) => {
  let t: TestDatabase;
  const ids = new Map<string, string>();
  const enqueued: OutgoingMessage[] = [];
  let deps: DecideDeps<Tx>;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const events = [];
    for (const [u, tz, marketing] of [
      ['u_price', 'Europe/London', true],
      ['u_noconsent', 'America/New_York', false],
      ['u_service', 'Europe/Berlin', true],
      ['u_control', 'Europe/Paris', true],
    ] as const) {
      events.push(identify(u, tz), consent(u, 'transactional', true), consent(u, 'marketing', marketing));
      events.push(order(u, 1, '2025-01-05T12:00:00Z'), order(u, 2, '2025-02-01T12:00:00Z'));
    }
    const r = await ingestBatch(eventStore(t.store), events, {
      currency,
      receivedAt: '2025-03-01T00:00:00Z',
    });
    expect(r.ok).toBe(true);
    for (const row of await t.store.db
      .selectFrom('identities')
      .select(['value', 'customer_id'])
      .where('kind', '=', 'user')
      .execute()) {
      ids.set(row.value, row.customer_id);
    }
    const driver = {
      u_price: 'price',
      u_noconsent: 'price',
      u_service: 'service',
      u_control: 'disengagement',
    } as const;
    for (const [u, id] of ids) {
      await t.store.db
        .insertInto('churn_scores')
        .values({
          customer_id: id,
          model_version: 'chm_test',
          scored_at: '2025-03-05T00:00:00.000Z',
          as_of: '2025-03-04',
          probability: 0.7,
          driver: driver[u as keyof typeof driver],
          reasons: JSON.stringify([
            { feature: 'f', family: 'x', value: 1, contribution: 0.5, text: 'visits fell by half' },
          ]),
        })
        .execute();
      await t.store.db
        .insertInto('clv_scores')
        .values({
          customer_id: id,
          as_of: '2025-03-04',
          scored_at: '2025-03-05T00:00:00.000Z',
          model_version: 'clv_test',
          params: '{}',
          currency: 'USD',
          probability_alive: 0.6,
          expected_purchases_30d: 0.5,
          expected_purchases_90d: 1,
          expected_purchases_365d: 3,
          probability_no_purchase_90d: 0.4,
          expected_next_order_on: null,
          expected_order_value_minor: 6000,
          horizon_days: 365,
          clv_minor: u === 'u_service' ? 60_000 : 20_000,
          learned_expected_purchases: null,
          learned_clv_minor: null,
        })
        .execute();
    }
    deps = {
      loadStates: (o) => loadDecisionStates(t.store, o),
      decisions: decisionRepository(t.store),
      isInGlobalControl: (id) => id === ids.get('u_control'),
      // win-back as soon as the risk is ≥ 0.9 (the default also waits 120 days without an order)
      config: {
        ...defaultDecisioningConfig,
        triggers: { ...defaultDecisioningConfig.triggers, churnedAfterDays: 0 },
      },
    };
    const wiring = await outboxWiring(t.store, defaultDecisioningConfig, {
      now: NOW,
      globalControlFraction: 0,
      journeyHoldout: 0,
    });
    deps = {
      ...deps,
      outbox: {
        enqueue: async (tx, messages, now) => {
          enqueued.push(...messages);
          await wiring.outbox!.enqueue(tx, messages, now);
        },
        move: wiring.outbox!.move,
      },
    };
  });
  afterAll(async () => {
    await t.drop();
  });

  const decisionsOf = (u: string) =>
    t.store.db.selectFrom('decisions').selectAll().where('customer_id', '=', ids.get(u)!).execute();

  it('decides after a rescore: a driver-matched save, a recorded consent skip, a human task, no marketing to control', async () => {
    const summary = await decideCustomers(deps, { now: NOW, decisionIdOf });
    expect(summary.customers).toBe(4);
    const price = await decisionsOf('u_price');
    expect(price).toHaveLength(1);
    expect(price[0]).toMatchObject({ trigger_type: 'churn_risk_crossed', status: 'queued' });
    expect(price[0]!.chosen_action).toMatch(/^churn_save_price_/);
    expect(JSON.parse(price[0]!.candidates).length).toBeGreaterThan(4);
    expect(JSON.parse(price[0]!.inputs)).toMatchObject({ churn: { probability: 0.7, driver: 'price' } });

    const skipped = await decisionsOf('u_noconsent');
    expect(skipped[0]).toMatchObject({ status: 'skipped' });
    expect(JSON.parse(skipped[0]!.guardrail!)).toMatchObject({ reason: 'no_consent' });

    const control = await decisionsOf('u_control');
    expect(JSON.parse(control[0]!.guardrail!)).toMatchObject({ reason: 'global_control' });

    const service = await decisionsOf('u_service');
    expect(service[0]).toMatchObject({ chosen_action: 'churn_save_service', status: 'task' });
    const tasks = await deps.decisions.tasks({ status: 'open', limit: 10 });
    expect(tasks).toHaveLength(1);
    expect(JSON.parse(tasks[0]!.reasons)).toContain('visits fell by half');

    expect(enqueued.map((m) => m.customerId)).toEqual([ids.get('u_price')]);
    const outbox = await t.store.db.selectFrom('outbox_messages').selectAll().execute();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({
      customer_id: ids.get('u_price'),
      template_id: 'churn_save_price',
      decision_id: price[0]!.id,
      status: 'queued',
    });
    expect(price[0]!.message_id).toBe(outbox[0]!.id);
    expect(enqueued[0]!.idempotencyKey).toBe(
      `${ids.get('u_price')}:${price[0]!.chosen_action}:risk:ord_u_price_2:price`,
    );
  });

  it('decides nothing twice when the pass runs again', async () => {
    const again = await decideCustomers(deps, { now: new Date(NOW.getTime() + 3_600_000), decisionIdOf });
    expect(again.stored).toBe(0);
    expect(enqueued).toHaveLength(1);
    expect(await t.store.db.selectFrom('outbox_messages').select('id').execute()).toHaveLength(1);
  });

  it('holds a journey’s control arm out and records the exposures of both arms', async () => {
    const held = await outboxWiring(t.store, defaultDecisioningConfig, {
      now: NOW,
      globalControlFraction: 0,
      journeyHoldout: 1,
    });
    const id = ids.get('u_price')!;
    const d = {
      ...deps,
      holdouts: {
        armOf: (p: string, c: string) =>
          p === 'win_back'
            ? { experimentId: 'exp_test_win_back', variant: 'control' }
            : held.holdouts!.armOf(p, c),
        expose: held.holdouts!.expose,
      },
    };
    await t.store.db
      .updateTable('churn_scores')
      .set({ probability: 0.95 })
      .where('customer_id', '=', id)
      .execute();
    await decideCustomers(d, {
      now: new Date(NOW.getTime() + 2 * 3_600_000),
      decisionIdOf,
      customerIds: [id],
    });
    await t.store.db
      .updateTable('churn_scores')
      .set({ probability: 0.7 })
      .where('customer_id', '=', id)
      .execute();
    const winBack = (await decisionsOf('u_price')).find((x) => x.trigger_type === 'churned')!;
    expect(winBack).toMatchObject({ chosen_action: 'win_back', status: 'held_out', message_id: null });
    const exposures = await t.store.db
      .selectFrom('experiment_exposures')
      .selectAll()
      .where('customer_id', '=', id)
      .execute();
    expect(exposures.map((e) => [e.experiment_id, e.variant]).sort()).toEqual([
      ['exp_global_control', 'treatment'],
      ['exp_test_win_back', 'control'],
    ]);
    expect(await t.store.db.selectFrom('outbox_messages').select('id').execute()).toHaveLength(1);
  });

  it('learns from the outcome: a purchase within the window counts as a response', async () => {
    const r = await ingestBatch(eventStore(t.store), [order('u_price', 3, '2025-03-12T12:00:00Z')], {
      currency,
      receivedAt: '2025-03-12T13:00:00Z',
    });
    expect(r.ok).toBe(true);
    const result = await recordDecisionOutcomes(deps, {
      now: new Date('2025-04-05T00:00:00Z'),
      windowDays: 28,
    });
    expect(result).toEqual({ observed: 2, responded: 1 }); // the message and the service task
    const outcomes = await deps.decisions.outcomes();
    const price = (await decisionsOf('u_price'))[0]!;
    expect(outcomes.get(`${price.chosen_action}|${price.segment}`)).toEqual({ trials: 1, responses: 1 });
    expect(
      await recordDecisionOutcomes(deps, { now: new Date('2025-04-06T00:00:00Z'), windowDays: 28 }),
    ).toEqual({ observed: 0, responded: 0 });
  });

  it('answers the next best action live without storing it', async () => {
    const id = ids.get('u_price')!;
    const before = (await t.store.db.selectFrom('decisions').select('id').execute()).length;
    // the save decided earlier is still this spell's action, already on its way
    const onItsWay = await nextBestAction(deps, id, NOW);
    expect(onItsWay).toMatchObject({ alreadyDecided: true, trigger: { type: 'churn_risk_crossed' } });
    expect(onItsWay!.action).toMatch(/^churn_save_price_/);
    await t.store.db
      .updateTable('churn_scores')
      .set({ probability: 0.95 })
      .where('customer_id', '=', id)
      .execute();
    const nba = await nextBestAction(deps, id, NOW);
    expect(nba).toMatchObject({ action: 'win_back', trigger: { type: 'churned' }, alreadyDecided: true });
    expect(nba!.expectedValue).toBeGreaterThan(0);
    expect((await t.store.db.selectFrom('decisions').select('id').execute()).length).toBe(before);
    expect(await nextBestAction(deps, 'cus_missing', NOW)).toBeNull();
  });
});
