/**
 * Persists ingested events and the facts derived from them (orders, order lines, order updates,
 * consent), the identity graph and customer merges. Implements the EventStore port.
 */
import { randomBytes } from 'node:crypto';
import type { BatchWrite, EventBatchWriter, EventStore, ProfileFields } from '../app/ports.js';
import type { NormalizedEvent, OrderFact } from '../domain/events/normalize.js';
import type { KnownCustomer } from '../domain/profile/identity.js';
import type { Insertable, Updateable } from 'kysely';
import type { ConsentsTable, CustomersTable, DialectName, OrderUpdatesTable, Store } from './database.js';
import { bumpIdentityGeneration, IdentityCache, readIdentityGeneration } from './identity-cache.js';
import { chunks, inList, insertMany, writeTransaction, type Tx } from './transaction.js';
import { segmentWriteTx } from './segment-repository.js';

/** Tables whose rows belong to a customer and move with them when two customers merge. */
const CUSTOMER_OWNED = ['events', 'orders', 'order_updates'] as const;

export function eventStore(store: Store): EventStore {
  const cache = new IdentityCache();
  return {
    async inWriteTransaction(fn) {
      const written: BatchWrite[] = [];
      let generation = -1;
      try {
        const result = await writeTransaction(store, async (tx) => {
          generation = await readIdentityGeneration(tx);
          if (generation !== cache.generation) cache.reset(generation);
          const r = await fn(batchWriter(tx, store.dialect, cache, written));
          if (written.length > 0) {
            generation += 1;
            await bumpIdentityGeneration(tx, generation, written[0]?.receivedAt ?? new Date().toISOString());
          }
          return r;
        });
        if (written.length > 0 && cache.generation === generation - 1) {
          for (const b of written) cache.apply(b);
          cache.generation = generation;
        }
        return result;
      } catch (e) {
        cache.reset(-1);
        throw e;
      }
    },
  };
}

function batchWriter(
  tx: Tx,
  dialect: DialectName,
  cache: IdentityCache,
  written: BatchWrite[],
): EventBatchWriter {
  return {
    async existingMessageIds(ids) {
      const found = new Set<string>();
      for (const part of chunks(ids, 512)) {
        const rows = await tx
          .selectFrom('events')
          .select('message_id')
          .where('message_id', 'in', inList(part))
          .execute();
        for (const r of rows) found.add(r.message_id);
      }
      return found;
    },

    async loadIdentities(keys) {
      const owners = new Map<string, string>();
      const missing: string[] = [];
      for (const key of keys) {
        const owner = cache.owners.get(key);
        if (owner === undefined) missing.push(key);
        else owners.set(key, owner);
      }
      for (const part of chunks(missing, 512)) {
        const rows = await tx
          .selectFrom('identities')
          .select(['key', 'customer_id'])
          .where('key', 'in', inList(part))
          .execute();
        for (const r of rows) {
          owners.set(r.key, r.customer_id);
          cache.setOwner(r.key, r.customer_id);
        }
      }
      const customers = new Map<string, KnownCustomer>();
      const profiles = new Map<string, ProfileFields>();
      const unknown: string[] = [];
      for (const id of new Set(owners.values())) {
        const c = cache.customers.get(id);
        const p = cache.profiles.get(id);
        if (c && p) {
          customers.set(id, c);
          profiles.set(id, p);
        } else unknown.push(id);
      }
      for (const part of chunks(unknown, 512)) {
        const rows = await tx
          .selectFrom('customers')
          .select(['id', 'user_id', 'created_at', 'email', 'phone', 'timezone', 'traits'])
          .where('id', 'in', inList(part))
          .execute();
        for (const r of rows) {
          const customer = { id: r.id, userId: r.user_id, createdAt: r.created_at };
          const profile = { email: r.email, phone: r.phone, timezone: r.timezone, traitsJson: r.traits };
          customers.set(r.id, customer);
          profiles.set(r.id, profile);
          cache.setCustomer(customer, profile);
        }
      }
      return { state: { owners, customers }, profiles };
    },

    async write(batch) {
      await writeBatch(tx, dialect, batch);
      written.push(batch);
    },

    segments: () => segmentWriteTx(tx, dialect),

    async recordImportChunk(progress, rejects) {
      await tx
        .updateTable('import_runs')
        .set({
          lines_done: progress.linesDone,
          accepted: progress.accepted,
          duplicates: progress.duplicates,
          rejected: progress.rejected,
          status: progress.status,
          updated_at: progress.updatedAt,
        })
        .where('id', '=', progress.runId)
        .execute();
      for (const part of chunks(rejects, 300)) {
        await tx
          .insertInto('import_rejects')
          .values(
            part.map((r) => ({ run_id: progress.runId, line: r.line, reason: r.reason, content: r.content })),
          )
          .onConflict((oc) => oc.columns(['run_id', 'line']).doNothing())
          .execute();
      }
    },
  };
}

