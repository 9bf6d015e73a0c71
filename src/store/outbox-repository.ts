/**
 * The outbox as the sender worker sees it: claim due messages under a lease, and record each
 * outcome with its attempt in one transaction. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so
 * concurrent workers take disjoint batches without waiting on each other; SQLite has one writer at
 * a time, so its `UPDATE … RETURNING` claim is atomic by itself and the lease keeps other
 * processes off the claimed rows.
 */
import { sql, type Selectable } from 'kysely';
import type { ClaimedMessage, OutboxWorkerStore, AttemptRecord } from '../app/send-messages.js';
import { toOutboxMessage } from '../app/outbox.js';
import type { OutboxMessagesTable, Store } from './database.js';
import type { Tx } from './transaction.js';

/** The consent channel a message channel is governed by (the demo's file channel stands in for email). */
export function consentChannelOf(channel: string): string {
  return channel === 'console' ? 'email' : channel;
}

export function outboxWorkerStore(store: Store): OutboxWorkerStore {
  const db = store.db;

  async function claimRows(worker: string, limit: number, now: string, leaseUntil: string) {
    if (store.dialect === 'postgres') {
      const r = await sql<Selectable<OutboxMessagesTable>>`
        with due as (
          select id from outbox_messages
          where status = 'queued' and next_attempt_at <= ${now}
            and (lease_until is null or lease_until <= ${now})
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        )
        update outbox_messages as m
        set lease_owner = ${worker}, lease_until = ${leaseUntil}, attempts = m.attempts + 1, updated_at = ${now}
        from due where m.id = due.id
        returning m.*`.execute(db);
      return r.rows;
    }
    const r = await sql<Selectable<OutboxMessagesTable>>`
      update outbox_messages
      set lease_owner = ${worker}, lease_until = ${leaseUntil}, attempts = attempts + 1, updated_at = ${now}
      where id in (
        select id from outbox_messages
        where status = 'queued' and next_attempt_at <= ${now}
          and (lease_until is null or lease_until <= ${now})
        order by next_attempt_at
        limit ${limit}
      )
      returning *`.execute(db);
    return r.rows;
  }

  async function insertAttempt(tx: Tx, a: AttemptRecord): Promise<void> {
    await tx
      .insertInto('outbox_attempts')
      .values({
        message_id: a.messageId,
        attempt: a.attempt,
        worker: a.worker,
        started_at: a.startedAt,
        finished_at: a.finishedAt,
        outcome: a.outcome,
        error: a.error,
      })
      .onConflict((oc) => oc.columns(['message_id', 'attempt']).doNothing())
      .execute();
  }

  return {
    async claim(worker, limit, now, leaseUntil) {
      const rows = await claimRows(worker, limit, now, leaseUntil);
      if (rows.length === 0) return [];
      rows.sort((a, b) =>
        a.next_attempt_at < b.next_attempt_at ? -1 : a.next_attempt_at > b.next_attempt_at ? 1 : 0,
      );
      const ids = [...new Set(rows.map((r) => r.customer_id))];
      const [customers, consents] = await Promise.all([
        db.selectFrom('customers').select(['id', 'email', 'phone']).where('id', 'in', ids).execute(),
        db
          .selectFrom('consents')
          .select(['customer_id', 'channel', 'purpose'])
          .where('customer_id', 'in', ids)
          .where('granted', '=', 0)
          .execute(),
      ]);
      const byId = new Map(customers.map((c) => [c.id, c]));
      const withdrawn = new Set(consents.map((c) => `${c.customer_id}|${c.channel}|${c.purpose}`));
      return rows.map((r): ClaimedMessage => {
        const c = byId.get(r.customer_id);
        return {
          ...toOutboxMessage(r),
          email: c?.email ?? null,
          phone: c?.phone ?? null,
          consentWithdrawn: withdrawn.has(`${r.customer_id}|${consentChannelOf(r.channel)}|${r.purpose}`),
        };
      });
    },

    async markSent(m, providerId, attempt) {
      await db.transaction().execute(async (tx) => {
        // Sent is the truth once the channel acknowledged it, whoever holds the lease now.
        await tx
          .updateTable('outbox_messages')
          .set({
            status: 'sent',
            sent_at: attempt.finishedAt,
            provider_message_id: providerId,
            lease_owner: null,
            lease_until: null,
            last_error: null,
            updated_at: attempt.finishedAt,
          })
          .where('id', '=', m.id)
          .where('status', '=', 'queued')
          .execute();
        await insertAttempt(tx, attempt);
      });
    },

    async markRetry(m, nextAttemptAt, attempt) {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('outbox_messages')
          .set({
            next_attempt_at: nextAttemptAt,
            lease_owner: null,
            lease_until: null,
            last_error: attempt.error,
            updated_at: attempt.finishedAt,
          })
          .where('id', '=', m.id)
          .where('status', '=', 'queued')
          .where('lease_owner', '=', attempt.worker)
          .execute();
        await insertAttempt(tx, attempt);
      });
    },

    async markFinal(m, status, reason, attempt) {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('outbox_messages')
          .set({
            status,
            status_reason: reason,
            lease_owner: null,
            lease_until: null,
            last_error: status === 'dead' ? attempt.error : null,
            updated_at: attempt.finishedAt,
          })
          .where('id', '=', m.id)
          .where('status', '=', 'queued')
          .where('lease_owner', '=', attempt.worker)
          .execute();
        await insertAttempt(tx, attempt);
      });
    },
  };
}

/** Counts of messages by status (for `patron send` and the bench). */
export async function outboxCounts(store: Store): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom('outbox_messages')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
