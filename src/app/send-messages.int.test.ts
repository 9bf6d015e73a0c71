import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.js';
import { emailChannel } from '../channels/email.js';
import { fileChannel } from '../channels/file.js';
import { verifyWebhook, webhookChannel } from '../channels/webhook.js';
import { loadRenderer } from '../channels/templates/render.js';
import { isInGlobalControl } from '../domain/experiments/assignment.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { openStore } from '../store/database.js';
import { eventStore } from '../store/event-repository.js';
import { outboxWorkerStore } from '../store/outbox-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { signingSecret } from '../store/signing-secret.js';
import { createApp } from '../server/app.js';
import { ingestBatch } from './ingest-events.js';
import { enqueueMessage, findMessage, stableMessageId, type EnqueueMessageInput } from './outbox.js';
import {
  runSender,
  sendDueMessages,
  SenderConfigError,
  type Renderer,
  type SenderDeps,
} from './send-messages.js';
import { unsubscribeLink } from './unsubscribe.js';

const T0 = new Date('2026-03-02T10:00:00.000Z');

/** Customers u0…u(n-1) with emails, none in the global control group (so marketing goes out). */
async function seedCustomers(t: TestDatabase, n: number): Promise<string[]> {
  const users: string[] = [];
  for (let i = 0; users.length < n; i++) users.push(`u${i}`);
  const r = await ingestBatch(
    eventStore(t.store),
    users.map((u) => ({
      type: 'identify',
      userId: u,
      messageId: `id-${u}`,
      traits: { email: `${u}@example.com`, phone: '+15550001111' },
    })),
    { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: T0.toISOString() },
  );
  expect(r.ok).toBe(true);
  const rows = await t.store.db
    .selectFrom('customers')
    .select(['id', 'user_id'])
    .where('merged_into', 'is', null)
    .execute();
  const ids = users.map((u) => rows.find((row) => row.user_id === u)?.id as string);
  return ids.filter((id) => !isInGlobalControl(id));
}

const msg = (
  customerId: string,
  key: string,
  over: Partial<EnqueueMessageInput> = {},
): EnqueueMessageInput => ({
  idempotencyKey: key,
  customerId,
  channel: 'email',
  purpose: 'marketing',
  actionId: 'cross_sell',
  templateId: 'cross_sell',
  variables: { firstName: 'Ada', recommendations: [{ name: 'Filters', reason: 'you bought the kettle' }] },
  notBefore: T0.toISOString(),
  valueMinor: 100,
  ...over,
});

