/**
 * Ingest a batch of events: validate every one, and only if all are valid, resolve identities and
 * store them in one transaction. `messageId` is the idempotency key: an event already stored is
 * skipped (and counted as a duplicate), so replaying a file or a request changes nothing.
 */
import { randomBytes, createHash } from 'node:crypto';
import { normalizeEvent, type NormalizedEvent, type ValidationIssue } from '../domain/events/normalize.js';
import type { CurrencySettings } from '../domain/money/money.js';
import { lookupKeys, resolveIdentities, type Resolution } from '../domain/profile/identity.js';
import type { Result } from '../domain/result.js';
import { err, ok } from '../domain/result.js';
import type { CustomerRowUpdate, EventBatchWriter, EventStore, ProfileFields } from './ports.js';
import { updateSegmentsAfterEvents, type SegmentCause } from './segments.js';

export interface EventIssue extends ValidationIssue {
  /** Position of the event in the batch (0-based). */
  readonly index: number;
}

export interface IngestSummary {
  readonly accepted: number;
  readonly duplicates: number;
}

export const newCustomerId = (): string => `cus_${randomBytes(10).toString('hex')}`;
export const deriveMessageId = (canonicalJson: string): string =>
  `auto-${createHash('sha256').update(canonicalJson).digest('hex').slice(0, 32)}`;

export interface NormalizeBatchOptions {
  readonly currency: CurrencySettings;
  readonly receivedAt: string;
  readonly batchContext?: Readonly<Record<string, unknown>>;
}

/** Validates every event; returns all issues with their index, or the normalised events. */
export function normalizeBatch(
  raw: readonly unknown[],
  options: NormalizeBatchOptions,
): Result<NormalizedEvent[], EventIssue[]> {
  const events: NormalizedEvent[] = [];
  const issues: EventIssue[] = [];
  const ctx = { ...options, deriveMessageId };
  raw.forEach((r, index) => {
    const n = normalizeEvent(r, ctx);
    if (n.ok) events.push(n.value);
    else for (const i of n.error) issues.push({ ...i, index });
  });
  return issues.length > 0 ? err(issues) : ok(events);
}

/** Stores already-validated events exactly once each, in one transaction. */
export async function storeEvents(
  store: EventStore,
  events: readonly NormalizedEvent[],
  receivedAt: string,
  /** More writes that must commit or fail together with these events (e.g. an import checkpoint). */
  alsoInTransaction?: (w: EventBatchWriter, summary: IngestSummary) => Promise<void>,
): Promise<IngestSummary> {
  if (events.length === 0 && !alsoInTransaction) return { accepted: 0, duplicates: 0 };
  return store.inWriteTransaction(async (w) => {
    const summary = await writeFresh(w, events, receivedAt);
    if (alsoInTransaction) await alsoInTransaction(w, summary);
    return summary;
  });
}

/** Skips events already stored, resolves identities, and writes the rest with their facts. */
async function writeFresh(
  w: EventBatchWriter,
  events: readonly NormalizedEvent[],
  receivedAt: string,
): Promise<IngestSummary> {
  const unique = new Map<string, NormalizedEvent>();
  for (const e of events) if (!unique.has(e.messageId)) unique.set(e.messageId, e);
  const existing = unique.size === 0 ? new Set<string>() : await w.existingMessageIds([...unique.keys()]);
  const fresh = [...unique.values()].filter((e) => !existing.has(e.messageId));
  if (fresh.length === 0) return { accepted: 0, duplicates: events.length };

  const keys = new Set<string>();
  for (const e of fresh) for (const k of lookupKeys(e.identity)) keys.add(k);
  const { state, profiles } = await w.loadIdentities([...keys]);
  const resolution = resolveIdentities(state, fresh, newCustomerId);

  const updates = profileUpdates(fresh, resolution.customerIds, profiles);
  await w.write({
    events: fresh.map((event, i) => ({ event, customerId: resolution.customerIds[i] as string })),
    resolution,
    profiles: updates,
    receivedAt,
  });
  if (w.segments) {
    const { causes, mergedAway } = segmentCauses(fresh, resolution);
    if (causes.length > 0 || mergedAway.length > 0)
      await updateSegmentsAfterEvents(w.segments(), causes, mergedAway, receivedAt);
  }
  return { accepted: fresh.length, duplicates: events.length - fresh.length };
}

