/**
 * Churn benchmark on the synthetic store: generate (or reuse) a store, import it into SQLite,
 * then time loading the histories, training + holdout evaluation, and scoring every customer with
 * TreeSHAP reasons; report holdout metrics, AUC against the true churn and the share of recent
 * churners (last 180 days before the as-of) whose driver Patron names correctly.
 *
 *   npx tsx bench/churn.ts [--customers N] [--seed S] [--dir DIR]
 *
 * The learner alone at 1M × 40 is measured by bench/trees.ts (docs/BENCHMARKS.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scoreChurn, trainChurn } from '../src/app/churn.js';
import { rocAuc } from '../src/domain/models/evaluate/metrics.js';
import { churnHistoryStore } from '../src/store/churn-history-repository.js';
import { churnStore } from '../src/store/churn-repository.js';
import { openSyntheticStore } from './support/synthetic-store.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    dir: { type: 'string' },
  },
});
const customers = Number(args.customers);
const seed = Number(args.seed);
const dir = args.dir ?? path.join('.patron', 'bench', `churn-${customers}-${seed}`);

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
};

const store = await openSyntheticStore({ dir, customers, seed });
const source = churnHistoryStore(store);
const [histories, loadS] = await time(() => source.load());
const cached = { load: async () => histories };
const [trained, trainS] = await time(() => trainChurn(cached, churnStore(store), { now: new Date(), seed }));
if (!trained.ok) throw new Error(trained.error.message);
const [scored, scoreS] = await time(() => scoreChurn(cached, churnStore(store), { now: new Date() }));
if (!scored.ok) throw new Error(scored.error.message);

const truth = fs
  .readFileSync(path.join(dir, 'ground-truth.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { userId: string; driver: string; churnTime: string | null });
const rows = await store.db
  .selectFrom('churn_scores')
  .innerJoin('customers', 'customers.id', 'churn_scores.customer_id')
  .select(['customers.user_id', 'probability', 'driver', 'as_of'])
  .execute();
const byUser = new Map(rows.map((r) => [r.user_id, r]));
const asOf = Date.parse(rows[0]!.as_of) + 86_400_000;
const labels: number[] = [];
const scores: number[] = [];
const confusion: Record<string, Record<string, number>> = {};
let right = 0;
let churners = 0;
for (const g of truth) {
  const r = byUser.get(g.userId);
  if (!r) continue;
  labels.push(g.churnTime !== null ? 1 : 0);
  scores.push(Number(r.probability));
  const at = g.churnTime === null ? NaN : Date.parse(g.churnTime);
  if (g.driver !== 'none' && at < asOf && at >= asOf - 180 * 86_400_000) {
    churners++;
    if (r.driver === g.driver) right++;
    const row = (confusion[g.driver] ??= {});
    row[r.driver ?? 'none'] = (row[r.driver ?? 'none'] ?? 0) + 1;
  }
}
await store.close();

const e = trained.value.evaluation;
const f = (v: number) => v.toFixed(3);
console.log(`churn on the synthetic store: ${customers.toLocaleString('en-US')} customers, seed ${seed}`);
console.log('');
console.log('| step | customers | seconds |');
console.log('| --- | ---: | ---: |');
console.log(
  `| load histories (SQLite) | ${histories.length.toLocaleString('en-US')} | ${loadS.toFixed(2)} |`,
);
console.log(
  `| train + evaluate (${e.training.trees} trees, ${e.training.rows.toLocaleString('en-US')} rows) | ${e.rows.toLocaleString('en-US')} | ${trainS.toFixed(2)} |`,
);
console.log(
  `| score with TreeSHAP reasons + drift | ${scored.value.customers.toLocaleString('en-US')} | ${scoreS.toFixed(2)} |`,
);
console.log('');
console.log(
  `window ${e.windowDays} days; holdout ${e.calibrationEnd} → ${e.holdoutEnd}; churn rate ${f(e.positiveRate)}`,
);
console.log(
  `holdout AUC ${f(e.auc)} (logistic ${f(e.baselineAuc)}), PR-AUC ${f(e.prAuc)}, Brier ${f(e.brier)}, lift ${f(e.topDecileLift)}, buyer lift ${f(e.buyerTopDecileLift)}, F1 ${f(e.f1)}`,
);
console.log(
  `AUC against the true churn (ground truth, as of ${rows[0]!.as_of}): ${f(rocAuc(labels, scores))}`,
);
console.log(
  `driver named correctly: ${f(right / churners)} of ${churners} churners of the last 180 days (chance 0.25)`,
);
console.log(`confusion (true → named): ${JSON.stringify(confusion)}`);
