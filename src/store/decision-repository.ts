/**
 * Decisions, human tasks, observed outcomes (the posteriors' counts) and the signals last seen.
 * A decision is unique per customer and triggering fact, and its message per idempotency key, so
 * running a decision pass twice stores (and enqueues) nothing twice.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DecisionRepository } from '../app/decide.js';
import type { Channel, ConsentPurpose, ScheduledMessage } from '../domain/decisioning/guardrails.js';
import { posteriorKey } from '../domain/decisioning/policy.js';
import {
  applyDecisioningSettings,
  decisioningSettingsSchema,
  type DecisioningSettings,
} from '../domain/decisioning/config.js';
import { defaultDecisioningConfig, type DecisioningConfig } from '../domain/decisioning/plan.js';
import type { DecisionOutcomesTable, Store } from './database.js';
import { chunks, insertMany, writeTransaction, type Tx } from './transaction.js';
import { fieldIssues } from '../domain/field-issues.js';

export const decisionIdOf = (customerId: string, triggerKey: string): string =>
  `dec_${createHash('sha256').update(`${customerId}\u0000${triggerKey}`).digest('hex').slice(0, 24)}`;

const ACTIVE = ['queued', 'deferred', 'task'];

function only(ids: readonly string[] | undefined) {
  return ids === undefined ? sql<boolean>`1 = 1` : sql<boolean>`customer_id in (${sql.join(ids)})`;
}

export function decisionRepository(store: Store): DecisionRepository<Tx> {
  const db = store.db;
  return {
    async scheduled(now, since, customerIds) {
      const out = new Map<string, ScheduledMessage[]>();
      if (customerIds?.length === 0) return out;
      const rows = await db
        .selectFrom('decisions')
        .select([
          'customer_id',
          'idempotency_key',
          'channel',
          'purpose',
          'consent_purpose',
          'value',
          'send_at',
        ])
        .where('status', 'in', ['queued', 'deferred'])
        .where('send_at', '>=', since)
        .where(only(customerIds))
        .execute();
      for (const r of rows) {
        if (r.idempotency_key === null || r.send_at === null || r.channel === null) continue;
        const list = out.get(r.customer_id) ?? [];
        list.push({
          key: r.idempotency_key,
          channel: r.channel as Channel,
          purpose: r.purpose ?? '',
          consentPurpose: (r.consent_purpose ?? 'marketing') as ConsentPurpose,
          value: Number(r.value),
          sendAt: Date.parse(r.send_at),
          status: r.send_at <= now ? 'sent' : 'queued',
        });
        out.set(r.customer_id, list);
      }
      return out;
    },
    async decidedKeys(customerIds) {
      const out = new Map<string, Set<string>>();
      if (customerIds?.length === 0) return out;
      const rows = await db
        .selectFrom('decisions')
        .select(['customer_id', 'trigger_key'])
        .where(only(customerIds))
        .execute();
      for (const r of rows) {
        let s = out.get(r.customer_id);
        if (!s) out.set(r.customer_id, (s = new Set()));
        s.add(r.trigger_key);
      }
      return out;
    },
    async outcomes() {
      const rows = await db.selectFrom('decision_outcomes').selectAll().execute();
      return new Map(
        rows.map((r) => [
          posteriorKey(r.action_id, r.segment),
          { trials: Number(r.trials), responses: Number(r.responses) },
        ]),
      );
    },
    async incentiveReserved(since) {
      const r = await db
        .selectFrom('decisions')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('incentive_minor'), sql<number>`0`).as('total'))
        .where('decided_at', '>=', since)
        .where('status', 'in', ACTIVE)
        .executeTakeFirstOrThrow();
      return Number(r.total);
    },
    async save(write, withinTransaction) {
      return writeTransaction(store, async (tx) => {
        const insertedIds = new Set(
          await insertMany(tx, store.dialect, 'decisions', write.decisions, {
            ignoreConflictOn: ['customer_id', 'trigger_key'],
            returnKey: 'id',
          }),
        );
        const inserted = write.decisions.filter((d) => insertedIds.has(d.id));
        const tasks = write.tasks.filter((t) => insertedIds.has(t.decision_id));
        await insertMany(tx, store.dialect, 'human_tasks', tasks, { ignoreConflictOn: ['decision_id'] });
        for (const d of write.displaced) {
          await tx
            .updateTable('decisions')
            .set(
              d.sendAt === null
                ? { status: 'displaced', reason: sql<string>`reason || ${`; displaced by ${d.by}`}` }
                : {
                    status: 'deferred',
                    send_at: d.sendAt,
                    reason: sql<string>`reason || ${`; deferred: displaced by ${d.by}`}`,
                  },
            )
            .where('idempotency_key', '=', d.idempotencyKey)
            .where('status', 'in', ['queued', 'deferred'])
            .execute();
        }
        for (const part of chunks(write.signals, 500)) {
          if (part.length === 0) continue;
          await tx
            .insertInto('decision_signals')
            .values(part)
            .onConflict((oc) =>
              oc.column('customer_id').doUpdateSet((eb) => ({
                churn_probability: eb.ref('excluded.churn_probability'),
                segment: eb.ref('excluded.segment'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
        if (withinTransaction) await withinTransaction(tx, inserted);
        return inserted.length;
      });
    },
    async list(customerId, limit) {
      return db
        .selectFrom('decisions')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('decided_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute();
    },
    async tasks({ status, limit }) {
      let q = db.selectFrom('human_tasks').selectAll();
      if (status !== undefined) q = q.where('status', '=', status);
      return q
        .orderBy('value_at_stake_minor', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },
    async awaitingOutcome(sentBefore) {
      return db
        .selectFrom('decisions')
        .selectAll()
        .where('status', 'in', ACTIVE)
        .where('chosen_action', 'is not', null)
        .where('responded', 'is', null)
        .where('send_at', '<=', sentBefore)
        .execute();
    },
    async recordOutcomes(rows, now) {
      if (rows.length === 0) return;
      await writeTransaction(store, async (tx) => {
        const counts = new Map<string, DecisionOutcomesTable>();
        for (const { decision, responded } of rows) {
          const res = await tx
            .updateTable('decisions')
            .set({ responded: responded ? 1 : 0, outcome_at: now })
            .where('id', '=', decision.id)
            .where('responded', 'is', null)
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) === 0) continue;
          const key = posteriorKey(decision.chosen_action!, decision.segment);
          const c = counts.get(key) ?? {
            action_id: decision.chosen_action!,
            segment: decision.segment,
            trials: 0,
            responses: 0,
            updated_at: now,
          };
          c.trials++;
          if (responded) c.responses++;
          counts.set(key, c);
        }
        for (const c of counts.values()) {
          await tx
            .insertInto('decision_outcomes')
            .values(c)
            .onConflict((oc) =>
              oc.columns(['action_id', 'segment']).doUpdateSet((eb) => ({
                trials: sql<number>`${eb.ref('decision_outcomes.trials')} + ${c.trials}`,
                responses: sql<number>`${eb.ref('decision_outcomes.responses')} + ${c.responses}`,
                updated_at: now,
              })),
            )
            .execute();
        }
      });
    },
    async ordersSince(customerIds, since) {
      const out = new Map<string, number[]>();
      for (const part of chunks(customerIds, 500)) {
        const rows = await db
          .selectFrom('orders')
          .select(['customer_id', 'placed_at'])
          .where('customer_id', 'in', part)
          .where('placed_at', '>', since)
          .execute();
        for (const r of rows)
          out.set(r.customer_id, [...(out.get(r.customer_id) ?? []), Date.parse(r.placed_at)]);
      }
      return out;
    },
  };
}

/** The store's decisioning configuration: the defaults with its `decisioning` setting applied. */
export async function loadDecisioningConfig(store: Store): Promise<DecisioningConfig> {
  const settings = await loadDecisioningSettings(store);
  return Object.keys(settings).length === 0 ? defaultDecisioningConfig : applyDecisioningSettings(settings);
}

/** The store's stored `decisioning` overrides (an empty object when there are none). */
export async function loadDecisioningSettings(store: Store): Promise<DecisioningSettings> {
  const row = await store.db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'decisioning')
    .executeTakeFirst();
  return row ? decisioningSettingsSchema.parse(JSON.parse(row.value)) : {};
}

export class InvalidDecisioningSettingsError extends Error {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(
      `invalid decisioning settings: ${issues.map((i) => `${i.path || '(settings)'}: ${i.message}`).join('; ')}`,
    );
  }
}

/**
 * Validates and stores the `decisioning` overrides, replacing the previous ones whole (a bad
 * field is refused with its path and reason, and nothing is stored).
 */
export async function saveDecisioningSettings(
  store: Store,
  input: unknown,
  now: Date,
): Promise<DecisioningSettings> {
  const parsed = decisioningSettingsSchema.safeParse(input);
  if (!parsed.success) throw new InvalidDecisioningSettingsError(fieldIssues(parsed.error));
  const value = JSON.stringify(parsed.data);
  const at = now.toISOString();
  await store.db
    .insertInto('settings')
    .values({ key: 'decisioning', value, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at }))
    .execute();
  return parsed.data;
}
