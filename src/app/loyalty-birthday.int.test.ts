import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { DEFAULT_PROGRAMME_CONFIG } from '../domain/loyalty/config.js';
import { eventStore } from '../store/event-repository.js';
import { ledgerIds, loyaltyStore } from '../store/loyalty-repository.js';
import { ingestBatch } from './ingest-events.js';
import { memberBalance, runLedgerJobs, type LedgerStore } from './loyalty-ledger.js';

// 1 June 2026, 01:00 in Auckland (UTC+12) — still 31 May in UTC.
const NOW = '2026-05-31T13:00:00.000Z';
const config = { ...DEFAULT_PROGRAMME_CONFIG, timezone: 'Pacific/Auckland' };

describe.each(DATABASES)('the birthday bonus on %s', (dialect) => {
  let t: TestDatabase;
  let ledger: LedgerStore;
  const identify = async (userId: string, traits: Record<string, unknown>) => {
    const r = await ingestBatch(
      eventStore(t.store),
      [
        {
          type: 'identify',
          userId,
          messageId: `id-${userId}`,
          timestamp: '2026-01-01T00:00:00.000Z',
          traits,
        },
      ],
      { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: '2026-01-01T00:00:00.000Z' },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  };
  const available = async (userId: string, now: string) =>
    (await memberBalance(ledger, (await ledger.customerIdFor(userId)) as string, now)).available;
  const birthdayKeys = async () =>
    (
      await t.store.db
        .selectFrom('loyalty_entries')
        .select('business_key')
        .where('rule', '=', 'birthday')
        .orderBy('business_key')
        .execute()
    ).map((r) => r.business_key);

  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    ledger = loyaltyStore(t.store);
    await ledger.activateConfig({ config, now: '2020-01-01T00:00:00.000Z', by: 'test' });
    await identify('u_full', { email: 'full@example.com', birthday: '1990-06-01' });
    await identify('u_short', { email: 'short@example.com', birthdate: '06-01' });
    await identify('u_utc', { email: 'utc@example.com', birthday: '1990-05-31' });
    await identify('u_leap', { email: 'leap@example.com', birthday: '1988-02-29' });
    await identify('u_words', { email: 'words@example.com', birthday: 'June 1st', note: 'x-06-01' });
  }, 60_000);
  afterAll(async () => t?.drop());

  it('posts the bonus on the local date in the programme’s zone, once however often the jobs run', async () => {
    const first = await runLedgerJobs(ledger, ledgerIds, NOW);
    expect(first.birthdays).toBe(2);
    const again = await runLedgerJobs(ledger, ledgerIds, '2026-06-01T09:00:00.000Z');
    expect(again.birthdays).toBe(0);
    expect(await available('u_full', NOW)).toBe(100);
    expect(await available('u_short', NOW)).toBe(100);
    // 31 May in UTC but 1 June in Auckland: not u_utc's birthday any more; a trait that is not a date never is.
    expect(await available('u_utc', NOW)).toBe(0);
    expect(await available('u_words', NOW)).toBe(0);
    const ids = [await ledger.customerIdFor('u_full'), await ledger.customerIdFor('u_short')].sort();
    expect(await birthdayKeys()).toEqual(ids.map((id) => `bonus:${id}:birthday:birthday:2026`).sort());
    expect((await ledger.reconcile()).ok).toBe(true);
  });

  it('celebrates 29 February on 28 February of a year without one', async () => {
    // 28 February 2027, 01:00 in Auckland (UTC+13 in summer).
    expect((await runLedgerJobs(ledger, ledgerIds, '2027-02-27T12:00:00.000Z')).birthdays).toBe(1);
    expect((await runLedgerJobs(ledger, ledgerIds, '2027-02-28T10:30:00.000Z')).birthdays).toBe(0);
    expect(await available('u_leap', '2027-02-28T00:00:00.000Z')).toBe(100);
  });

  it('respects the cap: one birthday bonus in a lifetime posts nothing the next year', async () => {
    await ledger.activateConfig({
      config: {
        ...config,
        bonuses: { ...config.bonuses, birthday: { points: 100, cap: { max: 1, period: 'lifetime' } } },
      },
      now: '2027-03-01T00:00:00.000Z',
      by: 'test',
    });
    await identify('u_new', { email: 'new@example.com', birthday: '2001-06-01' });
    // 1 June 2027 in Auckland: u_full and u_short had theirs in 2026; u_new never had one.
    expect((await runLedgerJobs(ledger, ledgerIds, '2027-05-31T13:00:00.000Z')).birthdays).toBe(1);
    expect(await available('u_new', '2027-05-31T13:00:00.000Z')).toBe(100);
    expect((await birthdayKeys()).filter((k) => k.endsWith(':2027'))).toHaveLength(2);
  });
});
