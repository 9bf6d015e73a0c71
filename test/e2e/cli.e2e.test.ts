/** The `patron` command as a user runs it: exit codes, messages, files it writes. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
// The CLI runs from source through tsx's loader, from a temporary working directory.
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-cli-'));
const db = `sqlite:${path.join(dir, 'patron.db')}`;

function patron(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATRON_DATABASE_URL: db },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('patron CLI', () => {
  it('creates an API key, prints the secret once and stores only a hash', () => {
    const r = patron('keys', 'create', '--name', 'storefront', '--scopes', 'ingest,read', '--json');
    expect(r.status, r.stderr).toBe(0);
    const key = JSON.parse(r.stdout) as { secret: string; scopes: string[] };
    expect(key.scopes).toEqual(['ingest', 'read']);
    expect(key.secret).toMatch(/^ptr_/);
    const list = patron('keys', 'list', '--json');
    expect(list.stdout).not.toContain(key.secret);
  });

  it('refuses an unknown scope with exit code 2 and says which', () => {
    const r = patron('keys', 'create', '--name', 'x', '--scopes', 'ingest,write');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"write" is not a scope');
  });

  it('imports orders, writes rejected lines with line numbers, and exits 1 when some were rejected', () => {
    patron('settings', 'set', '--rate', 'EUR=1.1');
    const r = patron(
      'import',
      path.join(root, 'test/fixtures/orders.csv'),
      '--format',
      'orders-csv',
      '--rejects',
      path.join(dir, 'rejects.jsonl'),
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('3 events stored');
    expect(r.stdout).toContain('2 rejected');
    const rejects = fs
      .readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number });
    expect(rejects.map((x) => x.line)).toEqual([5, 6]);
    const again = patron(
      'import',
      path.join(root, 'test/fixtures/orders.csv'),
      '--format',
      'orders-csv',
      '--rejects',
      path.join(dir, 'rejects.jsonl'),
    );
    expect(again.stdout).toContain('already imported');
    const report = JSON.parse(patron('report', '--json').stdout) as {
      stats: { orders: number };
      clv: unknown;
    };
    expect(report.stats.orders).toBe(3);
    expect(report.clv).toBeNull();
    const profile = patron('customers', 'show', 'c1');
    expect(JSON.parse(profile.stdout)).toMatchObject({ orders: { count: 1, revenueMinor: 2933 } });
  });

  it('names the setting when the database URL is wrong', () => {
    const r = patron('--db', 'mysql://x', 'migrate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--db / PATRON_DATABASE_URL: must start with sqlite: or postgres://');
  });

  it('rejects an unknown import format with the list of formats', () => {
    const r = patron('import', 'x.csv', '--format', 'xlsx');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('events-jsonl, orders-csv, shopify-orders-csv, cdnow');
  });

  it('generates the same store twice for the same seed', () => {
    const generate = (out: string) =>
      patron('generate', '--customers', '50', '--seed', '9', '--weeks', '20', '--out', path.join(dir, out));
    const a = generate('a');
    const b = generate('b');
    expect(a.status, a.stderr).toBe(0);
    expect(b.status).toBe(0);
    const read = (d: string) => fs.readFileSync(path.join(dir, d, 'events.jsonl'), 'utf8');
    expect(read('a')).toBe(read('b'));
    expect(read('a').length).toBeGreaterThan(1000);
  });
});
