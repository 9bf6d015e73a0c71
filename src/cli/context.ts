/** The composition root for CLI commands: reads config once, opens and migrates the database. */
import { loadConfig, type Config } from '../config/load-config.js';
import { openStore, type Store } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export interface GlobalFlags {
  db?: string;
}

export class UsageError extends Error {}

export async function withStore<T>(
  flags: GlobalFlags,
  fn: (store: Store, config: Config) => Promise<T>,
  extra: { port?: string | number; host?: string } = {},
): Promise<T> {
  const config = loadConfig(process.env, { db: flags.db, ...extra });
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store);
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

export const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

export const money = (minor: number, currency: string): string =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(minor / 100);
