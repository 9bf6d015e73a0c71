/** Analysed customer texts and their theme mentions (`patron text analyze-store`, theme trends). */
import type { TextStore } from '../app/text.js';
import { customerTextSignals, type CustomerTextSignals } from '../domain/models/text/aggregate.js';
import type { Store } from './database.js';
import { insertMany, writeTransaction } from './transaction.js';

export function textStore(store: Store): TextStore {
  const db = store.db;
  return {
    async pendingEvents(name, after, limit) {
      let q = db
        .selectFrom('events')
        .select(['events.message_id', 'events.name', 'events.timestamp', 'events.payload'])
        .where('events.name', '=', name)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('text_analyses')
                .select('text_analyses.message_id')
                .whereRef('text_analyses.message_id', '=', 'events.message_id'),
            ),
          ),
        );
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('events.timestamp', '>', after.timestamp),
            eb.and([
              eb('events.timestamp', '=', after.timestamp),
              eb('events.message_id', '>', after.messageId),
            ]),
          ]),
        );
      }
      const rows = await q.orderBy('events.timestamp').orderBy('events.message_id').limit(limit).execute();
      return rows.map((r) => ({ ...r, name: r.name ?? name }));
    },
    async saveAnalyses(rows, mentions) {
      if (rows.length === 0) return 0;
      return writeTransaction(store, async (tx) => {
        const inserted = await insertMany(tx, store.dialect, 'text_analyses', rows, {
          ignoreConflictOn: ['message_id'],
          returnKey: 'message_id',
        });
        // Mentions only of the analyses this transaction stored: a concurrent run that stored the
        // same text first has stored its mentions too.
        const fresh = new Set(inserted);
        await insertMany(
          tx,
          store.dialect,
          'text_theme_mentions',
          mentions.filter((m) => fresh.has(m.message_id)),
          { ignoreConflictOn: ['message_id', 'theme'] },
        );
        return inserted.length;
      });
    },
    async themeCounts(filter) {
      let q = db
        .selectFrom('text_theme_mentions')
        .select((eb) => [
          'product_id',
          'theme',
          'month',
          'polarity',
          eb.fn.countAll<number>().as('mentions'),
          eb.fn.sum<number>('score').as('score_sum'),
        ])
        .where('month', '>=', filter.from)
        .where('month', '<=', filter.to);
      if (filter.productId !== undefined) q = q.where('product_id', '=', filter.productId);
      if (filter.theme !== undefined) q = q.where('theme', '=', filter.theme);
      if (filter.source !== undefined) q = q.where('source', '=', filter.source);
      const rows = await q.groupBy(['product_id', 'theme', 'month', 'polarity']).execute();
      return rows.map((r) => ({
        productId: r.product_id,
        theme: r.theme,
        month: r.month,
        polarity: r.polarity,
        mentions: Number(r.mentions),
        scoreSum: Number(r.score_sum),
      }));
    },
    async customerTexts(customerId, since) {
      const rows = await db
        .selectFrom('events')
        .innerJoin('text_analyses', 'text_analyses.message_id', 'events.message_id')
        .select([
          'text_analyses.source',
          'text_analyses.occurred_at',
          'text_analyses.score',
          'text_analyses.label',
          'text_analyses.themes',
        ])
        .where('events.customer_id', '=', customerId)
        .where('events.timestamp', '>=', since)
        .orderBy('events.timestamp')
        .execute();
      return rows.map((r) => ({
        source: r.source,
        occurredAt: r.occurred_at,
        score: Number(r.score),
        label: r.label,
        themes: JSON.parse(r.themes) as Array<{ theme: string; polarity: string }>,
      }));
    },
  };
}

/** The profile's `text` section: the tone of all the customer's analysed texts. */
export type CustomerTextProfile = Omit<CustomerTextSignals, 'since'>;

export async function customerTextProfile(
  store: Store,
  customerId: string,
): Promise<CustomerTextProfile | null> {
  const rows = await textStore(store).customerTexts(customerId, '');
  if (rows.length === 0) return null;
  const { since: _since, ...rest } = customerTextSignals(rows, '');
  return rest;
}
