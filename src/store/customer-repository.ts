/** Reads a customer's unified profile: identities, order totals, consent, merge history. */
import { sql } from 'kysely';
import type { Store } from './database.js';
import { resolveCustomerId } from './customer-id.js';
import { findCustomerInsights, type CustomerInsights } from './customer-insights-repository.js';
import { findCustomerReplenishment, type ReplenishmentDue } from './recommend-repository.js';
import { customerTextProfile, type CustomerTextProfile } from './text-repository.js';

export interface CustomerProfile {
  id: string;
  userId: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  traits: Record<string, unknown> | null;
  firstSeenAt: string;
  lastSeenAt: string | null;
  identities: Array<{ kind: string; value: string }>;
  orders: {
    count: number;
    currency: string;
    /** Gross order totals in the base currency's minor units, cancelled orders excluded. */
    revenueMinor: number;
    refundedMinor: number;
    netRevenueMinor: number;
    firstOrderAt: string | null;
    lastOrderAt: string | null;
  };
  consent: Array<{ channel: string; purpose: string; granted: boolean; updatedAt: string }>;
  mergedFrom: Array<{ customerId: string; at: string }>;
  /** CLV predictions of the last `patron score` run; null when the customer was never scored. */
  predictions: CustomerPredictions | null;
  /** Churn risk of the last `patron churn score` run; null when the customer was never scored. */
  churn: CustomerChurn | null;
  /** Segment and cluster, advocacy, send time and channel (each null until its first run). */
  insights: CustomerInsights;

  /** Products bought on a cycle, run-out day and status as of now; null before `patron recommend train`. */
  replenishment: { asOf: string; modelVersion: string; items: ReplenishmentDue[] } | null;
  /** Sentiment and themes of the customer's analysed texts (`patron text analyze-store`); null without any. */
  text: CustomerTextProfile | null;
}

/** A customer's churn risk: calibrated probability, driver and the top reasons in plain words. */
export interface CustomerChurn {
  asOf: string;
  scoredAt: string;
  modelVersion: string;
  probability: number;
  /** price | service | quality | disengagement; null when no driver's signals raise the risk. */
  driver: string | null;
  reasons: Array<{
    feature: string;
    family: string;
    value: number | null;
    contribution: number;
    text: string;
  }>;
}

/** A customer's CLV predictions (money in the base currency's minor units). */
export interface CustomerPredictions {
  asOf: string;
  scoredAt: string;
  modelVersion: string;
  currency: string;
  probabilityAlive: number;
  expectedPurchases: { days30: number; days90: number; days365: number };
  probabilityNoPurchase90Days: number;
  expectedNextOrderOn: string | null;
  expectedOrderValueMinor: number;
  horizonDays: number;
  clvMinor: number;
  learnedExpectedPurchases: number | null;
  learnedClvMinor: number | null;
  params: Record<string, unknown>;
}

/**
 * Finds a customer by Patron id (`cus_…`) or the store's own userId; follows merges to the survivor.
 * Returns null when no such customer exists.
 */
export async function findCustomerProfile(
  store: Store,
  idOrUserId: string,
  baseCurrency: string,
  now: Date = new Date(),
): Promise<CustomerProfile | null> {
  const db = store.db;
  const customerId = await resolveCustomerId(db, idOrUserId);
  if (customerId === null) return null;
  const row = await db.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirst();
  if (!row) return null;
  const [identities, orderAgg, refunds, lastSeen, consents, merges, score, churn] = await Promise.all([
    db
      .selectFrom('identities')
      .select(['kind', 'value'])
      .where('customer_id', '=', customerId)
      .orderBy('key')
      .execute(),
    db
      .selectFrom('orders')
      .select((eb) => [
        eb.fn.countAll<number>().as('count'),
        eb.fn.coalesce(eb.fn.sum<number>('base_total_minor'), sql<number>`0`).as('revenue'),
        eb.fn.min('placed_at').as('first'),
        eb.fn.max('placed_at').as('last'),
      ])
      .where('customer_id', '=', customerId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('order_updates')
              .select('message_id')
              .whereRef('order_updates.order_id', '=', 'orders.order_id')
              .where('order_updates.kind', '=', 'cancelled'),
          ),
        ),
      )
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('order_updates')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('base_amount_minor'), sql<number>`0`).as('refunded'))
      .where('customer_id', '=', customerId)
      .where('kind', '=', 'refunded')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('events')
      .select((eb) => eb.fn.max('timestamp').as('last'))
      .where('customer_id', '=', customerId)
      .executeTakeFirst(),
    db
      .selectFrom('consents')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('channel')
      .orderBy('purpose')
      .execute(),
    db
      .selectFrom('customer_merges')
      .select(['from_customer_id', 'at'])
      .where('into_customer_id', '=', customerId)
      .orderBy('at')
      .execute(),
    db.selectFrom('clv_scores').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
    db.selectFrom('churn_scores').selectAll().where('customer_id', '=', customerId).executeTakeFirst(),
  ]);
  const insights = await findCustomerInsights(store, customerId);
  const replenishment = await findCustomerReplenishment(store, customerId, now);
  const revenue = Number(orderAgg.revenue);
  const refunded = Number(refunds.refunded);
  const text = await customerTextProfile(store, customerId);
  return {
    id: customerId,
    userId: row.user_id,
    email: row.email,
    phone: row.phone,
    timezone: row.timezone,
    traits: row.traits === null ? null : (JSON.parse(row.traits) as Record<string, unknown>),
    firstSeenAt: row.created_at,
    lastSeenAt: lastSeen?.last ?? null,
    identities: identities.map((i) => ({ kind: i.kind, value: i.value })),
    orders: {
      count: Number(orderAgg.count),
      currency: baseCurrency,
      revenueMinor: revenue,
      refundedMinor: refunded,
      netRevenueMinor: revenue - refunded,
      firstOrderAt: orderAgg.first ?? null,
      lastOrderAt: orderAgg.last ?? null,
    },
    consent: consents.map((c) => ({
      channel: c.channel,
      purpose: c.purpose,
      granted: c.granted === 1,
      updatedAt: c.updated_at,
    })),
    mergedFrom: merges.map((m) => ({ customerId: m.from_customer_id, at: m.at })),
    predictions: score
      ? {
          asOf: score.as_of,
          scoredAt: score.scored_at,
          modelVersion: score.model_version,
          currency: score.currency,
          probabilityAlive: Number(score.probability_alive),
          expectedPurchases: {
            days30: Number(score.expected_purchases_30d),
            days90: Number(score.expected_purchases_90d),
            days365: Number(score.expected_purchases_365d),
          },
          probabilityNoPurchase90Days: Number(score.probability_no_purchase_90d),
          expectedNextOrderOn: score.expected_next_order_on,
          expectedOrderValueMinor: Number(score.expected_order_value_minor),
          horizonDays: Number(score.horizon_days),
          clvMinor: Number(score.clv_minor),
          learnedExpectedPurchases:
            score.learned_expected_purchases === null ? null : Number(score.learned_expected_purchases),
          learnedClvMinor: score.learned_clv_minor === null ? null : Number(score.learned_clv_minor),
          params: JSON.parse(score.params) as Record<string, unknown>,
        }
      : null,
    churn: churn
      ? {
          asOf: churn.as_of,
          scoredAt: churn.scored_at,
          modelVersion: churn.model_version,
          probability: Number(churn.probability),
          driver: churn.driver,
          reasons: JSON.parse(churn.reasons) as CustomerChurn['reasons'],
        }
      : null,
    insights,
    replenishment,
    text,
  };
}
