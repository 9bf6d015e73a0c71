import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../app/api-keys.js';
import { ingestBatch } from '../../app/ingest-events.js';
import { ensureReferralCode } from '../../app/loyalty-programme.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../../test/support/databases.js';
import { apiKeyStore } from '../../store/api-key-repository.js';
import { eventStore } from '../../store/event-repository.js';
import { programmeStore } from '../../store/loyalty-programme-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { createApp } from '../app.js';

describe.each(DATABASES)('the loyalty programme API on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let admin: string;
  let read: string;
  let ingest: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const keys = apiKeyStore(t.store);
    const now = '2026-01-01T00:00:00Z';
    admin = (await createApiKey(keys, { name: 'admin', scopes: ['admin'], now })).secret;
    read = (await createApiKey(keys, { name: 'read', scopes: ['read'], now })).secret;
    ingest = (await createApiKey(keys, { name: 'shop', scopes: ['ingest'], now })).secret;
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => new Date('2026-06-01T00:00:00Z'),
      maxBodyBytes: 50_000,
      log: () => {},
    });
    await ingestBatch(
      eventStore(t.store),
      [
        {
          type: 'identify',
          userId: 'u_1',
          messageId: 'a',
          timestamp: '2026-05-01T00:00:00Z',
          traits: { email: 'a@x.org' },
        },
        {
          type: 'identify',
          userId: 'u_2',
          messageId: 'b',
          timestamp: '2026-05-02T00:00:00Z',
          traits: { email: 'b@y.org' },
        },
      ],
      { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: now },
    );
  });
  afterAll(async () => t?.drop());

  const call = (method: string, path: string, key: string, body?: unknown) =>
    app.request(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });

  it('lets an admin add and change rewards, and names the bad field', async () => {
    const denied = await call('POST', '/v1/loyalty/rewards', read, { name: 'x' });
    expect(denied.status).toBe(403);
    const bad = await call('POST', '/v1/loyalty/rewards', admin, {
      name: 'Gift',
      benefit: { type: 'gift' },
      costPoints: 10,
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('benefit.type');
    const created = await call('POST', '/v1/loyalty/rewards', admin, {
      name: 'Free shipping',
      benefit: { type: 'free_shipping' },
      costPoints: 300,
      stock: 10,
    });
    expect(created.status).toBe(201);
    const r = (await created.json()) as { id: string; stockLeft: number };
    expect(r.stockLeft).toBe(10);
    const patched = await call('PATCH', `/v1/loyalty/rewards/${r.id}`, admin, { costPoints: 250 });
    expect(await patched.json()).toMatchObject({ id: r.id, costPoints: 250, stockLeft: 10 });
    expect((await call('PATCH', '/v1/loyalty/rewards/rwd_nope', admin, { costPoints: 1 })).status).toBe(404);
    const list = (await (await call('GET', '/v1/loyalty/rewards', read)).json()) as { rewards: unknown[] };
    expect(list.rewards).toHaveLength(1);
  });

  it('validates tier configuration and what-if thresholds', async () => {
    const bad = await call('PUT', '/v1/loyalty/tiers', admin, { graceDays: -1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('graceDays');
    const order = await call('PUT', '/v1/loyalty/tiers', admin, { noticeDays: 90 });
    expect(((await order.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe(
      'tiers.noticeDays',
    );
    const ok = await call('PUT', '/v1/loyalty/tiers', admin, { graceDays: 90 });
    expect(await ok.json()).toMatchObject({ config: { graceDays: 90 } });
    const w = await call('POST', '/v1/loyalty/tiers/whatif', admin, {
      thresholds: { silver: 900, diamond: 5 },
    });
    expect(w.status).toBe(400);
    expect(((await w.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual([
      'thresholds.diamond',
    ]);
    const w2 = await call('POST', '/v1/loyalty/tiers/whatif', admin, { thresholds: { silver: 200 } });
    expect(w2.status).toBe(200);
  });

  it('attributes a referral once and refuses an unknown code with 422', async () => {
    const ps = programmeStore(t.store);
    const code = await ensureReferralCode(
      ps,
      (await ps.customerIdFor('u_1')) as string,
      null,
      '2026-05-01T00:00:00Z',
    );
    const unknown = await call('POST', '/v1/loyalty/referrals', ingest, {
      code: 'ZZ-000000',
      customer: 'u_2',
    });
    expect(unknown.status).toBe(422);
    const missing = await call('POST', '/v1/loyalty/referrals', ingest, { customer: 5 });
    expect(((await missing.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(
      ['code', 'customer'],
    );
    const first = await call('POST', '/v1/loyalty/referrals', ingest, { code, customer: 'u_2' });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ decision: 'accept', status: 'awaiting_order' });
    expect((await call('POST', '/v1/loyalty/referrals', ingest, { code, customer: 'u_2' })).status).toBe(200);
  });
});
