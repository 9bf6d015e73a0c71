/**
 * The backends every storage and ingestion suite runs against (Kysely's DIALECTS pattern).
 * PATRON_TEST_DATABASES=sqlite (or postgres) narrows the list. Each call gives a fresh, empty,
 * migrated database — a temporary SQLite file or a PostgreSQL schema of its own — dropped on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type DialectName, type Store } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

export const PG_URL = process.env.PATRON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const DATABASES: DialectName[] = (process.env.PATRON_TEST_DATABASES ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is DialectName => s === 'sqlite' || s === 'postgres');

export interface TestDatabase {
  readonly store: Store;
  readonly url: string;
  /** Closes the connection and removes the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const suffix = randomBytes(6).toString('hex');
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patron-test-'));
    const url = `sqlite:${path.join(dir, 'patron.db')}`;
    const store = openStore(url);
    await migrateToLatest(store);
    return {
      store,
      url,
      drop: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `patron_test_${suffix}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const store = openStore(url);
  await migrateToLatest(store);
  return {
    store,
    url,
    drop: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
