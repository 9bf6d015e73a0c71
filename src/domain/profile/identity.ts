/**
 * Identity resolution: userId, anonymousId, email and phone are identity keys; a customer owns
 * the keys that events have linked to them. An event whose keys belong to several customers merges
 * them into the oldest one (the merge is recorded), except that one customer never holds two
 * different userIds — two known people who share an email or a device stay two customers.
 *
 * Pure: given the keys already known (loaded by the caller for this batch) and a batch of events,
 * it returns the decisions — new customers, new links, merges — for the caller to persist.
 */
import type { Identity } from '../events/normalize.js';

export type IdentityKind = 'user' | 'anon' | 'email' | 'phone';
/** `kind:value`, e.g. `user:u_42`, `email:ann@example.com`. */
export type IdentityKey = string;

export interface KnownCustomer {
  readonly id: string;
  readonly userId: string | null;
  /** First time the customer was seen (ISO UTC); the older customer survives a merge. */
  readonly createdAt: string;
}

export interface IdentityState {
  /** Every known key relevant to this batch and the customer that owns it. */
  readonly owners: ReadonlyMap<IdentityKey, string>;
  /** The customers those keys point to. */
  readonly customers: ReadonlyMap<string, KnownCustomer>;
}

export interface ResolvableEvent {
  readonly messageId: string;
  readonly timestamp: string;
  readonly identity: Identity;
}

export interface Merge {
  readonly from: string;
  readonly into: string;
  readonly at: string;
  readonly messageId: string;
  /** The keys of the event that linked the two customers. */
  readonly keys: readonly IdentityKey[];
}

export interface Resolution {
  /** The (surviving) customer of each event, in input order. */
  readonly customerIds: readonly string[];
  readonly newCustomers: readonly KnownCustomer[];
  /** Keys to link to a customer (new keys; keys moved by a merge are covered by `merges`). */
  readonly links: ReadonlyArray<{ readonly key: IdentityKey; readonly customerId: string }>;
  /** Merges in the order they must be applied. */
  readonly merges: readonly Merge[];
  /** Customers that gained a userId. */
  readonly userIds: ReadonlyArray<{ readonly customerId: string; readonly userId: string }>;
}

export const identityKey = (kind: IdentityKind, value: string): IdentityKey => `${kind}:${value}`;

/** The keys an event carries, strongest first. An alias's previousId may be a userId or an anonymousId. */
export function identityKeys(identity: Identity): IdentityKey[] {
  const keys: IdentityKey[] = [];
  if (identity.userId !== undefined) keys.push(identityKey('user', identity.userId));
  if (identity.anonymousId !== undefined) keys.push(identityKey('anon', identity.anonymousId));
  if (identity.email !== undefined) keys.push(identityKey('email', identity.email));
  if (identity.phone !== undefined) keys.push(identityKey('phone', identity.phone));
  return keys;
}

/** Keys to look up before resolving (includes both readings of an alias's previousId). */
export function lookupKeys(identity: Identity): IdentityKey[] {
  const keys = identityKeys(identity);
  if (identity.previousId !== undefined) {
    keys.push(identityKey('user', identity.previousId), identityKey('anon', identity.previousId));
  }
  return keys;
}

const older = (a: KnownCustomer, b: KnownCustomer): boolean =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/** Resolves a batch of events to customers. `newCustomerId` makes ids for customers first seen here. */
export function resolveIdentities(
  state: IdentityState,
  events: readonly ResolvableEvent[],
  newCustomerId: () => string,
): Resolution {
  const owners = new Map(state.owners);
  const customers = new Map(state.customers);
  const mergedInto = new Map<string, string>();
  const links: Array<{ key: IdentityKey; customerId: string }> = [];
  const merges: Merge[] = [];
  const assigned: string[] = [];

  const live = (id: string): string => {
    let cur = id;
    for (let next = mergedInto.get(cur); next !== undefined; next = mergedInto.get(cur)) cur = next;
    return cur;
  };
  const customer = (id: string): KnownCustomer => {
    const c = customers.get(id);
    if (!c) throw new Error(`identity state is missing customer ${id}`);
    return c;
  };

  for (const ev of events) {
    const keys = identityKeys(ev.identity);
    const userKey = ev.identity.userId === undefined ? undefined : identityKey('user', ev.identity.userId);
    const linked = new Set<string>();
    for (const key of lookupKeys(ev.identity)) {
      const owner = owners.get(key);
      if (owner !== undefined) linked.add(live(owner));
    }
    const userOwner = userKey === undefined ? undefined : owners.get(userKey);

    // Customers this event may join: all linked ones whose userId does not conflict with the event's.
    const compatible = [...linked]
      .map(customer)
      .filter(
        (c) => c.userId === null || ev.identity.userId === undefined || c.userId === ev.identity.userId,
      );
    // Among them, at most one distinct userId may end up in the merged customer.
    const anchorUserId = ev.identity.userId ?? compatible.find((c) => c.userId !== null)?.userId ?? null;
    const group = compatible.filter((c) => c.userId === null || c.userId === anchorUserId);

    let target: KnownCustomer;
    if (group.length === 0) {
      target = { id: newCustomerId(), userId: null, createdAt: ev.timestamp };
      customers.set(target.id, target);
    } else {
      target = group.reduce((a, b) => (older(a, b) ? a : b));
      for (const c of group) {
        if (c.id === target.id) continue;
        mergedInto.set(c.id, target.id);
        merges.push({ from: c.id, into: target.id, at: ev.timestamp, messageId: ev.messageId, keys });
        for (const [key, owner] of owners) if (owner === c.id) owners.set(key, target.id);
        if (c.userId !== null && target.userId === null) {
          target = { ...target, userId: c.userId };
          customers.set(target.id, target);
        }
      }
    }
    if (userOwner === undefined && ev.identity.userId !== undefined && target.userId === null) {
      target = { ...target, userId: ev.identity.userId };
      customers.set(target.id, target);
    }

    for (const key of keys) {
      if (owners.has(key)) continue;
      owners.set(key, target.id);
      links.push({ key, customerId: target.id });
    }
    if (ev.identity.previousId !== undefined) {
      const prevKeys = [
        identityKey('user', ev.identity.previousId),
        identityKey('anon', ev.identity.previousId),
      ];
      if (!prevKeys.some((k) => owners.has(k))) {
        const key = prevKeys[1] as IdentityKey;
        owners.set(key, target.id);
        links.push({ key, customerId: target.id });
      }
    }
    assigned.push(target.id);
  }

  // Every customer created here gets a row, also one merged away later in the batch (the merge
  // record points at it); known customers that gained a userId are updated.
  const newCustomers: KnownCustomer[] = [];
  const userIds: Array<{ customerId: string; userId: string }> = [];
  for (const c of customers.values()) {
    const before = state.customers.get(c.id);
    if (!before) newCustomers.push(c);
    else if (c.userId !== null && before.userId !== c.userId)
      userIds.push({ customerId: c.id, userId: c.userId });
  }

  return {
    customerIds: assigned.map(live),
    newCustomers,
    links: links.map((l) => ({ key: l.key, customerId: live(l.customerId) })),
    merges,
    userIds,
  };
}
