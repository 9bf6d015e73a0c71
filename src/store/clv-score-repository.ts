/** Per-customer CLV predictions: replaced as a whole by `patron score`, read into the profile. */
import type { Selectable } from 'kysely';
import type { ClvScoresTable, Store } from './database.js';
import { insertMany, writeTransaction } from './transaction.js';

/** One customer's stored predictions (see ClvScoresTable; money in base minor units). */
export type ClvScoreRow = Selectable<ClvScoresTable>;

export interface ClvScoreStore {
  /** Deletes every stored score and writes `rows`, in one transaction (re-scoring replaces). */
  replaceAll(rows: readonly ClvScoreRow[]): Promise<void>;
  find(customerId: string): Promise<ClvScoreRow | null>;
}

export function clvScoreStore(store: Store): ClvScoreStore {
  return {
    async replaceAll(rows) {
      await writeTransaction(store, async (tx) => {
        await tx.deleteFrom('clv_scores').execute();
        await insertMany(tx, store.dialect, 'clv_scores', rows);
      });
    },
    async find(customerId) {
      const row = await store.db
        .selectFrom('clv_scores')
        .selectAll()
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      return row ?? null;
    },
  };
}
