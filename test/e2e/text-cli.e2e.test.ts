/** `patron text analyze -` as a user runs it: lines in on standard input, JSON lines out. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;

describe('patron text analyze', () => {
  it('reads one text per line from standard input and writes one JSON object per line', () => {
    const lines = ['Runs small, but the quality is great!', '', 'Shipping took forever :('];
    const r = spawnSync(
      process.execPath,
      ['--import', tsx, path.join(root, 'src/cli/main.ts'), 'text', 'analyze', '-'],
      {
        encoding: 'utf8',
        input: `${lines.join('\n')}\n`,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { score: number; label: string; themes: unknown[] });
    expect(out.map((o) => o.label)).toEqual(['positive', 'neutral', 'negative']);
    expect(out[0]?.themes).toEqual([
      expect.objectContaining({ theme: 'sizing', polarity: 'negative' }),
      expect.objectContaining({ theme: 'quality', polarity: 'positive' }),
    ]);
  });
});
