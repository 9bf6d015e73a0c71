import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createApiKey } from './api-keys.js';
import { ingestBatch } from './ingest-events.js';
import { analyzeStoreTexts, customerTextSignalsOf, themesReport } from './text.js';
import { textAnalyzer } from './text-analyzer.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { eventStore } from '../store/event-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { textStore } from '../store/text-repository.js';
import { createApp } from '../server/app.js';

const opts = { currency: { baseCurrency: 'USD', rates: {} }, receivedAt: '2025-12-01T00:00:00.000Z' };
const now = () => new Date('2025-11-20T00:00:00.000Z');

let n = 0;
const review = (user: string, at: string, product: string, rating: number, body: string) => ({
  type: 'track',
  event: 'Product Reviewed',
  messageId: `rev-${++n}`,
  userId: user,
  timestamp: at,
  properties: { product_id: product, rating, review_body: body },
});

/** October: one sizing complaint on p1; November: seven, and praise of p2. */
const events = [
  review('u1', '2025-10-03T10:00:00Z', 'p1', 2, 'Runs small, I had to send it back.'),
  review('u2', '2025-10-05T10:00:00Z', 'p1', 5, 'Love it, fits perfectly.'),
  ...Array.from({ length: 7 }, (_, i) =>
    review(
      `u${i + 3}`,
      `2025-11-0${i + 1}T10:00:00Z`,
      'p1',
      2,
      'Way too small even after ordering a size up.',
    ),
  ),
  review('u1', '2025-11-10T10:00:00Z', 'p2', 5, 'Excellent tea and fast shipping!'),
  {
    type: 'track',
    event: 'Ticket Opened',
    messageId: 'tkt-1',
    userId: 'u1',
    timestamp: '2025-11-12T10:00:00Z',
    properties: {
      ticket_id: 't1',
      subject: 'Where is my order?',
      text: 'Order o1 is late and nobody replied.',
    },
  },
  {
    type: 'track',
    event: 'Survey Answered',
    messageId: 'nps-1',
    userId: 'u1',
    timestamp: '2025-11-13T10:00:00Z',
    properties: { nps: 3, comment: 'Support was not helpful at all.' },
  },
  {
    type: 'track',
    event: 'Survey Answered',
    messageId: 'nps-2',
    userId: 'u2',
    timestamp: '2025-11-13T10:00:00Z',
    properties: { nps: 9 },
  },
];

const count = async (t: TestDatabase, table: string): Promise<number> =>
  Number(
    (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.store.db)).rows[0]?.n,
  );

describe.each(DATABASES)('text analyses on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const r = await ingestBatch(eventStore(t.store), events, opts);
    expect(r.ok).toBe(true);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('analyses every review, ticket and comment once, however often and however many run', async () => {
    const [a, b] = await Promise.all([
      analyzeStoreTexts(textStore(t.store), textAnalyzer(), { now, pageSize: 3 }),
      analyzeStoreTexts(textStore(t.store), textAnalyzer(), { now, pageSize: 2 }),
    ]);
    expect(a.analyzed + b.analyzed).toBe(12);
    expect(await count(t, 'text_analyses')).toBe(12);
    const again = await analyzeStoreTexts(textStore(t.store), textAnalyzer(), { now });
    expect(again.analyzed).toBe(0);
    expect(again.withoutText).toBe(1); // the survey without a comment
    const mentions = await count(t, 'text_theme_mentions');
    expect(mentions).toBeGreaterThanOrEqual(12);
    const ticket = await t.store.db
      .selectFrom('text_analyses')
      .selectAll()
      .where('message_id', '=', 'tkt-1')
      .executeTakeFirstOrThrow();
    expect(ticket.label).toBe('negative');
    expect(JSON.parse(ticket.themes).map((x: { theme: string }) => x.theme)).toEqual(['shipping', 'service']);
  });

  it('shows the sizing complaints on a product rising this month', async () => {
    const r = await themesReport(
      textStore(t.store),
      { product: 'p1', from: '2025-10', to: '2025-11' },
      now(),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sizing = r.value.themes.find((x) => x.theme === 'sizing');
    expect(sizing?.months.map((m) => [m.month, m.negative, m.mentions])).toEqual([
      ['2025-10', 1, 2],
      ['2025-11', 7, 7],
    ]);
    expect(r.value.rising).toEqual([
      expect.objectContaining({ productId: 'p1', theme: 'sizing', negative: 7, previousNegative: 1 }),
    ]);
    expect(r.value.rising[0]?.text).toBe(
      'sizing complaints on product p1 rose from 1 in 2025-10 to 7 in 2025-11',
    );
    // Store-wide, the shipping praise of p2 sits beside them.
    const all = await themesReport(textStore(t.store), { from: '2025-11', to: '2025-11' }, now());
    expect(all.ok && all.value.themes.find((x) => x.theme === 'shipping')?.mentions).toBe(2);
  });

  it("gives decisioning a customer's recent negative tone and complaints, following merges", async () => {
    const id = (await findCustomerProfile(t.store, 'u1', 'USD'))?.id as string;
    const s = await customerTextSignalsOf(textStore(t.store), id, now(), 30);
    expect(s.texts).toBe(3); // the October review is outside 30 days
    expect(s.negative).toBe(2);
    expect(s.lastNegativeAt).toBe('2025-11-13T10:00:00.000Z');
    expect(s.complaints.map((c) => c.theme).sort()).toEqual(['service', 'shipping']);
    // A later identify links an anonymous visitor's review to u1.
    await ingestBatch(
      eventStore(t.store),
      [
        {
          ...review('x', '2025-11-14T10:00:00Z', 'p2', 1, 'It fell apart.'),
          userId: undefined,
          anonymousId: 'anon-only',
        },
        {
          type: 'alias',
          messageId: 'al-1',
          userId: 'u1',
          previousId: 'anon-only',
          timestamp: '2025-11-15T00:00:00Z',
        },
      ],
      opts,
    );
    await analyzeStoreTexts(textStore(t.store), textAnalyzer(), { now });
    const profile = await findCustomerProfile(t.store, 'u1', 'USD');
    expect(profile?.text?.texts).toBe(5);
    expect(profile?.text?.complaints.map((c) => c.theme)).toContain('quality');
  });
});

