/** Churn model versions and per-customer churn scores. */
import type { ChurnModelsTable, ChurnScoresTable, Store } from './database.js';
import { insertMany, writeTransaction } from './transaction.js';

export type ChurnModelRow = ChurnModelsTable;
export type ChurnScoreRow = ChurnScoresTable;

export interface ChurnStore {
  saveModel(row: ChurnModelRow): Promise<void>;
  /** The most recently trained model (by trained_at, then id), or null. */
  latestModel(): Promise<ChurnModelRow | null>;
  findModel(id: string): Promise<ChurnModelRow | null>;
  /** Replaces every stored churn score with `rows`, in one transaction. */
  replaceScores(pages: AsyncIterable<readonly ChurnScoreRow[]>): Promise<void>;
  findScore(customerId: string): Promise<ChurnScoreRow | null>;
}

export function churnStore(store: Store): ChurnStore {
  const db = store.db;
  return {
    async saveModel(row) {
      await db.insertInto('churn_models').values(row).execute();
    },
    async latestModel() {
      const row = await db
        .selectFrom('churn_models')
        .selectAll()
        .orderBy('trained_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ?? null;
    },
    async findModel(id) {
      return (
        (await db.selectFrom('churn_models').selectAll().where('id', '=', id).executeTakeFirst()) ?? null
      );
    },
    async replaceScores(pages) {
      await writeTransaction(store, async (tx) => {
        await tx.deleteFrom('churn_scores').execute();
        for await (const page of pages) await insertMany(tx, store.dialect, 'churn_scores', page);
      });
    },
    async findScore(customerId) {
      return (
        (await db
          .selectFrom('churn_scores')
          .selectAll()
          .where('customer_id', '=', customerId)
          .executeTakeFirst()) ?? null
      );
    },
  };
}
