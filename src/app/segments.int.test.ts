/**
 * Segments, advocacy and timing on a small synthetic store, on every backend, checked against the
 * generator's ground truth (tolerances written with each test): churned customers land mostly in
 * the lapsed segments, evening openers get an evening send time, community members / referrers /
 * promoters rank high on advocacy. Plus the dynamic part: an order or a refund re-scores that
 * customer in the ingestion transaction and records the transition exactly once; the daily refresh
 * records time-driven moves; and the HTTP surface.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { precisionAtK, rocAuc } from '../domain/models/evaluate/metrics.js';
import { createApp } from '../server/app.js';
import { advocacyStore } from '../store/advocacy-repository.js';
import { apiKeyStore } from '../store/api-key-repository.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { customerSignalSource } from '../store/customer-signals-repository.js';
import { eventStore } from '../store/event-repository.js';
import { importRunStore } from '../store/import-run-repository.js';
import { segmentStore } from '../store/segment-repository.js';
import { settingsStore } from '../store/settings-repository.js';
import { bestSendTimeFor, reviewRequestFor, timingStore } from '../store/timing-repository.js';
import { writeStore } from '../synth/index.js';
import type { CustomerTruth } from '../synth/simulator.js';
import { computeAdvocacy } from './advocacy.js';
import { createApiKey } from './api-keys.js';
import { importFile } from './import-file.js';
import { ingestBatch } from './ingest-events.js';
import { computeSegmentsRun, refreshSegments, transitionsSince } from './segments.js';
import { computeTiming } from './timing.js';

const now = () => new Date('2027-01-05T00:00:00Z');
const LAPSED = new Set(['At Risk', 'Hibernating', 'Lost', 'Cannot Lose']);
const currency = { baseCurrency: 'USD', rates: { EUR: 1.087, GBP: 1.266 } };

describe.each(DATABASES)('segments, advocacy and timing on a synthetic store (%s)', (dialect) => {
  let t: TestDatabase;
  let dir: string;
  let truth: CustomerTruth[];
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-segments-'));
    await writeStore(dir, { customers: 600, seed: 11 });
    t = await createTestDatabase(dialect);
    await importFile({
      path: path.join(dir, 'events.jsonl'),
      format: 'events-jsonl',
      events: eventStore(t.store),
      runs: importRunStore(t.store),
      currency,
      now,
    });
    truth = fs
      .readFileSync(path.join(dir, 'ground-truth.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CustomerTruth);
    const rows = await t.store.db.selectFrom('customers').select(['id', 'user_id']).execute();
    for (const r of rows) if (r.user_id !== null) idOf.set(r.user_id, r.id);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('puts churned customers mostly in the lapsed segments; those segments are mostly churned', async () => {
    const r = await computeSegmentsRun(customerSignalSource(t.store), segmentStore(t.store), { now: now() });
    if (!r.ok) throw new Error(r.error.message);
    // Every customer with a non-cancelled order (a few have only a cancelled one).
    expect(r.value.customers).toBeGreaterThan(truth.length - 10);
    expect(r.value.segments.reduce((s, g) => s + g.customers, 0)).toBe(r.value.customers);
    expect(r.value.k).toBeGreaterThanOrEqual(2);
    for (const c of r.value.clusters) expect(c.description.length).toBeGreaterThan(3);
    const members = new Map(
      (await segmentStore(t.store).memberships()).map((m) => [m.customer_id, m.segment]),
    );
    const count = {
      churned: 0,
      churnedLapsed: 0,
      inLapsed: 0,
      churnedInLapsed: 0,
      champions: 0,
      churnedChampions: 0,
    };
    for (const g of truth) {
      const seg = members.get(idOf.get(g.userId)!);
      if (seg === undefined) continue;
      const lapsed = LAPSED.has(seg);
      if (g.churned) count.churned++;
      if (g.churned && (lapsed || seg === 'About to Sleep')) count.churnedLapsed++;
      if (lapsed) count.inLapsed++;
      if (lapsed && g.churned) count.churnedInLapsed++;
      if (seg === 'Champions') count.champions++;
      if (seg === 'Champions' && g.churned) count.churnedChampions++;
    }
    // Measured on this store (docs/MODELS.md): 0.59 of churned customers are in the lapsed
    // segments or About to Sleep; 0.67 of the lapsed segments' members churned; 0.22 of Champions.
    expect(count.churnedLapsed / count.churned).toBeGreaterThanOrEqual(0.5);
    expect(count.churnedInLapsed / count.inLapsed).toBeGreaterThanOrEqual(0.6);
    expect(count.churnedChampions / count.champions).toBeLessThanOrEqual(0.35);
  });

  it('re-scores a customer when an order arrives, in the same transaction, and records the move once', async () => {
    const members = await segmentStore(t.store).memberships();
    const lost = members.find((m) => m.segment === 'Lost')!;
    const user = [...idOf].find(([, id]) => id === lost.customer_id)![0];
    const order = {
      type: 'track',
      event: 'Order Completed',
      userId: user,
      messageId: 'seg-order-1',
      timestamp: '2027-01-06T10:00:00Z',
      properties: { order_id: 'seg-o-1', total: 900, currency: 'USD' },
    };
    const first = await ingestBatch(eventStore(t.store), [order], {
      currency,
      receivedAt: '2027-01-06T10:00:01Z',
    });
    expect(first.ok).toBe(true);
    const again = await ingestBatch(eventStore(t.store), [order], {
      currency,
      receivedAt: '2027-01-06T10:00:02Z',
    });
    expect(again.ok && again.value.duplicates).toBe(1);
    const after = (await segmentStore(t.store).memberships()).find(
      (m) => m.customer_id === lost.customer_id,
    )!;
    expect(after.r).toBe(5);
    expect(after.frequency).toBe(lost.frequency + 1);
    expect(after.segment).not.toBe('Lost');
    const moves = await transitionsSince(segmentStore(t.store), { since: '2027-01-06' });
    if (!moves.ok) throw new Error(moves.error.message);
    const mine = moves.value.filter((m) => m.customer_id === lost.customer_id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      from_segment: 'Lost',
      to_segment: after.segment,
      cause: 'event',
      cause_event: 'seg-order-1',
    });

    // A refund of most of it lowers M (and may move the segment); the stored monetary value follows.
    const refund = {
      type: 'track',
      event: 'Order Refunded',
      userId: user,
      messageId: 'seg-refund-1',
      timestamp: '2027-01-08T10:00:00Z',
      properties: { order_id: 'seg-o-1', total: 900, currency: 'USD' },
    };
    expect(
      (await ingestBatch(eventStore(t.store), [refund], { currency, receivedAt: '2027-01-08T10:00:01Z' })).ok,
    ).toBe(true);
    const refunded = (await segmentStore(t.store).memberships()).find(
      (m) => m.customer_id === lost.customer_id,
    )!;
    expect(refunded.monetary_minor).toBe(after.monetary_minor - 90_000);
    expect(refunded.evaluated_at).toBe('2027-01-08T10:00:00.000Z');
  });

  it('records time-driven transitions on refresh, once', async () => {
    const r = await refreshSegments(segmentStore(t.store), { asOf: '2027-07-01', now: now() });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.transitions).toBeGreaterThan(50);
    const all = await transitionsSince(segmentStore(t.store), { since: '2027-01-03', limit: 10_000 });
    if (!all.ok) throw new Error(all.error.message);
    const moves = { value: all.value.filter((m) => m.cause === 'time') };
    expect(moves.value.every((m) => m.from_segment !== null && m.at <= '2027-07-02')).toBe(true);
    expect(moves.value.length).toBe(r.value.transitions);
    // Nobody gets more recent by time alone: no move into Champions or New.
    expect(moves.value.some((m) => m.to_segment === 'Champions' || m.to_segment === 'New')).toBe(false);
    const again = await refreshSegments(segmentStore(t.store), { asOf: '2027-07-01', now: now() });
    expect(again.ok && again.value.transitions).toBe(0);
  });

  it('gives customers with an evening habit an evening send time', async () => {
    const s = await computeTiming(customerSignalSource(t.store), timingStore(t.store), { now: now() });
    expect(s.priorStrength).toBeGreaterThan(1);
    expect(s.channels.email).toBe(s.customers);
    const rows = new Map(
      (await t.store.db.selectFrom('customer_timing').selectAll().execute()).map((r) => [r.customer_id, r]),
    );
    let n = 0;
    let close = 0;
    for (const g of truth) {
      const row = rows.get(idOf.get(g.userId)!)!;
      if (Number(row.opens) < 5) continue;
      n++;
      // Opens come at the preferred hour ± 1.5 h, kept within 06:30–23:30 local.
      const target = Math.min(23.5, Math.max(6.5, g.preferredHour));
      const d = Math.abs(Number(row.best_local_hour) + 0.5 - target);
      if (Math.min(d, 24 - d) <= 2) close++;
    }
    expect(n).toBeGreaterThan(50);
    // Measured: 0.93 within two hours.
    expect(close / n).toBeGreaterThanOrEqual(0.85);

    const someone = idOf.get(truth[0]!.userId)!;
    const next = await bestSendTimeFor(t.store, someone, new Date('2027-01-05T12:00:00Z'));
    expect(next).not.toBeNull();
    expect(Date.parse(next!.at)).toBeGreaterThanOrEqual(Date.parse('2027-01-05T12:00:00Z'));
    expect(Date.parse(next!.at) - Date.parse('2027-01-05T12:00:00Z')).toBeLessThanOrEqual(86_400_000);
    expect(next!.timezone).toBe(truth[0]!.timezone);

    const delivered = await t.store.db
      .selectFrom('order_updates')
      .select(['order_id', 'at'])
      .where('kind', '=', 'delivered')
      .limit(1)
      .executeTakeFirstOrThrow();
    const due = await reviewRequestFor(t.store, delivered.order_id!);
    expect(Date.parse(due!.due_at)).toBeGreaterThan(Date.parse(delivered.at));
    // The generator posts reviews 2–14 days after delivery; matched to the latest delivery of the
    // product before the review (repeat buyers' later orders shorten some), medians are 5–8 days.
    const learned = s.timeToValue.filter((c) => c.reviews >= 20);
    expect(learned.length).toBeGreaterThan(4);
    for (const c of learned) {
      expect(c.medianDays!).toBeGreaterThan(4);
      expect(c.medianDays!).toBeLessThan(10);
    }
  });

  it('ranks community members, referrers and promoters high on advocacy', async () => {
    await computeAdvocacy(customerSignalSource(t.store), advocacyStore(t.store), { now: now() });
    const rows = new Map(
      (await t.store.db.selectFrom('customer_advocacy').select(['customer_id', 'score']).execute()).map(
        (r) => [r.customer_id, Number(r.score)],
      ),
    );
    const referrers = new Set(truth.map((g) => g.referredBy).filter((x) => x !== null));
    const scores = truth.map((g) => rows.get(idOf.get(g.userId)!) ?? 0);
    const auc = (f: (g: CustomerTruth) => boolean) =>
      rocAuc(
        truth.map((g) => (f(g) ? 1 : 0)),
        scores,
      );
    // Measured on this store: referrers 0.93, community members 0.74 (members who left early never
    // posted), any of referrer / member / promoter: precision@100 0.54 against a base rate of 0.31.
    expect(auc((g) => referrers.has(g.userId))).toBeGreaterThanOrEqual(0.85);
    expect(auc((g) => g.communityMember)).toBeGreaterThanOrEqual(0.65);
    const any = truth.map((g) =>
      g.communityMember || referrers.has(g.userId) || g.happiness >= 0.85 ? 1 : 0,
    );
    expect(precisionAtK(any, scores, 100)).toBeGreaterThanOrEqual(0.45);
  });

  it('serves segments, transitions, advocates and the profile over HTTP, and refuses bad queries by field', async () => {
    const keys = apiKeyStore(t.store);
    const read = (await createApiKey(keys, { name: 'r', scopes: ['read'], now: '2027-01-01T00:00:00Z' }))
      .secret;
    const app = createApp({
      store: t.store,
      events: eventStore(t.store),
      settings: settingsStore(t.store),
      keys,
      now: () => new Date('2027-01-05T12:00:00Z'),
      maxBodyBytes: 50_000,
      log: () => {},
    });
    const get = (p: string) => app.request(p, { headers: { authorization: `Bearer ${read}` } });
    const seg = (await (await get('/v1/segments')).json()) as {
      segments: Array<{ segment: string; customers: number }>;
      clusters: Array<{ description: string; customers: number }>;
    };
    expect(seg.segments).toHaveLength(11);
    const members = (await segmentStore(t.store).memberships()).length;
    expect(seg.segments.reduce((s, g) => s + g.customers, 0)).toBe(members);
    // The one customer who joined segmentation by an event after the run has no cluster yet.
    expect(seg.clusters.reduce((s, c) => s + c.customers, 0)).toBeGreaterThanOrEqual(members - 1);
    const adv = (await (await get('/v1/advocates?limit=5')).json()) as {
      advocates: Array<{ score: number; reasons: string[] }>;
    };
    expect(adv.advocates).toHaveLength(5);
    expect(adv.advocates[0]!.score).toBeGreaterThanOrEqual(adv.advocates[4]!.score);
    expect(adv.advocates[0]!.reasons.length).toBeGreaterThan(0);
    const bad = await get('/v1/advocates?limit=0');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ path: string }> }).errors[0]!.path).toBe('limit');
    const badT = await get('/v1/segments/transitions?since=yesterday');
    expect(badT.status).toBe(400);
    const tr = await get('/v1/segments/transitions?since=2027-01-06&from=Lost');
    expect(((await tr.json()) as { transitions: unknown[] }).transitions.length).toBe(1);
    const st = (await (await get(`/v1/customers/${truth[0]!.userId}/send-time`)).json()) as { at: string };
    expect(Date.parse(st.at)).toBeGreaterThan(Date.parse('2027-01-05T12:00:00Z'));

    const profile = await findCustomerProfile(t.store, truth[0]!.userId, 'USD');
    expect(profile?.insights.segment?.segment).toBeTruthy();
    expect(profile?.insights.timing?.hoursOfWeek).toHaveLength(7);
    expect(profile?.insights.advocacy?.score).toBeGreaterThanOrEqual(0);
  });
});
