import type { ApiKeyRecord, ApiKeyStore, Scope } from '../app/api-keys.js';
import type { ApiKeysTable, Store } from './database.js';

const toRecord = (r: ApiKeysTable): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes.split(',') as Scope[],
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export function apiKeyStore(store: Store): ApiKeyStore {
  return {
    async insert(record, hash) {
      await store.db
        .insertInto('api_keys')
        .values({
          id: record.id,
          name: record.name,
          prefix: record.prefix,
          hash,
          scopes: record.scopes.join(','),
          created_at: record.createdAt,
          revoked_at: null,
        })
        .execute();
    },
    async findByHash(hash) {
      const r = await store.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return r ? toRecord(r) : null;
    },
    async list() {
      return (await store.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(
        toRecord,
      );
    },
    async revoke(id, at) {
      const r = await store.db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
