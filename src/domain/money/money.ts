/**
 * Money is an integer number of minor units plus an ISO 4217 currency code.
 * Amounts arrive as Segment sends them — decimals in the currency's major unit (29.33 USD) — and
 * are converted once, at the edge, into minor units (2933) and into the store's base currency.
 */
import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/** The store's currency settings: one base currency and a rate table (1 unit of X = rate units of base). */
export interface CurrencySettings {
  readonly baseCurrency: string;
  readonly rates: Readonly<Record<string, number>>;
}

export type MoneyError =
  | { type: 'UnknownCurrency'; currency: string }
  | { type: 'MissingRate'; currency: string; baseCurrency: string }
  | { type: 'InvalidAmount'; value: unknown };

const digitsCache = new Map<string, number | null>();

/** Number of minor-unit digits of an ISO 4217 currency (USD 2, JPY 0, BHD 3), or null if unknown. */
export function minorUnitDigits(currency: string): number | null {
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  let digits: number | null = null;
  if (/^[A-Z]{3}$/.test(currency) && Intl.supportedValuesOf('currency').includes(currency)) {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  }
  digitsCache.set(currency, digits);
  return digits;
}

/**
 * Converts a major-unit decimal (number or decimal string, as in `29.33` or `"29.33"`) into integer
 * minor units, rounding half away from zero at the currency's precision.
 */
export function toMinorUnits(value: number | string, currency: string): Result<number, MoneyError> {
  const digits = minorUnitDigits(currency);
  if (digits === null) return err({ type: 'UnknownCurrency', currency });
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
    return err({ type: 'InvalidAmount', value });
  }
  // toFixed on the scaled value removes binary noise (29.33 * 100 = 2932.9999999999995).
  const scaled = Number((Math.abs(n) * 10 ** digits).toFixed(6));
  const minor = Math.sign(n) * Math.round(scaled);
  if (!Number.isSafeInteger(minor)) return err({ type: 'InvalidAmount', value });
  return ok(minor === 0 ? 0 : minor);
}

/** Converts minor units of `currency` into minor units of the store's base currency. */
export function toBaseCurrency(
  amountMinor: number,
  currency: string,
  settings: CurrencySettings,
): Result<number, MoneyError> {
  if (currency === settings.baseCurrency) return ok(amountMinor);
  const rate = settings.rates[currency];
  if (rate === undefined) return err({ type: 'MissingRate', currency, baseCurrency: settings.baseCurrency });
  const from = minorUnitDigits(currency);
  const to = minorUnitDigits(settings.baseCurrency);
  if (from === null) return err({ type: 'UnknownCurrency', currency });
  if (to === null) return err({ type: 'UnknownCurrency', currency: settings.baseCurrency });
  return ok(Math.round(amountMinor * rate * 10 ** (to - from)));
}

/** A sentence a store's engineer can act on. */
export function describeMoneyError(e: MoneyError): string {
  switch (e.type) {
    case 'UnknownCurrency':
      return `"${e.currency}" is not an ISO 4217 currency code`;
    case 'MissingRate':
      return `currency ${e.currency} has no exchange rate to the store's base currency ${e.baseCurrency}; add one with \`patron settings set --rate ${e.currency}=<rate>\``;
    case 'InvalidAmount':
      return `${JSON.stringify(e.value)} is not a decimal amount`;
    default: {
      const _exhaustive: never = e;
      return _exhaustive;
    }
  }
}
