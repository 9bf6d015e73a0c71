/**
 * The signals other parts of Patron produce, as the decisioning state needs them: the customer's
 * RFM segment now and the one the engine saw at its previous pass (a difference is a
 * transition), the loyalty tier and the progress to the next one, the active challenge that ends
 * first, the product that runs out next (or ran out within the last two weeks), and the advocacy
 * score. A customer the producer has not scored gets null for that signal.
 */
import { sql } from 'kysely';
import type {
  ExpiringSignal,
  ReplenishmentSignal,
  SegmentSignal,
  TierSignal,
} from '../domain/decisioning/state.js';
import { tierFraction } from '../domain/loyalty/tiers.js';
import type { Store } from './database.js';
import { programmeStore } from './loyalty-programme-repository.js';

const DAY = 86_400_000;
/** A replenishment due longer ago than this is not a reminder any more (the customer moved on). */
const REPLENISHMENT_STALE_DAYS = 14;

export interface ProducedSignals {
  segment: SegmentSignal | null;
  tier: TierSignal | null;
  challengeExpiring: ExpiringSignal | null;
  replenishment: ReplenishmentSignal | null;
  advocacy: number | null;
}

export async function loadProducedSignals(
  store: Store,
  ids: readonly string[] | undefined,
  asOf: string,
): Promise<Map<string, ProducedSignals>> {
  const db = store.db;
  const only = (column: string) =>
    ids === undefined ? sql`1 = 1` : sql`${sql.ref(column)} in (${sql.join([...ids])})`;
  const out = new Map<string, ProducedSignals>();
  const of = (id: string): ProducedSignals => {
    let s = out.get(id);
    if (!s) {
      s = { segment: null, tier: null, challengeExpiring: null, replenishment: null, advocacy: null };
      out.set(id, s);
    }
    return s;
  };
  if (ids !== undefined && ids.length === 0) return out;

  const [segments, tiers, challenges, replenishment, advocacy, settings] = await Promise.all([
    sql<{ customer_id: string; segment: string; previous: string | null }>`
      select s.customer_id, s.segment, g.segment as previous
      from customer_segments s left join decision_signals g on g.customer_id = s.customer_id
      where ${only('s.customer_id')}`.execute(db),
    sql<{ customer_id: string; tier_id: string; score: number }>`
      select customer_id, tier_id, score from loyalty_tiers where ${only('customer_id')}`.execute(db),
    sql<{ customer_id: string; id: string; ends_at: string; target: number; progress: number }>`
      select customer_id, id, ends_at, target, progress from loyalty_challenges
      where status = 'active' and ends_at > ${asOf} and starts_at <= ${asOf} and ${only('customer_id')}
      order by customer_id, ends_at, id`.execute(db),
    sql<{ customer_id: string; product_id: string; run_out_on: string }>`
      select customer_id, product_id, run_out_on from customer_replenishment
      where run_out_on >= ${new Date(Date.parse(asOf) - REPLENISHMENT_STALE_DAYS * DAY).toISOString().slice(0, 10)}
        and ${only('customer_id')}
      order by customer_id, run_out_on, product_id`.execute(db),
    sql<{ customer_id: string; score: number }>`
      select customer_id, score from customer_advocacy where ${only('customer_id')}`.execute(db),
    programmeStore(store).settings(),
  ]);

  for (const r of segments.rows) of(r.customer_id).segment = { current: r.segment, previous: r.previous };
  for (const r of tiers.rows) {
    const { next, fraction } = tierFraction(r.tier_id, Number(r.score), settings.tiers);
    if (next) of(r.customer_id).tier = { current: r.tier_id, next: next.id, progress: fraction };
  }
  for (const r of challenges.rows) {
    const s = of(r.customer_id);
    if (s.challengeExpiring) continue; // the one that ends first
    s.challengeExpiring = {
      id: r.id,
      expiresAt: Date.parse(r.ends_at),
      amount: Math.max(0, Number(r.target) - Number(r.progress)),
    };
  }
  for (const r of replenishment.rows) {
    const s = of(r.customer_id);
    if (s.replenishment) continue; // the product that runs out first
    s.replenishment = { productId: r.product_id, dueAt: Date.parse(`${r.run_out_on}T00:00:00.000Z`) };
  }
  // The advocacy model scores 0–100; the decisioning state takes [0, 1].
  for (const r of advocacy.rows) of(r.customer_id).advocacy = Number(r.score) / 100;
  return out;
}
