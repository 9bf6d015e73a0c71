/**
 * What a message shows about its customer when it is sent (app/personalize.ts): the first name from
 * the profile's traits, the points balance with the lots that expire next, the tier and the way to
 * the next one, and recommendations from the latest trained model.
 */
import type { CustomerMessageContext, PersonalizeDeps } from '../app/personalize.js';
import { messageRecommendations } from '../app/personalize.js';
import { recommendForCustomer, type RecommendedProduct } from '../app/recommend.js';
import type { Recommendation } from '../domain/decisioning/state.js';
import { tierFraction } from '../domain/loyalty/tiers.js';
import type { Store } from './database.js';
import { programmeStore } from './loyalty-programme-repository.js';
import { recommendStoreFor } from './recommend-repository.js';

/** Points expiring within this many days are named in the message. */
const EXPIRY_HORIZON_DAYS = 30;

function firstNameOf(traits: string | null): string | null {
  if (traits === null) return null;
  const t = JSON.parse(traits) as Record<string, unknown>;
  for (const k of ['first_name', 'firstName']) {
    const v = t[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  const name = t.name;
  return typeof name === 'string' && name.trim() !== '' ? (name.trim().split(/\s+/)[0] ?? null) : null;
}

/**
 * The templates print "because <reason>": the recommender's reason in that form ("because you
 * bought X" → "you bought X", "often bought with Y" → "it is often bought with Y").
 */
export function becauseClause(reason: { readonly type: string; readonly text: string }): string {
  const text = reason.text.replace(/^because /, '');
  switch (reason.type) {
    case 'running_low':
      return `you may be ${text}`;
    case 'bought':
    case 'viewed':
      return text;
    default:
      return `it is ${text}`;
  }
}

/** A recommended product as a message and the decisioning state carry it. */
export function recommendationOf(item: RecommendedProduct): Recommendation {
  return {
    productId: item.productId,
    name: item.name,
    category: item.category,
    priceMinor: item.priceMinor,
    because: becauseClause(item.reason),
  };
}

export function messageContext(store: Store): PersonalizeDeps {
  const db = store.db;
  return {
    async context(customerId, now): Promise<CustomerMessageContext | null> {
      const at = now.toISOString();
      const horizon = new Date(now.getTime() + EXPIRY_HORIZON_DAYS * 86_400_000).toISOString();
      const [customer, account, lots, tier, settings] = await Promise.all([
        db.selectFrom('customers').select('traits').where('id', '=', customerId).executeTakeFirst(),
        db
          .selectFrom('loyalty_accounts')
          .select(['available', 'pending'])
          .where('customer_id', '=', customerId)
          .executeTakeFirst(),
        db
          .selectFrom('loyalty_lots')
          .select(['expires_at', 'available'])
          .where('customer_id', '=', customerId)
          .where('available', '>', 0)
          .where('expires_at', '>', at)
          .where('expires_at', '<=', horizon)
          .orderBy('expires_at')
          .execute(),
        db
          .selectFrom('loyalty_tiers')
          .select(['tier_id', 'score'])
          .where('customer_id', '=', customerId)
          .executeTakeFirst(),
        programmeStore(store).settings(),
      ]);
      if (!customer) return null;
      const first = lots[0];
      const expiring = first
        ? lots.filter((l) => l.expires_at === first.expires_at).reduce((s, l) => s + Number(l.available), 0)
        : 0;
      const tiers = settings.tiers;
      const nameOf = (id: string) => tiers.tiers.find((t) => t.id === id)?.name ?? id;
      const progress = tier ? tierFraction(tier.tier_id, Number(tier.score), tiers) : null;
      return {
        firstName: firstNameOf(customer.traits),
        points: account
          ? {
              balance: Number(account.available),
              pending: Number(account.pending),
              ...(first ? { expiring, expiresAt: first.expires_at } : {}),
            }
          : null,
        tier:
          tier && progress
            ? {
                current: nameOf(tier.tier_id),
                ...(progress.next ? { next: progress.next.name, progress: progress.fraction } : {}),
              }
            : null,
      };
    },
    async recommendations(customerId, limit, now) {
      const r = await recommendForCustomer(
        recommendStoreFor(store),
        customerId,
        { placement: 'email', limit },
        now,
      );
      return r.ok ? messageRecommendations(r.value.items.map(recommendationOf)) : [];
    },
  };
}
