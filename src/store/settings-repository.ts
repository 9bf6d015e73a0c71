/** Store-wide settings kept in the database, so every API and worker process sees the same values. */
import { z } from 'zod';
import type { SettingsStore } from '../app/ports.js';
import type { CurrencySettings } from '../domain/money/money.js';
import { currencyCode } from '../domain/events/schemas.js';
import type { Store } from './database.js';

export const currencySettingsSchema = z.object({
  baseCurrency: currencyCode,
  rates: z.record(currencyCode, z.number().positive({ message: 'an exchange rate must be positive' })),
});

export const DEFAULT_CURRENCY: CurrencySettings = { baseCurrency: 'USD', rates: {} };

export function settingsStore(store: Store): SettingsStore & {
  setCurrencySettings(settings: CurrencySettings, now: string): Promise<void>;
} {
  return {
    async currencySettings() {
      const row = await store.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'currency')
        .executeTakeFirst();
      return row ? currencySettingsSchema.parse(JSON.parse(row.value)) : DEFAULT_CURRENCY;
    },
    async setCurrencySettings(settings, now) {
      const value = JSON.stringify(currencySettingsSchema.parse(settings));
      await store.db
        .insertInto('settings')
        .values({ key: 'currency', value, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
        .execute();
    },
  };
}
