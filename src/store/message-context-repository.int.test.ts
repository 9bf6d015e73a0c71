import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { ingestBatch } from '../app/ingest-events.js';
import { creditPoints } from '../app/loyalty-ledger.js';
import { eventStore } from './event-repository.js';
import { ledgerIds, loyaltyStore } from './loyalty-repository.js';
import { messageContext } from './message-context-repository.js';

const NOW = new Date('2025-03-05T12:00:00.000Z');

describe.each(DATABASES)('message context on %s', (dialect) => {
  let t: TestDatabase;
  let id = '';
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const r = await ingestBatch(
      eventStore(t.store),
      [
        {
          type: 'identify',
          messageId: 'id-1',
          userId: 'u_1',
          timestamp: '2025-01-02T10:00:00Z',
          traits: { email: 'ada@example.com', first_name: 'Ada' },
        },
      ],
      { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: NOW.toISOString() },
    );
    expect(r.ok).toBe(true);
    id = (
      await t.store.db
        .selectFrom('identities')
        .select('customer_id')
        .where('key', '=', 'user:u_1')
        .executeTakeFirstOrThrow()
    ).customer_id;
    await creditPoints(loyaltyStore(t.store), ledgerIds, {
      customerId: id,
      businessKey: 'grant:1',
      source: 'bonus',
      rule: 'test_grant',
      points: 700,
      release: null,
      effectiveAt: '2024-03-20T00:00:00.000Z',
      now: '2024-03-20T00:00:00.000Z',
    });
    await t.store.db
      .insertInto('loyalty_tiers')
      .values({
        customer_id: id,
        tier_id: 'silver',
        since: '2025-01-01T00:00:00.000Z',
        score: 425,
        demotion_to: null,
        demotion_at: null,
        notice_at: null,
        reminded: 0,
        evaluated_at: NOW.toISOString(),
      })
      .execute();
  });
  afterAll(async () => t?.drop());

  it('gives the name, the balance with what expires next, and the way to the next tier', async () => {
    const c = await messageContext(t.store).context(id, NOW);
    const lot = await t.store.db
      .selectFrom('loyalty_lots')
      .select('expires_at')
      .where('customer_id', '=', id)
      .executeTakeFirstOrThrow();
    // Credited a year before NOW: the default lifetime (365 days) ends within the 30-day horizon.
    expect(Date.parse(lot.expires_at) - NOW.getTime()).toBeLessThanOrEqual(30 * 86_400_000);
    expect(c).toMatchObject({
      firstName: 'Ada',
      points: { balance: 700, pending: 0, expiring: 700, expiresAt: lot.expires_at },
      tier: { current: 'Silver', next: 'Gold', progress: 0.5 },
    });
    expect(await messageContext(t.store).context('cus_missing', NOW)).toBeNull();
  });

  it('recommends nothing before a model is trained', async () => {
    expect(await messageContext(t.store).recommendations(id, 4, NOW)).toEqual([]);
  });
});
