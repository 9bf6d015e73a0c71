import path from 'node:path';
import type { Store } from '../../store/database.js';
import { settingsStore } from '../../store/settings-repository.js';
import { storeStats } from '../../store/stats-repository.js';
import { money, print } from '../context.js';
import { runImport } from './import.js';
import { runGenerate } from './generate.js';

/**
 * The demo store's two years of history end on 2026-11-16 (a fixed date keeps it deterministic for
 * a seed; a Monday, as the simulator's weeks start on Mondays).
 */
const DEMO_START = '2024-11-18';

/** Rates the synthetic store needs (it sells in USD with some EUR and GBP orders). */
const DEMO_RATES = { EUR: 1.08, GBP: 1.27 };

export async function runDemo(store: Store, o: { customers: number; seed: number }): Promise<void> {
  const started = Date.now();
  const dir = path.join('.patron', `demo-${o.customers}-${o.seed}`);
  print(
    `Patron demo: a synthetic store of ${o.customers.toLocaleString('en-US')} customers (seed ${o.seed}).`,
  );
  const events = await runGenerate(
    { customers: o.customers, seed: o.seed, start: DEMO_START, out: dir },
    true,
  );

  const settings = settingsStore(store);
  const current = await settings.currencySettings();
  const missing = Object.entries(DEMO_RATES).filter(([c]) => current.rates[c] === undefined);
  if (current.baseCurrency === 'USD' && missing.length > 0) {
    await settings.setCurrencySettings(
      { baseCurrency: 'USD', rates: { ...Object.fromEntries(missing), ...current.rates } },
      new Date().toISOString(),
    );
  }

  const summary = await runImport(store, events, 'events-jsonl', { quiet: true });
  const s = await storeStats(store);
  const base = (await settings.currencySettings()).baseCurrency;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  print('');
  print(
    `Imported ${summary.accepted.toLocaleString('en-US')} new events (${summary.duplicates.toLocaleString('en-US')} already stored, ${summary.rejected} rejected) into ${store.dialect} in ${seconds} s.`,
  );
  print('');
  print(
    `  Customers            ${s.customers.toLocaleString('en-US')} (${s.merges.toLocaleString('en-US')} anonymous profiles merged on identify)`,
  );
  print(
    `  Buyers / repeat      ${s.customersWithOrders.toLocaleString('en-US')} / ${s.repeatCustomers.toLocaleString('en-US')} (repeat purchase rate ${pct(s.repeatCustomers, s.customersWithOrders)})`,
  );
  print(
    `  Orders               ${s.orders.toLocaleString('en-US')} from ${s.firstOrderAt?.slice(0, 10) ?? '—'} to ${s.lastOrderAt?.slice(0, 10) ?? '—'}`,
  );
  print(
    `  Revenue              ${money(s.revenueMinor, base)} gross, ${money(s.refundedMinor, base)} refunded`,
  );
  print(`  Average order value  ${s.orders ? money(Math.round(s.revenueMinor / s.orders), base) : '—'}`);
  print(
    `  Top categories       ${s.topCategories.map((c) => `${c.category} (${c.units.toLocaleString('en-US')})`).join(', ')}`,
  );
  print(
    `  Events               ${s.events.toLocaleString('en-US')}: ${s.eventsByName
      .slice(0, 6)
      .map((e) => `${e.name} ${e.count.toLocaleString('en-US')}`)
      .join(', ')}, …`,
  );
  print('');
  print('Next:');
  print('  npx patron keys create --name storefront --scopes ingest,read   # an API key');
  print(
    '  npx patron serve                                                # the API on http://127.0.0.1:8787',
  );
  print('  npx patron customers show u_1                                   # one unified profile');
  if (summary.rejected > 0) process.exitCode = 1;
}

const pct = (a: number, b: number): string => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);