async function writeBatch(tx: Tx, dialect: DialectName, batch: BatchWrite): Promise<void> {
  const { resolution, receivedAt } = batch;
  const profileById = new Map(batch.profiles.map((p) => [p.id, p]));
  const isNew = new Set(resolution.newCustomers.map((c) => c.id));

  await insertMany(
    tx,
    dialect,
    'customers',
    resolution.newCustomers.map((c) => {
      const p = profileById.get(c.id);
      return {
        id: c.id,
        user_id: c.userId,
        email: p?.email ?? null,
        phone: p?.phone ?? null,
        timezone: p?.timezone ?? null,
        traits: p?.traitsJson ?? null,
        created_at: c.createdAt,
        merged_into: null,
      };
    }),
  );
  // One UPDATE per known customer whose profile fields or userId changed.
  const changes = new Map<string, Updateable<CustomersTable>>();
  for (const p of batch.profiles) {
    if (isNew.has(p.id)) continue;
    changes.set(p.id, { email: p.email, phone: p.phone, timezone: p.timezone, traits: p.traitsJson });
  }
  for (const u of resolution.userIds) {
    if (isNew.has(u.customerId)) continue;
    changes.set(u.customerId, { ...changes.get(u.customerId), user_id: u.userId });
  }
  for (const [id, set] of changes) await tx.updateTable('customers').set(set).where('id', '=', id).execute();

  const createdAtOf = new Map(batch.events.map((e) => [e.customerId, e.event.timestamp]));
  await insertMany(
    tx,
    dialect,
    'identities',
    resolution.links.map((l) => {
      const colon = l.key.indexOf(':');
      return {
        key: l.key,
        kind: l.key.slice(0, colon),
        value: l.key.slice(colon + 1),
        customer_id: l.customerId,
        created_at: createdAtOf.get(l.customerId) ?? receivedAt,
      };
    }),
    { ignoreConflictOn: ['key'] },
  );

  for (const m of resolution.merges) {
    await tx
      .updateTable('identities')
      .set({ customer_id: m.into })
      .where('customer_id', '=', m.from)
      .execute();
    for (const table of CUSTOMER_OWNED) {
      await tx.updateTable(table).set({ customer_id: m.into }).where('customer_id', '=', m.from).execute();
    }
    await mergeConsents(tx, m.from, m.into);
    await tx
      .updateTable('customers')
      .set({ merged_into: m.into, user_id: null })
      .where('id', '=', m.from)
      .execute();
    await tx
      .insertInto('customer_merges')
      .values({
        id: `mrg_${randomBytes(8).toString('hex')}`,
        from_customer_id: m.from,
        into_customer_id: m.into,
        at: m.at,
        message_id: m.messageId,
        keys: JSON.stringify(m.keys),
      })
      .execute();
  }

  await insertMany(
    tx,
    dialect,
    'events',
    batch.events.map(({ event, customerId }) => ({
      message_id: event.messageId,
      type: event.type,
      name: event.name,
      known: event.known ? 1 : 0,
      customer_id: customerId,
      timestamp: event.timestamp,
      received_at: receivedAt,
      payload: JSON.stringify(event.payload),
    })),
  );

  await writeFacts(tx, dialect, batch);
}

