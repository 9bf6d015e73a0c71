import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../app/api-keys.js';
import { signCustomerToken } from '../../app/loyalty-token.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../../test/support/databases.js';
import { apiKeyStore } from '../../store/api-key-repository.js';
import { eventStore } from '../../store/event-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { createApp } from '../app.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

describe.each(DATABASES)('the loyalty API on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let admin: string;
  let ingest: string;

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const keys = apiKeyStore(t.store);
    admin = (await createApiKey(keys, { name: 'ops', scopes: ['admin'], now: NOW.toISOString() })).secret;
    ingest = (await createApiKey(keys, { name: 'shop', scopes: ['ingest'], now: NOW.toISOString() })).secret;
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => NOW,
      maxBodyBytes: 50_000,
      log: () => {},
    });
    const events = ['u1', 'u2'].map((u, i) => ({
      type: 'track',
      event: 'Order Completed',
      userId: u,
      messageId: `api-o${i}`,
      timestamp: '2026-01-10T10:00:00.000Z',
      properties: { order_id: `api-o${i}`, total: 1000, currency: 'USD' },
    }));
    const r = await call('POST', '/v1/batch', { batch: events }, { authorization: `Bearer ${ingest}` });
    expect(r.status).toBe(200);
    expect((await call('POST', '/v1/loyalty/run', {}, { authorization: `Bearer ${admin}` })).status).toBe(
      200,
    );
  });
  afterAll(async () => {
    await t.drop();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return app.request(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }
  const token = async (customerId: string): Promise<string> => {
    const r = await call('POST', '/v1/loyalty/tokens', { customerId }, { authorization: `Bearer ${admin}` });
    expect(r.status).toBe(201);
    return ((await r.json()) as { token: string }).token;
  };

  it('shows a customer their own balance: pending, available, expiring soon', async () => {
    const r = await call('GET', '/v1/loyalty/me', undefined, {
      authorization: `Bearer ${await token('u1')}`,
    });
    expect(r.status).toBe(200);
    const me = (await r.json()) as { available: number; pending: number; expiringSoon: { points: number } };
    // 1,000 USD earns 1,000 points (the window closed long ago) + the first-order bonus of 100.
    expect(me.available).toBe(1100);
    expect(me.pending).toBe(0);
    expect(me.expiringSoon.points).toBe(0);
  });

  it('refuses an expired token, a forged one, and none, with 401', async () => {
    const secret =
      (await settingsStore(t.store).currencySettings()) &&
      (await t.store.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'loyalty.secret')
        .executeTakeFirstOrThrow());
    const key = (JSON.parse(secret.value) as { secret: string }).secret;
    const old = signCustomerToken(key, {
      subject: 'u1',
      now: new Date(NOW.getTime() - 3600_000),
      ttlSeconds: 60,
    });
    const expired = await call('GET', '/v1/loyalty/me', undefined, { authorization: `Bearer ${old.token}` });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { detail: string }).detail).toMatch(/expired/);
    const forged = signCustomerToken('not-the-secret', { subject: 'u1', now: NOW, ttlSeconds: 60 });
    expect(
      (await call('GET', '/v1/loyalty/me', undefined, { authorization: `Bearer ${forged.token}` })).status,
    ).toBe(401);
    expect((await call('GET', '/v1/loyalty/me')).status).toBe(401);
  });

  it('redeems once per Idempotency-Key, answers a replay the same and refuses another payload with 422', async () => {
    const auth = { authorization: `Bearer ${await token('u2')}`, 'idempotency-key': 'redeem-1' };
    const first = await call('POST', '/v1/loyalty/me/redemptions', { points: 300 }, auth);
    expect(first.status).toBe(201);
    const body = (await first.json()) as { redemptionId: string; balance: { available: number } };
    expect(body.balance.available).toBe(800);
    const replay = await call('POST', '/v1/loyalty/me/redemptions', { points: 300 }, auth);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { redemptionId: string }).redemptionId).toBe(body.redemptionId);
    const other = await call('POST', '/v1/loyalty/me/redemptions', { points: 5 }, auth);
    expect(other.status).toBe(422);
    const me = (await (await call('GET', '/v1/loyalty/me', undefined, auth)).json()) as { available: number };
    expect(me.available).toBe(800);
  });

  it('answers 409 with available and needed when the points are not there', async () => {
    const auth = { authorization: `Bearer ${await token('u2')}`, 'idempotency-key': 'redeem-big' };
    const r = await call('POST', '/v1/loyalty/me/redemptions', { points: 5000 }, auth);
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ available: 800, needed: 5000 });
  });

  it('names the field of a bad redemption and requires the Idempotency-Key', async () => {
    const auth = { authorization: `Bearer ${await token('u2')}` };
    expect((await call('POST', '/v1/loyalty/me/redemptions', { points: 10 }, auth)).status).toBe(400);
    const bad = await call(
      'POST',
      '/v1/loyalty/me/redemptions',
      { points: 1.5 },
      { ...auth, 'idempotency-key': 'x' },
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('points');
  });

  it('lets an admin change the configuration, adjust by hand with a reason, and reconcile', async () => {
    const a = { authorization: `Bearer ${admin}` };
    const cfg = await call(
      'POST',
      '/v1/loyalty/config',
      { pointsPerCurrencyUnit: 2, note: 'double points' },
      a,
    );
    expect(cfg.status).toBe(201);
    expect(((await cfg.json()) as { version: number }).version).toBe(1);
    const bad = await call('POST', '/v1/loyalty/config', { returnWindowDays: -1 }, a);
    expect(bad.status).toBe(400);
    const adj = await call(
      'POST',
      '/v1/loyalty/adjustments',
      { customerId: 'u1', points: 50, reason: 'late delivery' },
      { ...a, 'idempotency-key': 'adj-1' },
    );
    expect(adj.status).toBe(201);
    const noReason = await call(
      'POST',
      '/v1/loyalty/adjustments',
      { customerId: 'u1', points: 50 },
      { ...a, 'idempotency-key': 'adj-2' },
    );
    expect(noReason.status).toBe(400);
    const rec = await call('GET', '/v1/loyalty/reconciliation', undefined, a);
    expect(rec.status).toBe(200);
    expect(await rec.json()).toMatchObject({ ok: true, sumOfAllAccounts: 0 });
    // A customer token is not an admin key.
    expect(
      (
        await call('GET', '/v1/loyalty/reconciliation', undefined, {
          authorization: `Bearer ${await token('u1')}`,
        })
      ).status,
    ).toBe(401);
  });
});
