import type { Kysely } from 'kysely';

/** Deliveries by time: the event-decision pass reads the recent ones (orders use `orders_time`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('order_updates_kind_time')
    .on('order_updates')
    .columns(['kind', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('order_updates_kind_time').execute();
}
