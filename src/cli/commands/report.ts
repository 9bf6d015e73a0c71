/** `patron report`: the store at a glance — customers, orders, revenue, and the latest CLV scores. */
import type { Store } from '../../store/database.js';
import { settingsStore } from '../../store/settings-repository.js';
import { storeStats, type StoreStats } from '../../store/stats-repository.js';
import { money, print } from '../context.js';

export interface ClvOverview {
  customers: number;
  asOf: string;
  totalClvMinor: number;
  /** Share of the total predicted CLV held by the top 10% of customers. */
  topDecileShare: number;
  /** Customers the model gives less than a 50% chance of still being active. */
  likelyLapsed: number;
  expectedPurchases90d: number;
}

export async function clvOverview(store: Store): Promise<ClvOverview | null> {
  const rows = await store.db
    .selectFrom('clv_scores')
    .select(['clv_minor', 'probability_alive', 'expected_purchases_90d', 'as_of'])
    .orderBy('clv_minor', 'desc')
    .execute();
  const first = rows[0];
  if (!first) return null;
  const total = rows.reduce((s, r) => s + Number(r.clv_minor), 0);
  const top = rows
    .slice(0, Math.max(1, Math.round(rows.length / 10)))
    .reduce((s, r) => s + Number(r.clv_minor), 0);
  return {
    customers: rows.length,
    asOf: first.as_of,
    totalClvMinor: total,
    topDecileShare: total > 0 ? top / total : 0,
    likelyLapsed: rows.filter((r) => Number(r.probability_alive) < 0.5).length,
    expectedPurchases90d: rows.reduce((s, r) => s + Number(r.expected_purchases_90d), 0),
  };
}

export async function storeReport(
  store: Store,
): Promise<{ stats: StoreStats; clv: ClvOverview | null; currency: string }> {
  const [stats, clv, settings] = await Promise.all([
    storeStats(store),
    clvOverview(store),
    settingsStore(store).currencySettings(),
  ]);
  return { stats, clv, currency: settings.baseCurrency };
}

const n = (x: number) => x.toLocaleString('en-US');
const pct = (a: number, b: number): string => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);

export function printStoreReport({ stats: s, clv, currency }: Awaited<ReturnType<typeof storeReport>>): void {
  print(
    `  Profiles             ${n(s.customers)} (${n(s.merges)} anonymous profiles merged into customers on identify)`,
  );
  print(
    `  Buyers / repeat      ${n(s.customersWithOrders)} / ${n(s.repeatCustomers)} (repeat purchase rate ${pct(s.repeatCustomers, s.customersWithOrders)})`,
  );
  print(
    `  Orders               ${n(s.orders)} from ${s.firstOrderAt?.slice(0, 10) ?? '—'} to ${s.lastOrderAt?.slice(0, 10) ?? '—'}`,
  );
  print(
    `  Revenue              ${money(s.revenueMinor, currency)} gross, ${money(s.refundedMinor, currency)} refunded`,
  );
  print(`  Average order value  ${s.orders ? money(Math.round(s.revenueMinor / s.orders), currency) : '—'}`);
  print(`  Top categories       ${s.topCategories.map((c) => `${c.category} (${n(c.units)})`).join(', ')}`);
  print(
    `  Events               ${n(s.events)}: ${s.eventsByName
      .slice(0, 6)
      .map((e) => `${e.name} ${n(e.count)}`)
      .join(', ')}, …`,
  );
  if (clv) {
    print(
      `  Predicted CLV        ${money(clv.totalClvMinor, currency)} over the next year as of ${clv.asOf} (top 10% of customers hold ${(100 * clv.topDecileShare).toFixed(0)}%)`,
    );
    print(
      `  Next 90 days         ${n(Math.round(clv.expectedPurchases90d))} repeat purchases expected; ${n(clv.likelyLapsed)} customers more likely lapsed than active`,
    );
  } else {
    print('  Predicted CLV        not scored yet — run `patron score`');
  }
}

export async function runReport(store: Store, json: boolean): Promise<void> {
  const report = await storeReport(store);
  if (json) print(JSON.stringify(report, null, 2));
  else printStoreReport(report);
}
