/**
 * The store's secret for signed links (unsubscribe tokens): created once, at random, and kept in
 * the settings table so every API and worker process signs and verifies with the same key.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';

const KEY = 'signing_secret';

export async function signingSecret(store: Store): Promise<string> {
  const read = async () =>
    (await store.db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst())?.value;
  const existing = await read();
  if (existing) return existing;
  await store.db
    .insertInto('settings')
    .values({ key: KEY, value: randomBytes(32).toString('base64url'), updated_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await read()) as string;
}
