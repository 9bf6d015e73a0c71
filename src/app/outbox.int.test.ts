import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { isInGlobalControl } from '../domain/experiments/assignment.js';
import { writeTransaction } from '../store/transaction.js';
import {
  cancelMessage,
  customerMessages,
  deferMessage,
  enqueueMessage,
  InvalidMessageError,
  messageIdempotencyKey,
  type EnqueueMessageInput,
} from './outbox.js';

const now = new Date('2026-03-02T10:00:00.000Z');
// A customer outside the global control group (the hash decides; find one deterministically).
const customer = Array.from({ length: 100 }, (_, i) => `cus_t${i}`).find(
  (c) => !isInGlobalControl(c),
) as string;
const controlCustomer = Array.from({ length: 1000 }, (_, i) => `cus_g${i}`).find((c) =>
  isInGlobalControl(c),
) as string;

const message = (over: Partial<EnqueueMessageInput> = {}): EnqueueMessageInput => ({
  idempotencyKey: messageIdempotencyKey(customer, 'cross_sell', 'evt_1'),
  customerId: customer,
  channel: 'email',
  purpose: 'marketing',
  actionId: 'cross_sell',
  templateId: 'cross_sell',
  variables: { firstName: 'Ada', recommendations: [{ name: 'Tea', reason: 'bought with your kettle' }] },
  notBefore: '2026-03-02T11:00:00+01:00',
  valueMinor: 420,
  ...over,
});

describe.each(DATABASES)('the outbox on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('stores a message once per idempotency key, however often it is enqueued', async () => {
    const first = await enqueueMessage(t.store.db, message(), now);
    expect(first.type).toBe('enqueued');
    const again = await enqueueMessage(t.store.db, message({ valueMinor: 999 }), now);
    expect(again).toEqual({
      type: 'duplicate',
      messageId: (first as { messageId: string }).messageId,
      status: 'queued',
    });
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => enqueueMessage(t.store.db, message({ idempotencyKey: 'race-1' }), now)),
    );
    expect(racing.filter((r) => r.type === 'enqueued')).toHaveLength(1);
    const stored = await customerMessages(t.store.db, customer);
    expect(stored.map((m) => m.idempotencyKey).sort()).toEqual([message().idempotencyKey, 'race-1'].sort());
    expect(stored[0]?.notBefore).toBe('2026-03-02T10:00:00.000Z');
    expect(stored[0]?.valueMinor).toBe(420);
  });

  it('refuses bad input naming the field, and stores nothing of the transaction', async () => {
    await expect(
      writeTransaction(t.store, async (tx) => {
        await enqueueMessage(tx, message({ idempotencyKey: 'ok-in-tx' }), now);
        await enqueueMessage(
          tx,
          message({ idempotencyKey: 'bad', channel: 'fax' as 'email', notBefore: 'tomorrow' }),
          now,
        );
      }),
    ).rejects.toThrow(InvalidMessageError);
    try {
      await enqueueMessage(t.store.db, message({ templateId: 'nope' as 'cross_sell', valueMinor: 1.5 }), now);
    } catch (e) {
      expect((e as InvalidMessageError).issues.map((i) => i.path).sort()).toEqual([
        'templateId',
        'valueMinor',
      ]);
    }
    const keys = (await customerMessages(t.store.db, customer)).map((m) => m.idempotencyKey);
    expect(keys).not.toContain('ok-in-tx');
  });

  it('holds marketing back from the global control group but not transactional messages', async () => {
    const m = message({ customerId: controlCustomer, idempotencyKey: 'gc-1' });
    expect(await enqueueMessage(t.store.db, m, now)).toEqual({ type: 'held_out', reason: 'global_control' });
    const tx = await enqueueMessage(
      t.store.db,
      { ...m, purpose: 'transactional', templateId: 'order_confirmation' },
      now,
    );
    expect(tx.type).toBe('enqueued');
  });

  it('cancels or defers a queued message but never a sent one', async () => {
    const r = await enqueueMessage(t.store.db, message({ idempotencyKey: 'cancel-me' }), now);
    const id = (r as { messageId: string }).messageId;
    expect(await deferMessage(t.store.db, id, '2026-03-03T08:00:00Z', now)).toBe(true);
    expect(
      (await customerMessages(t.store.db, customer, { status: 'queued' })).find((m) => m.id === id)
        ?.nextAttemptAt,
    ).toBe('2026-03-03T08:00:00.000Z');
    expect(await cancelMessage(t.store.db, id, 'displaced by a higher-value message', now)).toBe(true);
    expect(await cancelMessage(t.store.db, id, 'again', now)).toBe(false);
    await t.store.db
      .updateTable('outbox_messages')
      .set({ status: 'sent' })
      .where('idempotency_key', '=', 'race-1')
      .execute();
    const sent = (await customerMessages(t.store.db, customer)).find((m) => m.idempotencyKey === 'race-1');
    expect(await cancelMessage(t.store.db, sent?.id as string, 'late', now)).toBe(false);
  });
});
