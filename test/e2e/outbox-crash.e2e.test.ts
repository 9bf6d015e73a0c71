/**
 * kill -9 of the sender in the middle of a run, then a restart: every message reaches the SMTP
 * server, and none twice — counted by Message-ID at a real SMTP server (smtp-server) — on each
 * backend. The only messages that could arrive twice are those whose send was in flight when the
 * process died (an attempt counted but never recorded); the test checks that any duplicate is one
 * of those, and there are at most one batch of them.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../support/databases.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { ingestBatch } from '../../src/app/ingest-events.js';
import { enqueueMessage, stableMessageId } from '../../src/app/outbox.js';
import { eventStore } from '../../src/store/event-repository.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
const N = 300;
const BATCH = 8;

describe.each(DATABASES)('a sender killed with SIGKILL on %s', (dialect) => {
  let t: TestDatabase;
  let smtp: SmtpSink;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    smtp = await startSmtpSink({ keepRaw: false });
    const users = Array.from({ length: 50 }, (_, i) => ({
      type: 'identify',
      userId: `k${i}`,
      messageId: `kid-${i}`,
      traits: { email: `k${i}@example.com` },
    }));
    const r = await ingestBatch(eventStore(t.store), users, {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: '2026-03-01T00:00:00Z',
    });
    expect(r.ok).toBe(true);
    const customers = await t.store.db.selectFrom('customers').select('id').execute();
    for (let i = 0; i < N; i++) {
      await enqueueMessage(
        t.store.db,
        {
          idempotencyKey: `crash-${i}`,
          customerId: customers[i % customers.length]!.id,
          channel: 'email',
          purpose: 'transactional',
          actionId: 'order_confirmation',
          templateId: 'order_confirmation',
          variables: {
            firstName: 'Kim',
            order: { id: `o${i}`, items: [{ name: 'Kettle', guidance: 'Descale monthly.' }] },
          },
          notBefore: '2026-03-01T00:00:00Z',
        },
        new Date('2026-03-01T00:00:00Z'),
      );
    }
  });
  afterAll(async () => {
    await smtp.close();
    await t.drop();
  });

  const run = (extra: string[] = []) =>
    spawn(
      process.execPath,
      [
        ...cli,
        '--db',
        t.url,
        'send',
        '--until-empty',
        '--batch',
        String(BATCH),
        '--concurrency',
        '4',
        '--send-timeout-ms',
        '1000',
        '--lease-ms',
        '3000',
        '--smtp',
        smtp.url,
        '--json',
        ...extra,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );

  it('sends every message exactly once across the kill and the restart', async () => {
    const first = run();
    for (let i = 0; i < 1200 && smtp.received.length < N / 3; i++)
      await new Promise((r) => setTimeout(r, 25));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = smtp.received.length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(N);
    // Leases of the dead worker expire after 3 s; a new worker then takes its messages over.
    await new Promise((r) => setTimeout(r, 3200));
    const second = run();
    let out = '';
    second.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split('\n').pop()!).outbox).toEqual({ sent: N });

    const counts = smtp.counts();
    const expected = Array.from({ length: N }, (_, i) => stableMessageId(`crash-${i}`));
    for (const id of expected) expect(counts.get(id) ?? 0).toBeGreaterThanOrEqual(1);
    expect(counts.size).toBe(N);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);

    // Messages whose attempt was cut off: more attempts counted than recorded.
    const rows = await t.store.db
      .selectFrom('outbox_messages as m')
      .leftJoin('outbox_attempts as a', 'a.message_id', 'm.id')
      .select([
        'm.idempotency_key as key',
        'm.attempts as attempts',
        (eb) => eb.fn.count<number>('a.attempt').as('recorded'),
      ])
      .groupBy(['m.idempotency_key', 'm.attempts'])
      .execute();
    const interrupted = new Set(
      rows.filter((r) => r.attempts > Number(r.recorded)).map((r) => stableMessageId(r.key)),
    );
    expect(interrupted.size).toBeLessThanOrEqual(BATCH);
    for (const id of duplicated) expect(interrupted.has(id)).toBe(true);
    console.log(
      `${dialect}: ${atKill} delivered before the kill, ${interrupted.size} sends cut off, ${smtp.received.length} deliveries in all, ${duplicated.length} duplicates`,
    );
  });
});
