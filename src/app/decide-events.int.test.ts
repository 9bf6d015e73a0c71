import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { defaultDecisioningConfig } from '../domain/decisioning/plan.js';
import { recentDecisionEvents } from '../store/decision-event-repository.js';
import { decisionIdOf, decisionRepository } from '../store/decision-repository.js';
import { loadDecisionStates } from './decision-states.js';
import { eventStore } from '../store/event-repository.js';
import type { Tx } from '../store/transaction.js';
import type { DecideDeps } from './decide.js';
import { decideOnRecentEvents } from './decide-events.js';
import { outboxWiring } from './decide-outbox.js';
import { ingestBatch } from './ingest-events.js';

const NOW = new Date('2025-03-05T12:00:00Z');
const currency = { baseCurrency: 'USD', rates: {} };

const track = (u: string, id: string, event: string, at: string, properties: Record<string, unknown>) => ({
  type: 'track',
  event,
  messageId: id,
  userId: u,
  timestamp: at,
  properties,
});

describe.each(DATABASES)('decisions on recent events on %s', (dialect) => {
  let t: TestDatabase;
  let deps: DecideDeps<Tx>;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const events: unknown[] = [];
    for (const u of ['u_new', 'u_late', 'u_old']) {
      events.push(
        {
          type: 'identify',
          messageId: `id-${u}`,
          userId: u,
          timestamp: '2024-01-02T10:00:00Z',
          traits: { email: `${u}@example.com` },
          context: { timezone: 'Europe/London' },
        },
        track(u, `c-${u}`, 'Consent Updated', '2024-01-02T10:01:00Z', {
          channel: 'email',
          purpose: 'transactional',
          granted: true,
        }),
      );
    }
    // u_new ordered an hour ago; u_late's order of last week arrived late this morning; u_old's
    // order and delivery are last year's history (imported): nothing to act on.
    events.push(
      track('u_new', 'o-new', 'Order Completed', '2025-03-05T11:00:00Z', { order_id: 'ord_new', total: 40 }),
      track('u_late', 'o-late', 'Order Completed', '2025-02-26T09:00:00Z', {
        order_id: 'ord_late',
        total: 55,
      }),
      track('u_late', 'd-late', 'Order Delivered', '2025-03-05T08:00:00Z', {
        order_id: 'ord_late',
        delivered_on_time: false,
      }),
      track('u_old', 'o-old', 'Order Completed', '2024-03-01T09:00:00Z', { order_id: 'ord_old', total: 70 }),
      track('u_old', 'd-old', 'Order Delivered', '2024-03-04T09:00:00Z', {
        order_id: 'ord_old',
        delivered_on_time: false,
      }),
    );
    const r = await ingestBatch(eventStore(t.store), events, { currency, receivedAt: NOW.toISOString() });
    expect(r.ok).toBe(true);
    for (const row of await t.store.db
      .selectFrom('identities')
      .select(['value', 'customer_id'])
      .where('kind', '=', 'user')
      .execute())
      ids.set(row.value, row.customer_id);
    const wiring = await outboxWiring(t.store, defaultDecisioningConfig, {
      now: NOW,
      globalControlFraction: 0,
      journeyHoldout: 0,
    });
    deps = {
      loadStates: (o) => loadDecisionStates(t.store, o),
      decisions: decisionRepository(t.store),
      config: defaultDecisioningConfig,
      ...wiring,
    };
  });
  afterAll(async () => t?.drop());

  const run = (now = NOW) =>
    decideOnRecentEvents(deps.decisions, async () => deps, recentDecisionEvents(t.store), {
      now,
      lookbackHours: 48,
      decisionIdOf,
    });

  it('confirms the new order and apologises for the late delivery, and leaves history alone', async () => {
    const s = await run();
    expect(s).toMatchObject({ events: 2, alreadyDecided: 0 });
    const rows = await t.store.db
      .selectFrom('decisions')
      .select(['customer_id', 'trigger_type', 'trigger_key', 'chosen_action', 'status'])
      .orderBy('trigger_key')
      .execute();
    const of = (u: string) => rows.filter((r) => r.customer_id === ids.get(u));
    // Its first order also starts the onboarding series — marketing, which u_new never consented to.
    expect(of('u_new')).toEqual([
      expect.objectContaining({
        trigger_key: 'first:ord_new',
        chosen_action: 'onboarding_series',
        status: 'skipped',
      }),
      expect.objectContaining({
        trigger_key: 'order:ord_new',
        chosen_action: 'order_confirmation',
        status: 'queued',
      }),
    ]);
    expect(
      of('u_late')
        .map((r) => r.trigger_type)
        .sort(),
    ).toEqual(['order_delivered', 'order_delivered_late']);
    expect(of('u_late').find((r) => r.trigger_type === 'order_delivered_late')).toMatchObject({
      chosen_action: 'delay_notice',
    });
    expect(of('u_old')).toEqual([]);
    const outbox = await t.store.db
      .selectFrom('outbox_messages')
      .select(['customer_id', 'idempotency_key'])
      .execute();
    expect(outbox.map((m) => m.customer_id).sort()).toEqual([ids.get('u_late'), ids.get('u_new')].sort());
  });

  it('acts on nothing twice: a rerun, and two runs at once, find every event acted on', async () => {
    const before = await t.store.db.selectFrom('outbox_messages').select('id').execute();
    const again = await run(new Date(NOW.getTime() + 60_000));
    expect(again).toMatchObject({ events: 2, alreadyDecided: 2, decisions: 0, messages: 0 });
    await Promise.all([run(new Date(NOW.getTime() + 120_000)), run(new Date(NOW.getTime() + 120_000))]);
    const after = await t.store.db.selectFrom('outbox_messages').select('id').execute();
    expect(after.length).toBe(before.length);
  });

  it('lets an event pass out of the lookback without acting on it later', async () => {
    const later = await run(new Date('2025-03-09T12:00:00Z'));
    expect(later.events).toBe(0);
  });
});