describe.each(DATABASES)('the sender worker on %s', (dialect) => {
  let t: TestDatabase;
  let smtp: SmtpSink;
  let renderer: Renderer;
  let customers: string[];
  let clock = T0.getTime();
  const now = () => new Date(clock);

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    smtp = await startSmtpSink();
    renderer = await loadRenderer({ storeName: 'Brewline', storeUrl: 'https://shop.example' });
    customers = await seedCustomers(t, 40);
  });
  afterAll(async () => {
    await smtp.close();
    await t.drop();
  });

  const deps = (channels: SenderDeps['channels']): SenderDeps => ({
    outbox: outboxWorkerStore(t.store),
    channels,
    renderer,
  });
  const fast = {
    sendTimeoutMs: 2000,
    leaseMs: 60_000,
    now,
    retry: { baseMs: 1000, capMs: 4000, maxAttempts: 3 },
    random: () => 0.5,
  };

  it('sends every due message once over SMTP with the stable Message-ID, and nothing before its time', async () => {
    const email = emailChannel({ url: smtp.url, from: 'Brewline <hi@shop.example>' });
    for (const [i, c] of customers.slice(0, 20).entries())
      await enqueueMessage(t.store.db, msg(c, `send-${i}`), now());
    await enqueueMessage(
      t.store.db,
      msg(customers[0] as string, 'later', { notBefore: '2026-03-02T12:00:00Z' }),
      now(),
    );
    const before = smtp.received.length;
    const s = await runSender(deps({ email }), { ...fast, untilEmpty: true, batchSize: 8, concurrency: 4 });
    await email.close?.();
    expect(s).toMatchObject({ claimed: 20, sent: 20 });
    const got = smtp.received.slice(before);
    expect(new Set(got.map((m) => m.messageId))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => stableMessageId(`send-${i}`))),
    );
    expect(got[0]?.raw).toMatch(/Subject: Picked for you, Ada/);
    expect(got[0]?.raw).not.toMatch(/List-Unsubscribe/); // no link configured
    const later = await t.store.db
      .selectFrom('outbox_messages')
      .select(['status'])
      .where('idempotency_key', '=', 'later')
      .executeTakeFirstOrThrow();
    expect(later.status).toBe('queued');
    const attempts = await t.store.db.selectFrom('outbox_attempts').select(['outcome']).execute();
    expect(attempts.filter((a) => a.outcome === 'sent')).toHaveLength(20);
  });

  it('retries a temporary failure with backoff and dead-letters after the last attempt; a permanent one at once', async () => {
    const email = emailChannel({ url: smtp.url, from: 'hi@shop.example' });
    const [a, b] = [customers[30] as string, customers[31] as string];
    const addr = async (id: string) =>
      (
        await t.store.db
          .selectFrom('customers')
          .select('email')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).email as string;
    smtp.reject(await addr(a), 451);
    smtp.reject(await addr(b), 550);
    const ra = await enqueueMessage(t.store.db, msg(a, 'temp-fail'), now());
    const rb = await enqueueMessage(t.store.db, msg(b, 'perm-fail'), now());
    clock = T0.getTime() + 3 * 3_600_000; // past the "later" message too
    await sendDueMessages(deps({ email }), fast);
    const idA = (ra as { messageId: string }).messageId;
    let ma = await findMessage(t.store.db, idA);
    expect(ma).toMatchObject({ status: 'queued', attempts: 1 });
    expect(ma?.lastError).toMatch(/451/);
    expect(Date.parse(ma!.nextAttemptAt) - clock).toBe(750); // half of 1 s + 0.5 × half
    expect(await findMessage(t.store.db, (rb as { messageId: string }).messageId)).toMatchObject({
      status: 'dead',
      attempts: 1,
    });
    // Not due yet: nothing claimed. Then due: attempt 2, then 3 → dead.
    expect((await sendDueMessages(deps({ email }), fast)).claimed).toBe(0);
    clock += 1000;
    await sendDueMessages(deps({ email }), fast);
    clock += 5000;
    await sendDueMessages(deps({ email }), fast);
    ma = await findMessage(t.store.db, idA);
    expect(ma).toMatchObject({ status: 'dead', attempts: 3 });
    expect(ma?.statusReason).toMatch(/gave up after 3 attempts/);
    const rows = await t.store.db
      .selectFrom('outbox_attempts')
      .select(['attempt', 'outcome'])
      .where('message_id', '=', idA)
      .orderBy('attempt')
      .execute();
    expect(rows).toEqual([
      { attempt: 1, outcome: 'retry' },
      { attempt: 2, outcome: 'retry' },
      { attempt: 3, outcome: 'dead' },
    ]);
    await email.close?.();
  });

  it('takes over the messages of a worker whose lease expired', async () => {
    const c = customers[5] as string;
    await enqueueMessage(t.store.db, msg(c, 'orphan'), now());
    const store = outboxWorkerStore(t.store);
    const leaseUntil = new Date(clock + 10_000).toISOString();
    expect(
      (await store.claim('dead-worker', 10, now().toISOString(), leaseUntil)).map((m) => m.idempotencyKey),
    ).toEqual(['orphan']);
    expect((await store.claim('other', 10, now().toISOString(), leaseUntil)).length).toBe(0);
    clock += 10_001;
    const email = emailChannel({ url: smtp.url, from: 'hi@shop.example' });
    const s = await sendDueMessages(deps({ email }), fast);
    await email.close?.();
    expect(s).toMatchObject({ claimed: 1, sent: 1 });
    expect(
      await t.store.db
        .selectFrom('outbox_messages')
        .select(['attempts', 'status'])
        .where('idempotency_key', '=', 'orphan')
        .executeTakeFirst(),
    ).toEqual({
      attempts: 2,
      status: 'sent',
    });
  });

  it('lets two workers drain one outbox concurrently without sending any message twice', async () => {
    const second = openStore(t.url);
    try {
      for (let i = 0; i < 120; i++)
        await enqueueMessage(t.store.db, msg(customers[i % 20] as string, `race-${i}`), now());
      const mk = (s: typeof t.store) => ({
        outbox: outboxWorkerStore(s),
        channels: { email: emailChannel({ url: smtp.url, from: 'hi@shop.example' }) },
        renderer,
      });
      const d1 = mk(t.store);
      const d2 = mk(second);
      const before = smtp.received.length;
      const [s1, s2] = await Promise.all([
        runSender(d1, { ...fast, untilEmpty: true, batchSize: 10, concurrency: 3, workerId: 'w1' }),
        runSender(d2, { ...fast, untilEmpty: true, batchSize: 10, concurrency: 3, workerId: 'w2' }),
      ]);
      await d1.channels.email.close?.();
      await d2.channels.email.close?.();
      expect(s1.sent + s2.sent).toBe(120);
      const ids = smtp.received.slice(before).map((m) => m.messageId);
      expect(ids).toHaveLength(120);
      expect(new Set(ids).size).toBe(120);
    } finally {
      await second.close();
    }
  });

  it('sends SMS through a signed webhook the receiver can verify', async () => {
    const secret = 'whsec_test';
    const got: Array<{ ok: boolean; body: unknown; key: string | undefined }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const ok = verifyWebhook(
          secret,
          String(req.headers['patron-signature']),
          body,
          Math.floor(Date.now() / 1000),
        );
        got.push({ ok, body: JSON.parse(body), key: req.headers['idempotency-key'] as string | undefined });
        res.writeHead(ok ? 200 : 401).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
    try {
      await enqueueMessage(
        t.store.db,
        msg(customers[6] as string, 'sms-1', {
          channel: 'sms',
          templateId: 'win_back',
          variables: { offer: { description: '20% off', code: 'BACK20' } },
        }),
        now(),
      );
      const s = await sendDueMessages(deps({ sms: webhookChannel({ url, secret }) }), fast);
      expect(s.sent).toBe(1);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        ok: true,
        key: stableMessageId('sms-1'),
        body: {
          channel: 'sms',
          to: { phone: '+15550001111' },
          text: 'our store misses you! 20% off — code BACK20'.replace('our store', 'Brewline'),
        },
      });
      // A forged request fails verification.
      const bad = webhookChannel({ url, secret: 'wrong' });
      await enqueueMessage(
        t.store.db,
        msg(customers[7] as string, 'sms-2', { channel: 'sms', templateId: 'win_back' }),
        now(),
      );
      const s2 = await sendDueMessages(deps({ sms: bad }), fast);
      expect(s2.retried).toBe(0);
      expect(s2.dead).toBe(1); // 401 is permanent
      expect(got[1]?.ok).toBe(false);
    } finally {
      server.close();
    }
  });

  it('writes demo messages as files, one per message even when sent again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-outbox-'));
    await enqueueMessage(t.store.db, msg(customers[8] as string, 'file-1', { channel: 'console' }), now());
    const ch = fileChannel({ dir });
    expect((await sendDueMessages(deps({ console: ch }), fast)).sent).toBe(1);
    await t.store.db
      .updateTable('outbox_messages')
      .set({ status: 'queued' })
      .where('idempotency_key', '=', 'file-1')
      .execute();
    expect((await sendDueMessages(deps({ console: ch }), fast)).sent).toBe(1);
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, files[0] as string), 'utf8')).toContain(
      `Message-ID: ${stableMessageId('file-1')}`,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('unsubscribes through the link in the email, and the next marketing message is suppressed', async () => {
    const c = customers[9] as string;
    const secret = await signingSecret(t.store);
    const email = emailChannel({ url: smtp.url, from: 'hi@shop.example' });
    await enqueueMessage(t.store.db, msg(c, 'unsub-1'), now());
    const before = smtp.received.length;
    await sendDueMessages(deps({ email }), {
      ...fast,
      unsubscribeUrl: unsubscribeLink('https://patron.example', secret),
    });
    const mail = smtp.received.slice(before).find((m) => m.messageId === stableMessageId('unsub-1'));
    const header = /List-Unsubscribe:\s*<([^>]+)>/.exec(mail?.raw ?? '')?.[1] as string;
    expect(header).toMatch(/^https:\/\/patron\.example\/v1\/unsubscribe\?token=/);
    const app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys: apiKeyStore(t.store),
      now,
      maxBodyBytes: 50_000,
      log: () => {},
    });
    const path = header.replace('https://patron.example', '');
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    expect((await app.request(path)).status).toBe(200); // a second click changes nothing
    const events = await t.store.db
      .selectFrom('events')
      .select('name')
      .where('customer_id', '=', c)
      .where('name', '=', 'Unsubscribed')
      .execute();
    expect(events).toHaveLength(1);
    const consent = await t.store.db
      .selectFrom('consents')
      .selectAll()
      .where('customer_id', '=', c)
      .executeTakeFirst();
    expect(consent).toMatchObject({ channel: 'email', purpose: 'marketing', granted: 0 });
    const forged = await app.request(path.slice(0, -2) + 'xx');
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('token');
    await enqueueMessage(t.store.db, msg(c, 'unsub-2'), now());
    await enqueueMessage(
      t.store.db,
      msg(c, 'unsub-3-transactional', {
        purpose: 'transactional',
        templateId: 'order_confirmation',
        variables: { order: { id: 'o1' } },
      }),
      now(),
    );
    const s = await sendDueMessages(deps({ email }), fast);
    await email.close?.();
    expect(s).toMatchObject({ suppressed: 1, sent: 1 });
    expect(
      (
        await t.store.db
          .selectFrom('outbox_messages')
          .select(['status', 'status_reason'])
          .where('idempotency_key', '=', 'unsub-2')
          .executeTakeFirst()
      )?.status,
    ).toBe('suppressed');
  });

  it('refuses a lease shorter than a batch of sends can take', async () => {
    await expect(() =>
      runSender(deps({}), { batchSize: 64, concurrency: 8, sendTimeoutMs: 30_000, leaseMs: 60_000 }),
    ).rejects.toThrow(SenderConfigError);
  });
});
