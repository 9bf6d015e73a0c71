/**
 * The whole loop, small: a synthetic store of 1,500 customers runs for simulated weeks with the
 * engine acting on it — triggers fire, decisions are stored, messages reach a real local SMTP
 * server exactly once, guardrails hold on what was actually sent, and the simulator's customers
 * respond to the matched churn saves and not to the win-back it makes useless. The statistical
 * figures (uplift with intervals) come from the big run, bench/loop.ts (docs/EXPERIMENTS.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentReport } from '../../src/app/experiment-report.js';
import { stableMessageId } from '../../src/app/outbox.js';
import { isInGlobalControl } from '../../src/domain/experiments/assignment.js';
import { defaultGuardrailConfig } from '../../src/domain/decisioning/guardrails.js';
import { inQuietHours, localWeek } from '../../src/domain/decisioning/local-time.js';
import { applyDecisioningSettings } from '../../src/domain/decisioning/config.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { runDecisionLoop, type LoopResult } from '../support/decision-loop.js';
import { loopSender } from '../support/loop-sender.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

/** The store's settings for this run: an earlier at-risk threshold reaches customers before they go. */
const loopConfig = applyDecisioningSettings({ churnRiskThreshold: 0.3 });

describe('the whole loop on the synthetic store (SQLite)', () => {
  let t: TestDatabase;
  let sink: SmtpSink;
  let result: LoopResult;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-loop-'));

  beforeAll(async () => {
    t = await createTestDatabase('sqlite');
    sink = await startSmtpSink({ keepRaw: false });
    result = await runDecisionLoop(t.store, {
      customers: 1500,
      seed: 11,
      weeks: 104,
      warmupWeeks: 64,
      actWeeks: 12,
      journeyHoldout: 0.5,
      windowDays: 56,
      send: await loopSender(t.store, sink.url, dir),
      config: loopConfig,
    });
  }, 180_000);
  afterAll(async () => {
    await sink.close();
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fires the rescore triggers and decides for them', () => {
    for (const type of ['churn_risk_crossed', 'churned', 'review_due'])
      expect(result.triggers[type] ?? 0).toBeGreaterThan(0);
    expect(result.weeks.filter((w) => w.decisions > 0).length).toBeGreaterThan(8);
  });

  it('delivers every sent email to the SMTP server exactly once', async () => {
    const sent = await t.store.db
      .selectFrom('outbox_messages')
      .select(['idempotency_key'])
      .where('status', '=', 'sent')
      .where('channel', '=', 'email')
      .execute();
    expect(sent.length).toBeGreaterThan(20);
    const counts = sink.counts();
    expect(sink.received.length).toBe(sent.length);
    for (const m of sent) expect(counts.get(stableMessageId(m.idempotency_key))).toBe(1);
  });

  it('holds the guardrails on what was actually queued and sent', async () => {
    const rows = await t.store.db
      .selectFrom('outbox_messages')
      .innerJoin('customers', 'customers.id', 'outbox_messages.customer_id')
      .select([
        'outbox_messages.customer_id',
        'purpose',
        'channel',
        'not_before',
        'status',
        'action_id',
        'customers.timezone',
      ])
      .execute();
    const consents = await t.store.db.selectFrom('consents').selectAll().execute();
    const consent = new Map(consents.map((c) => [`${c.customer_id}|${c.channel}|${c.purpose}`, c]));
    const perWeek = new Map<string, number>();
    for (const m of rows.filter((r) => r.purpose === 'marketing' && r.status === 'sent')) {
      const tz = m.timezone ?? 'UTC';
      const at = Date.parse(m.not_before);
      expect(isInGlobalControl(m.customer_id)).toBe(false);
      expect(inQuietHours(at, tz, defaultGuardrailConfig.quietHours)).toBe(false);
      const k = `${m.customer_id}|${localWeek(at, tz)}`;
      perWeek.set(k, (perWeek.get(k) ?? 0) + 1);
    }
    for (const n of perWeek.values()) expect(n).toBeLessThanOrEqual(defaultGuardrailConfig.weeklyCap.email!);
    // Consent: a marketing message either went to a consenting customer or was suppressed by the
    // sender because the consent was withdrawn after it was queued.
    for (const m of rows.filter((r) => r.purpose === 'marketing')) {
      if (m.status !== 'sent') continue;
      const c = consent.get(`${m.customer_id}|email|marketing`);
      expect(c).toBeDefined();
      // granted now, or withdrawn only after the message was due
      expect(Number(c!.granted) === 1 || c!.updated_at > m.not_before).toBe(true);
    }
    const skips = await t.store.db
      .selectFrom('decisions')
      .select('guardrail')
      .where('status', '=', 'skipped')
      .execute();
    expect(skips.some((s) => s.guardrail?.includes('no_consent'))).toBe(true);
  });

  it('reaches at-risk customers with matched saves, and saves only with matched actions, never with the win-back', () => {
    const saves = result.applied.filter((a) => a.actionId.startsWith('churn_save_'));
    // inside the simulator's at-risk window the action had its chance (saved or not)
    expect(saves.filter((a) => a.reason === 'saved' || a.reason === 'not_saved').length).toBeGreaterThan(0);
    for (const a of result.applied.filter((x) => x.saved)) expect(a.actionId).toMatch(/^churn_save_/);
    const winBacks = result.applied.filter((a) => a.actionId === 'win_back');
    expect(winBacks.length).toBeGreaterThan(0);
    expect(winBacks.filter((a) => a.saved)).toEqual([]);
  });

  it('reports the journeys’ experiments with intervals', async () => {
    const save = await experimentReport(t.store.db, 'exp_journey_churn_save', result.now);
    expect(save).not.toBeNull();
    const cmp = save!.report.comparisons[0]!;
    expect(cmp.purchaseUplift.upper).toBeGreaterThan(cmp.purchaseUplift.lower);
    expect(save!.exposures.mature).toBeGreaterThan(50);
  });
});
