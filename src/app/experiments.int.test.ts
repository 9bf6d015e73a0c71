import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { createRandom } from '../domain/random.js';
import { isInGlobalControl } from '../domain/experiments/assignment.js';
import { experimentReport } from './experiment-report.js';
import {
  assignArm,
  banditPosteriors,
  ensureGlobalControlExperiment,
  defineExperiment,
  InvalidExperimentError,
  loadExperiment,
  recordExposure,
} from './experiments.js';

const now = new Date('2026-03-02T10:00:00.000Z');

describe.each(DATABASES)('experiments on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('defines an experiment once and reads it back with its defaults', async () => {
    const e = await defineExperiment(
      t.store.db,
      { id: 'exp_winback', name: 'Win-back holdout', kind: 'holdout', holdout: 0.2 },
      now,
    );
    expect(e).toMatchObject({
      id: 'exp_winback',
      kind: 'holdout',
      holdout: 0.2,
      windowDays: 30,
      status: 'running',
      variants: [{ name: 'treatment', weight: 1 }],
    });
    const again = await defineExperiment(
      t.store.db,
      { id: 'exp_winback', name: 'changed', kind: 'holdout', holdout: 0.5 },
      now,
    );
    expect(again.holdout).toBe(0.2);
    expect(await loadExperiment(t.store.db, 'exp_missing')).toBeNull();
  });

  it('refuses an invalid definition naming the field', async () => {
    await expect(
      defineExperiment(
        t.store.db,
        { id: 'bad id', name: 'x', kind: 'ab', holdout: 2, variants: [{ name: 'a' }] },
        now,
      ),
    ).rejects.toThrow(InvalidExperimentError);
    try {
      await defineExperiment(
        t.store.db,
        { id: 'bad id', name: 'x', kind: 'ab', holdout: 2, variants: [{ name: 'a' }] },
        now,
      );
    } catch (e) {
      expect((e as InvalidExperimentError).issues.map((i) => i.path).sort()).toEqual([
        'holdout',
        'id',
        'variants',
      ]);
    }
  });

  it('keeps the first exposure and its arm when a customer is exposed again', async () => {
    const first = await recordExposure(t.store.db, {
      experimentId: 'exp_winback',
      customerId: 'cus_1',
      variant: 'treatment',
      at: '2026-03-01T00:00:00Z',
    });
    const second = await recordExposure(t.store.db, {
      experimentId: 'exp_winback',
      customerId: 'cus_1',
      variant: 'control',
      at: '2026-03-05T00:00:00Z',
    });
    expect(first).toEqual({ variant: 'treatment', first: true });
    expect(second).toEqual({ variant: 'treatment', first: false });
  });

  it('assigns bandit arms by Thompson sampling after the deterministic holdout', async () => {
    const e = await defineExperiment(
      t.store.db,
      {
        id: 'exp_offer',
        name: 'Save offer',
        kind: 'bandit',
        holdout: 0.1,
        variants: [{ name: 'pct10' }, { name: 'free_shipping' }],
      },
      now,
    );
    await t.store.db
      .insertInto('bandit_arms')
      .values([
        {
          experiment_id: 'exp_offer',
          arm: 'pct10',
          pulls: 1000,
          successes: 100,
          updated_at: now.toISOString(),
        },
        {
          experiment_id: 'exp_offer',
          arm: 'free_shipping',
          pulls: 1000,
          successes: 20,
          updated_at: now.toISOString(),
        },
      ])
      .execute();
    const posteriors = await banditPosteriors(t.store.db, 'exp_offer');
    const random = createRandom(5);
    const arms = Array.from({ length: 400 }, (_, i) => assignArm(e, `cus_${i}`, { posteriors, random }));
    expect(arms.filter((a) => a === 'pct10').length).toBeGreaterThan(300);
    expect(arms.filter((a) => a === 'control').length).toBeGreaterThan(10);
    const treated = Array.from({ length: 50 }, (_, i) => `cus_${i}`).find(
      (c, i) => arms[i] !== 'control',
    ) as string;
    expect(() => assignArm(e, treated)).toThrow(/posteriors/);
  });

  it('reports the global control group as an experiment whose control arm is exactly that group', async () => {
    const e = await ensureGlobalControlExperiment(t.store.db, now);
    expect(e).toMatchObject({ id: 'exp_global_control', kind: 'global_control', holdout: 0.05 });
    for (let i = 0; i < 300; i++) {
      const id = `cus_gc${i}`;
      expect(assignArm(e, id) === 'control').toBe(isInGlobalControl(id));
    }
    const view = await experimentReport(t.store.db, 'exp_global_control', now);
    expect(view?.experiment.kind).toBe('global_control');
  });
});
