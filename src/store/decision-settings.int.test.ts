import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { outboxWiring, journeyExperimentId } from '../app/decide-outbox.js';
import { loadExperiment } from '../app/experiments.js';
import {
  InvalidDecisioningSettingsError,
  loadDecisioningConfig,
  loadDecisioningSettings,
  saveDecisioningSettings,
} from './decision-repository.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');

describe.each(DATABASES)('decisioning settings on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('starts from the defaults, stores validated overrides, and the config applies them', async () => {
    expect(await loadDecisioningSettings(t.store)).toEqual({});
    const before = await loadDecisioningConfig(t.store);
    expect(before.experiments).toEqual({ journeyHoldout: 0.1, windowDays: 30, retainedDays: null });
    await saveDecisioningSettings(
      t.store,
      { churnRiskThreshold: 0.4, experiments: { journeyHoldout: 0.2, windowDays: 120, retainedDays: 60 } },
      NOW,
    );
    const config = await loadDecisioningConfig(t.store);
    expect(config.triggers.churnRiskThreshold).toBe(0.4);
    expect(config.experiments).toEqual({ journeyHoldout: 0.2, windowDays: 120, retainedDays: 60 });
    // Untouched settings keep their defaults.
    expect(config.guardrails).toEqual(before.guardrails);
  });

  it('refuses a bad field by its path and keeps what was stored', async () => {
    const bad = [
      { experiments: { windowDays: 20, retainedDays: 40 } },
      { experiments: { journeyHoldout: 1 } },
      { churnRiskThreshold: 2 },
      { nonsense: true },
    ];
    const paths = ['experiments.retainedDays', 'experiments.journeyHoldout', 'churnRiskThreshold', ''];
    for (const [i, input] of bad.entries()) {
      const e = await saveDecisioningSettings(t.store, input, NOW).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidDecisioningSettingsError);
      expect((e as InvalidDecisioningSettingsError).issues[0]?.path).toBe(paths[i]);
    }
    expect((await loadDecisioningSettings(t.store)).churnRiskThreshold).toBe(0.4);
  });

  it('defines the journey experiments from the store’s settings unless the caller overrides them', async () => {
    const config = await loadDecisioningConfig(t.store);
    await outboxWiring(t.store, config, { now: NOW });
    const save = await loadExperiment(t.store.db, journeyExperimentId('churn_save'));
    expect(save).toMatchObject({ holdout: 0.2, windowDays: 120, retainedDays: 60 });
  });
});
