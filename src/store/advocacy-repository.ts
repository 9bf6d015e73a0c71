/** Advocacy scores (app/advocacy.ts): replaced as a whole by each run; the top N by score. */
import type { AdvocacyStore } from '../app/advocacy.js';
import type { Store } from './database.js';
import { insertMany, writeTransaction } from './transaction.js';

export function advocacyStore(store: Store): AdvocacyStore {
  return {
    async replace(rows) {
      await writeTransaction(store, async (tx) => {
        await tx.deleteFrom('customer_advocacy').execute();
        await insertMany(tx, store.dialect, 'customer_advocacy', rows);
      });
    },
    async top(limit) {
      const rows = await store.db
        .selectFrom('customer_advocacy as a')
        .innerJoin('customers as c', 'c.id', 'a.customer_id')
        .select([
          'a.customer_id',
          'a.computed_at',
          'a.score',
          'a.components',
          'a.reasons',
          'a.signals',
          'c.user_id',
        ])
        .where('c.merged_into', 'is', null)
        .orderBy('a.score', 'desc')
        .orderBy('a.customer_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, score: Number(r.score) }));
    },
  };
}
