/**
 * An in-process cache of the identity graph (key → customer, customer → id/userId/profile fields)
 * for the event writer, so that a bulk import or a busy API does not look up the same customers in
 * every batch.
 *
 * It is only trusted while no other writer has touched the graph: every write transaction reads a
 * generation counter (under the writers' lock), drops the cache when the counter moved, and bumps
 * the counter when it wrote. Entries are added only after a commit, so the cache never holds rows
 * that were rolled back. Anything else that rewrites identities or customers (erasure, manual merges)
 * must bump the generation too — see `bumpIdentityGeneration`.
 */
import type { BatchWrite, ProfileFields } from '../app/ports.js';
import type { KnownCustomer } from '../domain/profile/identity.js';
import type { Tx } from './transaction.js';

const GENERATION_KEY = 'identity_generation';
const MAX_KEYS = 2_000_000;

export class IdentityCache {
  generation = -1;
  readonly owners = new Map<string, string>();
  readonly customers = new Map<string, KnownCustomer>();
  readonly profiles = new Map<string, ProfileFields>();
  /** customer → the keys of theirs that are cached, to move them on a merge. */
  private readonly keysOf = new Map<string, Set<string>>();

  reset(generation: number): void {
    this.generation = generation;
    this.owners.clear();
    this.customers.clear();
    this.profiles.clear();
    this.keysOf.clear();
  }

  setOwner(key: string, customerId: string): void {
    if (this.owners.size >= MAX_KEYS) this.reset(this.generation);
    const previous = this.owners.get(key);
    if (previous !== undefined) this.keysOf.get(previous)?.delete(key);
    this.owners.set(key, customerId);
    let keys = this.keysOf.get(customerId);
    if (!keys) this.keysOf.set(customerId, (keys = new Set()));
    keys.add(key);
  }

  setCustomer(customer: KnownCustomer, profile: ProfileFields): void {
    this.customers.set(customer.id, customer);
    this.profiles.set(customer.id, profile);
  }

  /** Applies a committed batch. */
  apply(batch: BatchWrite): void {
    const { resolution } = batch;
    const profileById = new Map(batch.profiles.map((p) => [p.id, p]));
    for (const c of resolution.newCustomers) {
      const p = profileById.get(c.id);
      this.setCustomer(c, {
        email: p?.email ?? null,
        phone: p?.phone ?? null,
        timezone: p?.timezone ?? null,
        traitsJson: p?.traitsJson ?? null,
      });
    }
    for (const m of resolution.merges) {
      for (const key of [...(this.keysOf.get(m.from) ?? [])]) this.setOwner(key, m.into);
      this.keysOf.delete(m.from);
      this.customers.delete(m.from);
      this.profiles.delete(m.from);
      // The survivor's fields may have changed in ways this batch does not describe: reload it.
      this.customers.delete(m.into);
      this.profiles.delete(m.into);
    }
    for (const l of resolution.links) this.setOwner(l.key, l.customerId);
    for (const p of batch.profiles) {
      if (this.customers.has(p.id)) this.profiles.set(p.id, p);
    }
    for (const u of resolution.userIds) {
      const c = this.customers.get(u.customerId);
      if (c) this.customers.set(c.id, { ...c, userId: u.userId });
    }
  }
}

export async function readIdentityGeneration(tx: Tx): Promise<number> {
  const row = await tx
    .selectFrom('settings')
    .select('value')
    .where('key', '=', GENERATION_KEY)
    .executeTakeFirst();
  return row ? Number(row.value) : 0;
}

/** Marks the identity graph as changed, so every process drops its cached copy. */
export async function bumpIdentityGeneration(tx: Tx, next: number, now: string): Promise<void> {
  await tx
    .insertInto('settings')
    .values({ key: GENERATION_KEY, value: String(next), updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(next), updated_at: now }))
    .execute();
}
