/** `patron score`: writes every customer's CLV predictions to the database (replacing the last run). */
import { scoreCustomers } from '../../app/score-customers.js';
import type { Store } from '../../store/database.js';
import { clvScoreStore } from '../../store/clv-score-repository.js';
import { orderHistoryStore } from '../../store/order-history-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { money, print } from '../context.js';

export interface ScoreFlags {
  asOf?: string;
  horizonDays: number;
  margin: number;
  discountRate: number;
  json?: boolean;
  /** Print nothing (the demo prints its own summary). */
  quiet?: boolean;
}

export async function runScore(store: Store, flags: ScoreFlags, now: Date): Promise<void> {
  const currency = (await settingsStore(store).currencySettings()).baseCurrency;
  const started = performance.now();
  const result = await scoreCustomers(orderHistoryStore(store), clvScoreStore(store), {
    ...(flags.asOf === undefined ? {} : { asOf: flags.asOf }),
    horizonDays: flags.horizonDays,
    margin: flags.margin,
    discountRate: flags.discountRate,
    scoredAt: now.toISOString(),
    currency,
  });
  if (!result.ok) throw new Error(result.error.message);
  const s = result.value;
  if (flags.quiet) return;
  if (flags.json) {
    print(JSON.stringify(s, null, 2));
    return;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  print(
    `Scored ${s.customers.toLocaleString('en-US')} customers as of ${s.asOf} in ${seconds} s (${s.modelVersion}).`,
  );
  print(
    `  Total discounted CLV over ${flags.horizonDays} days at ${Math.round(flags.margin * 100)}% margin: ${money(s.totalClvMinor, currency)}` +
      (s.totalLearnedClvMinor === null ? '' : ` (learned: ${money(s.totalLearnedClvMinor, currency)})`),
  );
  for (const w of s.warnings) print(`warning: ${w}`);
  print('  See one customer: patron customers show <id>');
}
