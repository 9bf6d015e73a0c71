import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { eventStore } from '../store/event-repository.js';
import { importRunStore } from '../store/import-run-repository.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { importFile, type ImportFormat } from './import-file.js';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures');
const currency = { baseCurrency: 'USD', rates: { EUR: 1.1 } };

function jsonlFile(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-import-'));
  const file = path.join(dir, 'events.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const view = (i: number) =>
  JSON.stringify({
    type: 'track',
    event: 'Product Viewed',
    messageId: `imp-${i}`,
    anonymousId: `anon-${i % 50}`,
    timestamp: '2025-03-01T00:00:00Z',
    properties: { product_id: `p${i % 10}` },
  });

describe.each(DATABASES)('file import on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  const run = (file: string, format: ImportFormat, extra: Partial<Parameters<typeof importFile>[0]> = {}) =>
    importFile({
      path: file,
      format,
      events: eventStore(t.store),
      runs: importRunStore(t.store),
      currency,
      now: () => new Date('2025-06-01T00:00:00Z'),
      chunkLines: 100,
      ...extra,
    });
  const count = async (table: string, where = sql`1=1`) =>
    Number(
      (
        await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(
          t.store.db,
        )
      ).rows[0]?.n,
    );

  it('imports JSONL, rejects bad lines with their number and reason, and imports nothing on a re-run', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => view(i));
    lines[10] = '{"type":"track"';
    lines[20] = JSON.stringify({
      type: 'track',
      event: 'Survey Answered',
      userId: 'u',
      messageId: 'bad-nps',
      properties: { nps: 12 },
    });
    const file = jsonlFile(lines);
    const first = await run(file, 'events-jsonl');
    expect(first).toMatchObject({
      lines: 250,
      accepted: 248,
      duplicates: 0,
      rejected: 2,
      alreadyImported: false,
    });
    expect(first.rejects.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
      [11, 'not valid JSON'],
      [21, 'properties.nps'],
    ]);
    const before = await count('events');
    const again = await run(file, 'events-jsonl');
    expect(again).toMatchObject({ accepted: 248, rejected: 2, alreadyImported: true });
    expect(await count('events')).toBe(before);
  });

  it('resumes after a crash mid-import and ends with every valid event stored exactly once', async () => {
    const file = jsonlFile(Array.from({ length: 1000 }, (_, i) => view(10_000 + i)));
    await expect(run(file, 'events-jsonl', { stopAfterChunks: 3 })).rejects.toThrow(/stopped after 3 chunks/);
    expect(await count('events', sql`message_id like 'imp-1____'`)).toBe(300);
    const resumed = await run(file, 'events-jsonl');
    expect(resumed.resumedFromLine).toBe(300);
    expect(resumed).toMatchObject({ lines: 1000, accepted: 1000, rejected: 0 });
    expect(await count('events', sql`message_id like 'imp-1____'`)).toBe(1000);
  });

  it('imports the same events from a different file without duplicating them', async () => {
    const file = jsonlFile(Array.from({ length: 120 }, (_, i) => view(10_000 + i)).reverse());
    const r = await run(file, 'events-jsonl');
    expect(r).toMatchObject({ accepted: 0, duplicates: 120 });
  });

  it("imports Patron's orders CSV with line items, decimals as exported, and rejects with reasons", async () => {
    const r = await run(path.join(fixtures, 'orders.csv'), 'orders-csv');
    expect(r).toMatchObject({ accepted: 3, rejected: 2 });
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([
      [5, 'created_at: "not a date" is not a date and time'],
      [6, 'properties.currency: "XXX" is not an ISO 4217 currency code'],
    ]);
    const ann = await findCustomerProfile(t.store, 'c1', 'USD');
    expect(ann).toMatchObject({ email: 'ann@example.com', orders: { count: 1, revenueMinor: 2933 } });
    const lines = await t.store.db
      .selectFrom('order_lines')
      .selectAll()
      .where('order_id', '=', '1001')
      .orderBy('line_no')
      .execute();
    expect(lines.map((l) => [l.product_id, Number(l.price_minor), l.quantity])).toEqual([
      ['p1', 1450, 2],
      ['p9', 33, 1],
    ]);
    const bob = await t.store.db
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', '1002')
      .executeTakeFirstOrThrow();
    expect([
      bob.currency,
      Number(bob.total_minor),
      Number(bob.base_total_minor),
      Number(bob.discount_minor),
      bob.coupon,
    ]).toEqual(['EUR', 129900, 142890, 1000, 'WELCOME10']);
  });

  it('gives the same result when reading and validating in-thread instead of in a worker', async () => {
    const lines = Array.from({ length: 130 }, (_, i) => view(20_000 + i));
    lines[7] = 'not json';
    const file = jsonlFile(lines);
    const r = await run(file, 'events-jsonl', { worker: false });
    expect(r).toMatchObject({ lines: 130, accepted: 129, rejected: 1 });
    expect(r.rejects.map((x) => x.line)).toEqual([8]);
  });

  it('refuses a CSV whose header lacks required columns, naming them', async () => {
    const file = jsonlFile(['order_id,total', '1,2.00']);
    await expect(run(file, 'orders-csv')).rejects.toThrow(
      /the header lacks customer_id, created_at \(format orders-csv\)/,
    );
  });

  it('imports the Shopify orders export: one order per group of rows, refunds, cancellations, consent', async () => {
    const r = await run(path.join(fixtures, 'shopify-orders.csv'), 'shopify-orders-csv');
    // #1001: order + consent; #1002: order + cancellation + refund + consent; #1003 has no email.
    expect(r).toMatchObject({ accepted: 6, rejected: 1 });
    expect(r.rejects[0]).toMatchObject({
      line: 5,
      reason: expect.stringMatching(/^Email: an order needs an Email or Phone/),
    });
    const o = await t.store.db
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', '5550001')
      .executeTakeFirstOrThrow();
    expect([o.placed_at, Number(o.total_minor), o.item_count]).toEqual(['2025-02-01T15:00:00.000Z', 4820, 3]);
    const ann = await findCustomerProfile(t.store, o.customer_id, 'USD');
    expect(ann?.consent).toEqual([
      { channel: 'email', purpose: 'marketing', granted: true, updatedAt: '2025-02-01T15:00:00.000Z' },
    ]);
    const updates = await t.store.db
      .selectFrom('order_updates')
      .select(['kind', 'amount_minor'])
      .where('order_id', '=', '5550002')
      .orderBy('kind')
      .execute();
    expect(updates.map((u) => [u.kind, u.amount_minor === null ? null : Number(u.amount_minor)])).toEqual([
      ['cancelled', null],
      ['refunded', 2000],
    ]);
  });
});
