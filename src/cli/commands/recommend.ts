/** `patron recommend train|evaluate|show|due`. Errors exit 1 with the message (a bad date exits 2). */
import {
  evaluateRecommendationModels,
  recommendForCustomer,
  replenishmentForCustomer,
  trainRecommendations,
  type RecommendError,
} from '../../app/recommend.js';
import type { Placement } from '../../domain/models/recommend/rank.js';
import type { Store } from '../../store/database.js';
import { loadInteractionLog } from '../../store/recommend-history-repository.js';
import { recommendStoreFor } from '../../store/recommend-repository.js';
import { print, UsageError } from '../context.js';

const source = (store: Store) => ({ load: (o?: { before?: string }) => loadInteractionLog(store, o) });

function fail(e: RecommendError): never {
  if (e.type === 'InvalidDate') throw new UsageError(e.message);
  throw new Error(e.message);
}

const f3 = (v: number): string => v.toFixed(3);

export async function runRecommendTrain(
  store: Store,
  flags: { asOf?: string; json?: boolean },
): Promise<void> {
  const r = await trainRecommendations(source(store), recommendStoreFor(store), {
    now: new Date(),
    ...(flags.asOf !== undefined ? { asOf: flags.asOf } : {}),
  });
  if (!r.ok) fail(r.error);
  const s = r.value;
  if (flags.json) {
    print(JSON.stringify(s, null, 2));
    return;
  }
  print(
    `Trained recommender ${s.modelVersion} as of ${s.asOf}: ${s.products} products, ${s.customers.toLocaleString('en-US')} customers, ${s.purchaseLines.toLocaleString('en-US')} order lines, ${s.views.toLocaleString('en-US')} views.`,
  );
  print(
    `  neighbours: ${s.neighbourRows.co_purchase} co-purchase, ${s.neighbourRows.bought_together} bought together, ${s.neighbourRows.content} content`,
  );
  print(
    `  replenishment: ${s.replenishment.products} products on a cycle (${s.replenishment.fromCategory} from their category), ${s.replenishment.customersWithCycles.toLocaleString('en-US')} customers; quantity elasticity ${f3(s.replenishment.quantityElasticity)}`,
  );
  for (const c of s.replenishment.byCategory)
    print(`    ${c.category}: ${c.products} products, median interval ${c.medianIntervalDays} days`);
  print(
    `  ${s.seconds.load.toFixed(2)} s load, ${s.seconds.train.toFixed(2)} s train, ${s.seconds.save.toFixed(2)} s save`,
  );
}

export async function runRecommendEvaluate(
  store: Store,
  flags: { diversity?: number; k?: number; json?: boolean },
): Promise<void> {
  const r = await evaluateRecommendationModels(source(store), {
    ...(flags.diversity !== undefined ? { diversityShare: flags.diversity } : {}),
    ...(flags.k !== undefined ? { k: flags.k } : {}),
  });
  if (!r.ok) fail(r.error);
  const e = r.value;
  if (flags.json) {
    print(JSON.stringify({ recommendations: e }, null, 2));
    return;
  }
  print(
    `Leave-last-order-out: ${e.testCustomers.toLocaleString('en-US')} customers with ≥ 2 orders, ${e.catalogSize} products; ${(e.repeatShare * 100).toFixed(1)}% of held-out products were re-purchases.`,
  );
  print(`  ${'recommender'.padEnd(40)} HR@${e.k}  NDCG@${e.k}  coverage  new-item HR@${e.k}`);
  for (const m of e.results)
    print(
      `  ${m.name.padEnd(40)} ${f3(m.hitRate)}  ${f3(m.ndcg)}    ${f3(m.coverage)}     ${f3(m.newItemHitRate)}`,
    );
}

export async function runRecommendShow(
  store: Store,
  id: string,
  flags: { placement: Placement; limit: number },
): Promise<void> {
  const r = await recommendForCustomer(recommendStoreFor(store), id, flags, new Date());
  if (!r.ok) fail(r.error);
  print(JSON.stringify(r.value, null, 2));
}

export async function runRecommendDue(store: Store, id: string, flags: { asOf?: string }): Promise<void> {
  let asOf = new Date();
  if (flags.asOf !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.asOf) || Number.isNaN(Date.parse(flags.asOf)))
      throw new UsageError(`--as-of: "${flags.asOf}" is not a date (YYYY-MM-DD)`);
    asOf = new Date(`${flags.asOf}T00:00:00Z`);
  }
  const r = await replenishmentForCustomer(recommendStoreFor(store), id, asOf);
  if (!r.ok) fail(r.error);
  print(JSON.stringify(r.value, null, 2));
}
