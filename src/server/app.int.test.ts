import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createApiKey } from '../app/api-keys.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { eventStore } from '../store/event-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { createApp } from './app.js';

const track = (n: number, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  messageId: `http-${n}`,
  userId: `user-${n % 3}`,
  timestamp: '2025-05-01T10:00:00Z',
  properties: { order_id: `ho${n}`, total: 19.99, currency: 'USD', ...extra },
});

describe.each(DATABASES)('HTTP API on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let ingestKey: string;
  let readKey: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const keys = apiKeyStore(t.store);
    ingestKey = (
      await createApiKey(keys, { name: 'storefront', scopes: ['ingest'], now: '2025-01-01T00:00:00Z' })
    ).secret;
    readKey = (await createApiKey(keys, { name: 'dashboard', scopes: ['read'], now: '2025-01-01T00:00:00Z' }))
      .secret;
    await settingsStore(t.store).setCurrencySettings(
      { baseCurrency: 'USD', rates: { EUR: 1.1 } },
      '2025-01-01T00:00:00Z',
    );
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => new Date('2025-05-02T00:00:00Z'),
      maxBodyBytes: 50_000,
      log: () => {},
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}`, ...headers },
    });
  const eventCount = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from events`.execute(t.store.db)).rows[0]?.n);

  it('accepts a Segment client: Basic auth with the write key as user name', async () => {
    const basic = Buffer.from(`${ingestKey}:`).toString('base64');
    const res = await post('/v1/track', track(1), { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
  });

  it('answers a repeated messageId the same way and stores it once', async () => {
    const before = await eventCount();
    const res = await post('/v1/track', track(1));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    expect(await eventCount()).toBe(before);
  });

  it('stores a batch atomically', async () => {
    const before = await eventCount();
    const res = await post('/v1/batch', {
      batch: [track(2), track(3), { type: 'identify', userId: 'user-2', traits: { email: 'x@y.io' } }],
    });
    expect(res.status).toBe(200);
    expect(await eventCount()).toBe(before + 3);
  });

  it('refuses a batch with bad events, names each index and field, and stores nothing', async () => {
    const before = await eventCount();
    const res = await post('/v1/batch', {
      batch: [
        track(10),
        track(11, { total: 'free' }),
        track(12, { currency: 'JPY' }),
        { type: 'track', userId: 'u' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { status: number; errors: unknown[]; detail: string };
    expect(body.status).toBe(400);
    expect(body.detail).toBe('3 of 4 events are invalid; nothing from this batch was stored.');
    expect(body.errors).toEqual([
      { index: 1, path: 'properties.total', message: 'must be a decimal amount such as 29.33' },
      { index: 2, path: 'properties.currency', message: expect.stringContaining('JPY has no exchange rate') },
      { index: 3, path: 'event', message: expect.any(String) },
    ]);
    expect(await eventCount()).toBe(before);
  });

  it('answers 401 without a key or with a wrong one, 403 without the scope', async () => {
    expect((await post('/v1/track', track(20), { authorization: '' })).status).toBe(401);
    expect((await post('/v1/track', track(20), { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/track', track(20), { authorization: `Bearer ${readKey}` })).status).toBe(403);
  });

  it('answers 415 for a wrong content type and 413 for an oversized body', async () => {
    expect(
      (await post('/v1/track', track(21), { 'content-type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(415);
    const big = { batch: Array.from({ length: 400 }, (_, i) => track(1000 + i)) };
    const res = await post('/v1/batch', big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/larger than 50000 bytes/);
  });

  it('answers 400 for malformed JSON', async () => {
    expect((await post('/v1/batch', '{"batch": [')).status).toBe(400);
  });

  it('returns the unified profile by userId or Patron id with the read scope', async () => {
    const res = await app.request('/v1/customers/user-2', {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(res.status).toBe(200);
    const p = (await res.json()) as {
      id: string;
      email: string;
      orders: { count: number; revenueMinor: number };
    };
    expect(p.email).toBe('x@y.io');
    expect(p.orders).toMatchObject({ count: 1, revenueMinor: 1999 });
    const byId = await app.request(`/v1/customers/${p.id}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(((await byId.json()) as { id: string }).id).toBe(p.id);
    const missing = await app.request('/v1/customers/nobody', {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(missing.status).toBe(404);
    const noScope = await app.request('/v1/customers/user-2', {
      headers: { authorization: `Bearer ${ingestKey}` },
    });
    expect(noScope.status).toBe(403);
  });

  it('serves its OpenAPI document', async () => {
    const res = await app.request('/v1/openapi.json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/track', '/v1/identify', '/v1/batch', '/v1/customers/{id}']),
    );
  });
});
