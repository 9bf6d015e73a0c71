/**
 * Advocacy use cases: score every customer (`patron advocacy compute`) from NPS, reviews,
 * referrals, community posts, repeat purchase and breadth, and list the likeliest advocates
 * with their reasons (`GET /v1/advocates`).
 */
import { advocacyScore, type AdvocacyComponent } from '../domain/models/advocacy/advocacy.js';
import { advocacySignals, type CustomerSignalSource } from './customer-signals.js';

/** One customer's advocacy score as stored; components, reasons and signals are JSON text. */
export interface AdvocacyRow {
  customer_id: string;
  computed_at: string;
  score: number;
  components: string;
  reasons: string;
  signals: string;
}

export interface AdvocacyStore {
  /** Replaces every stored score, in one transaction. */
  replace(rows: readonly AdvocacyRow[]): Promise<void>;
  top(limit: number): Promise<Array<AdvocacyRow & { user_id: string | null }>>;
}

export interface AdvocacySummary {
  readonly customers: number;
  readonly meanScore: number;
  /** Customers scoring at least 50. */
  readonly advocates: number;
  readonly computedAt: string;
}

export async function computeAdvocacy(
  source: CustomerSignalSource,
  store: AdvocacyStore,
  options: { now: Date },
): Promise<AdvocacySummary> {
  const computedAt = options.now.toISOString();
  const rows: AdvocacyRow[] = [];
  let sum = 0;
  let advocates = 0;
  for (const s of await source.load()) {
    const signals = advocacySignals(s);
    const a = advocacyScore(signals);
    sum += a.score;
    if (a.score >= 50) advocates++;
    rows.push({
      customer_id: s.customerId,
      computed_at: computedAt,
      score: a.score,
      components: JSON.stringify(a.components),
      reasons: JSON.stringify(a.reasons),
      signals: JSON.stringify(signals),
    });
  }
  await store.replace(rows);
  return { customers: rows.length, meanScore: rows.length ? sum / rows.length : 0, advocates, computedAt };
}

export interface Advocate {
  readonly customerId: string;
  readonly userId: string | null;
  readonly score: number;
  readonly components: Readonly<Record<AdvocacyComponent, number>>;
  readonly reasons: readonly string[];
  readonly computedAt: string;
}

export function advocateFromRow(r: AdvocacyRow & { user_id?: string | null }): Advocate {
  return {
    customerId: r.customer_id,
    userId: r.user_id ?? null,
    score: Number(r.score),
    components: JSON.parse(r.components) as Record<AdvocacyComponent, number>,
    reasons: JSON.parse(r.reasons) as string[],
    computedAt: r.computed_at,
  };
}

/** The customers most likely to advocate, best first. */
export async function listAdvocates(store: AdvocacyStore, limit: number): Promise<Advocate[]> {
  return (await store.top(limit)).map(advocateFromRow);
}
