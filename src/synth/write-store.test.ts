import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeStore } from './index.js';

describe('writeStore', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the four files and returns a summary that matches them, identically for one seed', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'patron-synth-'));
    dirs.push(base);
    const progress: number[] = [];
    const a = await writeStore(path.join(base, 'a'), {
      customers: 200,
      seed: 3,
      weeks: 30,
      onProgress: (done, total) => {
        expect(total).toBe(30);
        progress.push(done);
      },
    });
    const b = await writeStore(path.join(base, 'b'), { customers: 200, seed: 3, weeks: 30 });
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const events = await readFile(path.join(base, 'a', 'events.jsonl'), 'utf8');
    const lines = events.trimEnd().split('\n');
    expect(a).toEqual({
      customers: 200,
      events: lines.length,
      orders: expect.any(Number),
      path: path.join(base, 'a'),
    });
    expect(a.orders).toBe(lines.filter((l) => l.includes('"event":"Order Completed"')).length);
    expect(events).toBe(await readFile(path.join(base, 'b', 'events.jsonl'), 'utf8'));
    expect(b.events).toBe(a.events);

    const truth = (await readFile(path.join(base, 'a', 'ground-truth.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(truth).toHaveLength(200);
    const first = JSON.parse(truth[0] as string);
    for (const key of [
      'userId',
      'anonymousId',
      'email',
      'timezone',
      'acquiredAt',
      'lambda',
      'p',
      'nu',
      'meanSpend',
    ]) {
      expect(first).toHaveProperty(key);
    }
    for (const key of ['preferredCategories', 'driver', 'churnTime', 'churned', 'orders'])
      expect(first).toHaveProperty(key);

    const params = JSON.parse(await readFile(path.join(base, 'a', 'ground-truth-params.json'), 'utf8'));
    expect(params).toMatchObject({ seed: 3, weeks: 30, horizonStart: '2025-01-06T00:00:00.000Z' });
    for (const key of ['r', 'alpha', 'a', 'b', 'p', 'q', 'gamma', 'horizonEnd', 'responseRule']) {
      expect(params).toHaveProperty(key);
    }
    const catalog = JSON.parse(await readFile(path.join(base, 'a', 'catalog.json'), 'utf8'));
    expect(catalog.length).toBeGreaterThanOrEqual(150);
    expect(catalog[0]).toHaveProperty('replenishmentDays');
  });
});
