import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeMoneyError, minorUnitDigits, toBaseCurrency, toMinorUnits } from './money.js';

describe('toMinorUnits', () => {
  it('converts decimals in the major unit without binary noise', () => {
    expect(toMinorUnits(29.33, 'USD')).toEqual({ ok: true, value: 2933 });
    expect(toMinorUnits('19.99', 'EUR')).toEqual({ ok: true, value: 1999 });
    expect(toMinorUnits(1.005, 'USD')).toEqual({ ok: true, value: 101 });
    expect(toMinorUnits(-4.1, 'USD')).toEqual({ ok: true, value: -410 });
  });

  it('uses the currency precision', () => {
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('BHD')).toBe(3);
    expect(toMinorUnits(1200, 'JPY')).toEqual({ ok: true, value: 1200 });
    expect(toMinorUnits(1.234, 'BHD')).toEqual({ ok: true, value: 1234 });
  });

  it('rejects unknown currencies and non-numbers', () => {
    expect(toMinorUnits(1, 'XYZ')).toEqual({
      ok: false,
      error: { type: 'UnknownCurrency', currency: 'XYZ' },
    });
    expect(toMinorUnits('abc', 'USD').ok).toBe(false);
    expect(toMinorUnits('', 'USD').ok).toBe(false);
  });

  it('round-trips every cent amount exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000_000_00, max: 10_000_000_00 }), (cents) => {
        expect(toMinorUnits(cents / 100, 'USD')).toEqual({ ok: true, value: cents });
        expect(toMinorUnits((cents / 100).toFixed(2), 'USD')).toEqual({ ok: true, value: cents });
      }),
    );
  });
});

describe('toBaseCurrency', () => {
  const settings = { baseCurrency: 'USD', rates: { EUR: 1.08, JPY: 0.0067 } };

  it('keeps base-currency amounts as they are', () => {
    expect(toBaseCurrency(2933, 'USD', settings)).toEqual({ ok: true, value: 2933 });
  });

  it('converts with the rate and the difference in precision', () => {
    expect(toBaseCurrency(1000, 'EUR', settings)).toEqual({ ok: true, value: 1080 });
    expect(toBaseCurrency(10000, 'JPY', settings)).toEqual({ ok: true, value: 6700 });
  });

  it('refuses a currency without a rate and says so', () => {
    const r = toBaseCurrency(1000, 'GBP', settings);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeMoneyError(r.error)).toMatch(/GBP has no exchange rate.*USD/);
  });
});