async function writeFacts(tx: Tx, dialect: DialectName, batch: BatchWrite): Promise<void> {
  const orders = new Map<string, { fact: OrderFact; event: NormalizedEvent; customerId: string }>();
  const updates: Array<Insertable<OrderUpdatesTable>> = [];
  const consents = new Map<string, ConsentsTable>();

  for (const { event, customerId } of batch.events) {
    for (const fact of event.facts) {
      switch (fact.kind) {
        case 'order':
          if (!orders.has(fact.orderId)) orders.set(fact.orderId, { fact, event, customerId });
          break;
        case 'order_update':
          updates.push({
            message_id: event.messageId,
            order_id: fact.orderId,
            customer_id: customerId,
            kind: fact.update,
            at: event.timestamp,
            amount_minor: fact.amount?.amountMinor ?? null,
            currency: fact.amount?.currency ?? null,
            base_amount_minor: fact.amount?.baseMinor ?? null,
            reason: fact.reason,
          });
          break;
        case 'consent': {
          const key = `${customerId}|${fact.channel}|${fact.purpose}`;
          const prev = consents.get(key);
          if (!prev || prev.updated_at <= event.timestamp) {
            consents.set(key, {
              customer_id: customerId,
              channel: fact.channel,
              purpose: fact.purpose,
              granted: fact.granted ? 1 : 0,
              updated_at: event.timestamp,
              message_id: event.messageId,
            });
          }
          break;
        }
        default: {
          const _exhaustive: never = fact;
          throw new Error(`unknown fact ${JSON.stringify(_exhaustive)}`);
        }
      }
    }
  }

  const allOrders = [...orders.values()];
  const inserted = new Set(
    await insertMany(tx, dialect, 'orders', allOrders.map(orderRow), {
      ignoreConflictOn: ['order_id'],
      returnKey: 'order_id',
    }),
  );
  const lines = allOrders
    .filter((o) => inserted.has(o.fact.orderId))
    .flatMap((o) =>
      o.fact.lines.map((l) => ({
        order_id: o.fact.orderId,
        line_no: l.lineNo,
        product_id: l.productId,
        sku: l.sku,
        name: l.name,
        category: l.category,
        price_minor: l.priceMinor,
        base_price_minor: l.basePriceMinor,
        quantity: l.quantity,
      })),
    );
  await insertMany(tx, dialect, 'order_lines', lines);
  await insertMany(tx, dialect, 'order_updates', updates, { ignoreConflictOn: ['message_id'] });

  for (const part of chunks([...consents.values()], 300)) await upsertLatestConsents(tx, part, '>=');
}

/**
 * Writes consent rows, keeping per (customer, channel, purpose) the most recent change: an
 * incoming row replaces a stored one when it is newer (`>`), or also when equally recent (`>=`).
 */
async function upsertLatestConsents(
  tx: Tx,
  rows: ReadonlyArray<Insertable<ConsentsTable>>,
  replaceWhen: '>' | '>=',
): Promise<void> {
  await tx
    .insertInto('consents')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['customer_id', 'channel', 'purpose'])
        .doUpdateSet((eb) => ({
          granted: eb.ref('excluded.granted'),
          updated_at: eb.ref('excluded.updated_at'),
          message_id: eb.ref('excluded.message_id'),
        }))
        .whereRef('excluded.updated_at', replaceWhen, 'consents.updated_at'),
    )
    .execute();
}

function orderRow({
  fact,
  event,
  customerId,
}: {
  fact: OrderFact;
  event: NormalizedEvent;
  customerId: string;
}) {
  return {
    order_id: fact.orderId,
    customer_id: customerId,
    message_id: event.messageId,
    placed_at: event.timestamp,
    currency: fact.currency,
    total_minor: fact.totalMinor,
    base_total_minor: fact.baseTotalMinor,
    revenue_minor: fact.revenueMinor,
    discount_minor: fact.discountMinor,
    base_discount_minor: fact.baseDiscountMinor,
    shipping_minor: fact.shippingMinor,
    tax_minor: fact.taxMinor,
    coupon: fact.coupon,
    item_count: fact.lines.reduce((s, l) => s + l.quantity, 0),
  };
}

/** Moves consent rows to the surviving customer; where both have one, the most recent wins. */
async function mergeConsents(tx: Tx, from: string, into: string): Promise<void> {
  const moving = await tx.selectFrom('consents').selectAll().where('customer_id', '=', from).execute();
  if (moving.length === 0) return;
  await tx.deleteFrom('consents').where('customer_id', '=', from).execute();
  await upsertLatestConsents(
    tx,
    moving.map((c) => ({ ...c, customer_id: into })),
    '>',
  );
}
