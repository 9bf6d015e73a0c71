import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestBatch } from '../../app/ingest-events.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { eventStore } from '../../store/event-repository.js';
import { UsageError } from '../context.js';
import { runTextAnalyze, runTextAnalyzeStore, runTextThemes } from './text.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-text-cmd-'));

describe('text commands', () => {
  let t: TestDatabase;
  let stdout: string[];
  beforeAll(async () => {
    // The commands' store work is covered on both backends by src/app/text.int.test.ts.
    t = await createTestDatabase('sqlite');
    const events = ['2025-10-02', '2025-11-02', '2025-11-03', '2025-11-04', '2025-11-05'].map((day, i) => ({
      type: 'track',
      event: 'Product Reviewed',
      messageId: `r${i}`,
      userId: `u${i}`,
      timestamp: `${day}T10:00:00Z`,
      properties: { product_id: 'p1', rating: 1, review_body: 'Way too small, I had to send it back.' },
    }));
    await ingestBatch(eventStore(t.store), events, {
      currency: { baseCurrency: 'USD', rates: {} },
      receivedAt: '2025-12-01T00:00:00Z',
    });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t.drop();
  });

  it('analyses a file line by line, a blank line included, and refuses a missing file as a usage error', async () => {
    const file = path.join(dir, 'texts.txt');
    fs.writeFileSync(file, 'Great fit!\n\nArrived broken.');
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    expect(await runTextAnalyze(file, out)).toBe(3);
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { label: string });
    expect(lines.map((l) => l.label)).toEqual(['positive', 'neutral', 'negative']);
    await expect(runTextAnalyze(path.join(dir, 'nope.txt'), out)).rejects.toBeInstanceOf(UsageError);
  });

  it("analyses the store's reviews once and prints the theme trend with the rise", async () => {
    stdout = [];
    await runTextAnalyzeStore(t.store, { json: true }, () => new Date('2025-12-01T00:00:00Z'));
    expect(JSON.parse(stdout.join(''))).toMatchObject({ analyzed: 5 });
    stdout = [];
    await runTextAnalyzeStore(t.store, { json: true }, () => new Date('2025-12-01T00:00:00Z'));
    expect(JSON.parse(stdout.join(''))).toMatchObject({ analyzed: 0 });
    stdout = [];
    const r = await runTextThemes(t.store, { product: 'p1', from: '2025-10', to: '2025-11' }, new Date());
    expect(stdout.join('')).toMatch(/sizing\s+1\/1\s+4\/4/);
    expect(r.rising).toEqual([]); // 4 against 1: z = 1.34, within chance
    await expect(runTextThemes(t.store, { theme: 'colour' }, new Date())).rejects.toThrow(
      /--theme must be one of/,
    );
    await expect(runTextThemes(t.store, { from: '2025-11', to: '2025-10' }, new Date())).rejects.toThrow(
      /--from must not be after/,
    );
  });
});