describe.each(DATABASES)('text HTTP routes on %s', (dialect) => {
  let t: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let readKey: string;
  let ingestKey: string;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    const keys = apiKeyStore(t.store);
    readKey = (await createApiKey(keys, { name: 'r', scopes: ['read'], now: '2025-01-01T00:00:00Z' })).secret;
    ingestKey = (await createApiKey(keys, { name: 'i', scopes: ['ingest'], now: '2025-01-01T00:00:00Z' }))
      .secret;
    app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now,
      maxBodyBytes: 50_000,
      log: () => {},
    });
    await ingestBatch(eventStore(t.store), events, opts);
    await analyzeStoreTexts(textStore(t.store), textAnalyzer(), { now });
  });
  afterAll(async () => {
    await t.drop();
  });
  const post = (body: unknown, key = readKey) =>
    app.request('/v1/text/analyze', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });
  const get = (query: string) =>
    app.request(`/v1/text/themes${query}`, { headers: { authorization: `Bearer ${readKey}` } });

  it('analyses one text or many on demand', async () => {
    const one = await post({ text: 'Not worth the price, it fell apart.' });
    expect(one.status).toBe(200);
    const a = (await one.json()) as { score: number; label: string; themes: Array<{ theme: string }> };
    expect(a.label).toBe('negative');
    expect(a.themes.map((x) => x.theme)).toEqual(['price', 'quality']);
    const many = await post({ texts: ['Great!', 'Awful.', ''] });
    const body = (await many.json()) as { results: Array<{ label: string }> };
    expect(body.results.map((r) => r.label)).toEqual(['positive', 'negative', 'neutral']);
  });

  it('refuses bad bodies with the field and the reason', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'text'],
      [{ text: 'a', texts: ['b'] }, 'texts'],
      [{ texts: ['ok', 3] }, 'texts[1]'],
      [{ texts: [] }, 'texts'],
      [{ texts: Array.from({ length: 1001 }, () => 'x') }, 'texts'],
      [{ text: 'x'.repeat(20_001) }, 'text'],
      [{ text: 'a', lang: 'en' }, 'lang'],
      [[1, 2], 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const p = (await res.json()) as { errors: Array<{ path: string; message: string }> };
      expect(p.errors.map((e) => e.path)).toContain(path);
    }
    expect((await post('{not json')).status).toBe(400);
    const huge = await post({ texts: Array.from({ length: 110 }, () => 'x'.repeat(19_999)) });
    expect(huge.status).toBe(413);
    expect((await post({ text: 'a' }, ingestKey)).status).toBe(403);
    expect((await post({ text: 'a' }, 'nope')).status).toBe(401);
  });

  it('serves the theme trends and the rising complaints, and names a bad parameter', async () => {
    const res = await get('?product=p1&from=2025-10&to=2025-11');
    expect(res.status).toBe(200);
    const r = (await res.json()) as { rising: Array<{ theme: string; productId: string }> };
    expect(r.rising.map((x) => [x.productId, x.theme])).toEqual([['p1', 'sizing']]);
    for (const [query, path] of [
      ['?theme=colour', 'theme'],
      ['?from=2025-13', 'from'],
      ['?from=2025-11&to=2025-10', 'from'],
      ['?prodcut=p1', 'prodcut'],
    ] as const) {
      const bad = await get(query);
      expect(bad.status, query).toBe(400);
      const p = (await bad.json()) as { errors: Array<{ path: string }> };
      expect(p.errors.map((e) => e.path)).toContain(path);
    }
  });
});
