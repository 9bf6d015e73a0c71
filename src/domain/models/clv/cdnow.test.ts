/**
 * The textbook check: the CDNOW 1/10 sample (2,357 customers), calibration weeks 1–39
 * (to 1997-09-30 inclusive), time in weeks, as in Fader, Hardie & Lee (2005).
 *
 * Tolerances: published parameters are rounded to 3 decimals (2 for Gamma–Gamma p, q), so the
 * rounding alone allows ±0.5 in the last digit; we allow ±1 unit in the last published digit
 * (0.001 for r = 0.243, 0.01 for p = 6.25), i.e. rounding plus slack for where another optimiser
 * stops. Log-likelihoods are published to 0.1, and we allow ±0.1.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarizeTransactions, type SummaryColumns } from './summary.js';
import { fitBgNbd, expectedPurchases as bgExpected } from './bg-nbd.js';
import { fitParetoNbd } from './pareto-nbd.js';
import { fitMbgNbd } from './mbg-nbd.js';
import { fitGammaGamma } from './gamma-gamma.js';
import { sharedDataPath } from '../../../../test/support/shared-data.js';

const DATA = sharedDataPath('cdnow', 'CDNOW_sample.txt');
const DAY_MS = 86_400_000;
const CALIBRATION_END = Date.UTC(1997, 8, 30) / DAY_MS;

interface Rows {
  customer: number[];
  day: number[];
  cents: number[];
}

function loadCdnow(): Rows {
  const rows: Rows = { customer: [], day: [], cents: [] };
  for (const line of readFileSync(DATA, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const date = f[2] as string;
    rows.customer.push(Number(f[1]));
    rows.day.push(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8)) / DAY_MS);
    rows.cents.push(Math.round(Number(f[4]) * 100));
  }
  return rows;
}

/** Within ±1 unit of the last published digit. */
function expectPublished(got: number, published: number, decimals: number): void {
  expect(Math.abs(got - published)).toBeLessThanOrEqual(10 ** -decimals + 1e-12);
}

describe('CDNOW sample, calibration to 1997-09-30, weeks', () => {
  let rows: Rows;
  let summary: SummaryColumns;
  beforeAll(() => {
    rows = loadCdnow();
    summary = summarizeTransactions(rows.customer, rows.day, rows.cents, CALIBRATION_END, 'week');
  });
  const rfm = () => ({ frequency: summary.frequency, recency: summary.recency, T: summary.T });

  it('summarises 2,357 customers, 946 repeat buyers and as many repeat transactions as distinct repeat days', () => {
    expect(rows.customer.length).toBe(6919);
    expect(summary.frequency.length).toBe(2357);
    // Independent count: distinct (customer, day) pairs in the calibration period minus one first day each.
    const distinct = new Set<string>();
    for (let i = 0; i < rows.day.length; i++) {
      if ((rows.day[i] as number) <= CALIBRATION_END) distinct.add(`${rows.customer[i]}:${rows.day[i]}`);
    }
    let repeatTransactions = 0;
    let repeatBuyers = 0;
    for (const x of summary.frequency) {
      repeatTransactions += x;
      if (x > 0) repeatBuyers++;
    }
    expect(repeatTransactions).toBe(distinct.size - 2357);
    expect(repeatTransactions).toBe(2457);
    expect(repeatBuyers).toBe(946);
    // Every customer first bought in 1997Q1 (1997-01-01 … 1997-03-31): 183/7 ≤ T ≤ 272/7 weeks.
    for (const T of summary.T) {
      expect(T).toBeGreaterThanOrEqual(183 / 7 - 1e-12);
      expect(T).toBeLessThanOrEqual(272 / 7 + 1e-12);
    }
  });

  it('fits the BG/NBD to FHL 2005: r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4', () => {
    const fit = fitBgNbd(rfm());
    expect(fit.converged).toBe(true);
    expectPublished(fit.params.r, 0.243, 3);
    expectPublished(fit.params.alpha, 4.414, 3);
    expectPublished(fit.params.a, 0.793, 3);
    expectPublished(fit.params.b, 2.426, 3);
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThanOrEqual(0.1);
    // FHL 2005 p. 279: 1.226 purchases in the next 39 weeks for x = 2, tₓ = 30.43, T = 38.86.
    expectPublished(bgExpected(fit.params, 39, 2, 30.43, 38.86), 1.226, 3);
  });

  it('fits the Pareto/NBD to Fader & Hardie: r 0.553, α 10.578, s 0.606, β 11.669, LL −9595.0', () => {
    const fit = fitParetoNbd(rfm());
    expect(fit.converged).toBe(true);
    expectPublished(fit.params.r, 0.553, 3);
    expectPublished(fit.params.alpha, 10.578, 3);
    expectPublished(fit.params.s, 0.606, 3);
    expectPublished(fit.params.beta, 11.669, 3);
    expect(Math.abs(fit.logLikelihood - -9595.0)).toBeLessThanOrEqual(0.1);
  });

  it('fits the Gamma–Gamma on the 946 repeat buyers to FHL 2005 (RFM and CLV): p 6.25, q 3.74, γ 15.44', () => {
    // Amounts are summed per day in cents; the published fit is in dollars.
    const dollars = Float64Array.from(summary.monetaryValue, (v) => v / 100);
    const fit = fitGammaGamma({ frequency: summary.frequency, monetaryValue: dollars });
    expect(fit.converged).toBe(true);
    expectPublished(fit.params.p, 6.25, 2);
    expectPublished(fit.params.q, 3.74, 2);
    expectPublished(fit.params.gamma, 15.44, 2);
  });

  it('fits the MBG/NBD (no published reference here: checked against BG/NBD likelihood and recorded in MODELS.md)', () => {
    const fit = fitMbgNbd(rfm());
    expect(fit.converged).toBe(true);
    // Same data, one nested-ish model family: the likelihoods must be close (within 5 points).
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThan(5);
    // Values measured by this implementation, see docs/MODELS.md: r 0.525, α 6.183, a 0.891, b 1.614.
    expect(Math.abs(fit.params.r - 0.525)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.a - 0.891)).toBeLessThan(0.005);
  });
});