/**
 * The customers whose R/F/M the batch may have changed — an order, a refund or a cancellation,
 * or a merge (the survivor gains the other's orders) — with the latest such event of each.
 */
export function segmentCauses(
  events: readonly NormalizedEvent[],
  resolution: Pick<Resolution, 'customerIds' | 'merges'>,
): { causes: SegmentCause[]; mergedAway: string[] } {
  const into = new Map<string, string>();
  for (const m of resolution.merges) into.set(m.from, m.into);
  const live = (id: string): string => {
    let cur = id;
    for (let n = into.get(cur), hops = 0; n !== undefined && hops < 100; n = into.get(cur), hops++) cur = n;
    return cur;
  };
  const latest = new Map<string, SegmentCause>();
  const note = (customerId: string, messageId: string, at: number): void => {
    const prev = latest.get(customerId);
    if (!prev || at >= prev.at) latest.set(customerId, { customerId, messageId, at });
  };
  events.forEach((e, i) => {
    const moves = e.facts.some(
      (f) =>
        f.kind === 'order' ||
        (f.kind === 'order_update' && (f.update === 'refunded' || f.update === 'cancelled')),
    );
    if (moves) note(live(resolution.customerIds[i] as string), e.messageId, Date.parse(e.timestamp));
  });
  for (const m of resolution.merges) note(live(m.into), m.messageId, Date.parse(m.at));
  const mergedAway = [...into.keys()];
  for (const id of mergedAway) latest.delete(id);
  return { causes: [...latest.values()], mergedAway };
}

/** Latest email, phone, time zone and traits per customer, only where they differ from what is stored. */
function profileUpdates(
  events: readonly NormalizedEvent[],
  customerIds: readonly string[],
  known: ReadonlyMap<string, ProfileFields>,
): CustomerRowUpdate[] {
  const next = new Map<string, { -readonly [K in keyof CustomerRowUpdate]: CustomerRowUpdate[K] }>();
  events.forEach((e, i) => {
    const id = customerIds[i] as string;
    const base = known.get(id);
    const cur = next.get(id) ?? {
      id,
      email: base?.email ?? null,
      phone: base?.phone ?? null,
      timezone: base?.timezone ?? null,
      traitsJson: base?.traitsJson ?? null,
    };
    if (e.identity.email !== undefined) cur.email = e.identity.email;
    if (e.identity.phone !== undefined) cur.phone = e.identity.phone;
    if (e.timezone !== null) cur.timezone = e.timezone;
    if (e.traits !== null && e.type === 'identify' && Object.keys(e.traits).length > 0) {
      const merged = { ...(cur.traitsJson ? (JSON.parse(cur.traitsJson) as object) : {}), ...e.traits };
      cur.traitsJson = JSON.stringify(merged);
    }
    next.set(id, cur);
  });
  return [...next.values()].filter((u) => {
    const base = known.get(u.id);
    return (
      !base ||
      base.email !== u.email ||
      base.phone !== u.phone ||
      base.timezone !== u.timezone ||
      base.traitsJson !== u.traitsJson
    );
  });
}

/** Validates then stores: a batch with any invalid event stores nothing. */
export async function ingestBatch(
  store: EventStore,
  raw: readonly unknown[],
  options: NormalizeBatchOptions,
): Promise<Result<IngestSummary, EventIssue[]>> {
  const normalized = normalizeBatch(raw, options);
  if (!normalized.ok) return normalized;
  return ok(await storeEvents(store, normalized.value, options.receivedAt));
}
