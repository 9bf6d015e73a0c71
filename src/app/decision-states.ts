/**
 * The decisioning state of customers as the engine decides on it: what the store holds
 * (store/decision-state-repository.ts) with each customer's recommendations from the latest trained
 * recommender — the list an email would show (placement `email`, recommend.ts), computed for all
 * the customers at once — or null before its first training run (cross-sell waits for them).
 */
import type { CustomerState } from '../domain/decisioning/state.js';
import type { Store } from '../store/database.js';
import { loadStoredDecisionStates, type LoadStatesOptions } from '../store/decision-state-repository.js';
import { recommendationOf } from '../store/message-context-repository.js';
import { recommendStoreFor } from '../store/recommend-repository.js';
import { RECOMMENDATIONS_PER_MESSAGE } from './personalize.js';
import { recommendForCustomers } from './recommend.js';

/** Loads the decisioning state of current (not merged-away) customers, with recommendations. */
export async function loadDecisionStates(store: Store, options: LoadStatesOptions): Promise<CustomerState[]> {
  const [states, recommender] = await Promise.all([
    loadStoredDecisionStates(store, options),
    options.customerIds !== undefined && options.customerIds.length === 0
      ? null
      : recommendForCustomers(recommendStoreFor(store), options.customerIds, new Date(options.asOf)),
  ]);
  if (recommender === null) return states;
  return states.map((state) => {
    const items = recommender.recommend(state.customerId, {
      placement: 'email',
      limit: RECOMMENDATIONS_PER_MESSAGE,
    });
    // A trained model with nothing to put forward (an empty catalog) is no signal either.
    return items.length === 0 ? state : { ...state, recommendations: items.map(recommendationOf) };
  });
}
