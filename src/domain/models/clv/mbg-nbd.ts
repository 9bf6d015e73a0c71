/**
 * MBG/NBD — Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
 * models for customer base analysis", International Journal of Research in Marketing 24(3).
 * As the BG/NBD, except that a customer may also drop out right after the first purchase, so
 * a one-time buyer is not assumed alive.
 */
import {
  bgExpectedPurchases,
  bgProbabilityAlive,
  bgProbabilityNoPurchase,
  fitBgFamily,
  bgFamilyLogLikelihood,
  medianTimeToNextPurchase as medianGammaWait,
  type BgParams,
  type FitOptions,
  type FitResult,
} from './bg-family.js';
import type { RfmInput } from './rfm-data.js';

export type MbgNbdParams = BgParams;

/**
 * Maximum-likelihood fit. Per customer:
 * L = Γ(r+x)αʳ/Γ(r) · B(a, b+x+1)/B(a,b) · [(α+T)^−(r+x) + a/(b+x) · (α+tₓ)^−(r+x)].
 */
export function fitMbgNbd(data: RfmInput, options?: FitOptions): FitResult<MbgNbdParams> {
  return fitBgFamily(data, true, options);
}

/** Total log-likelihood of the data at the given parameters. */
export function mbgNbdLogLikelihood(params: MbgNbdParams, data: RfmInput): number {
  return bgFamilyLogLikelihood(params, data, true);
}

/** P(alive | x, tₓ, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+tₓ))^(r+x)), also for x = 0. */
export function probabilityAlive(params: MbgNbdParams, x: number, tx: number, T: number): number {
  return bgProbabilityAlive(params, true, x, tx, T);
}

/**
 * E[purchases in (T, T+t] | x, tₓ, T] =
 * (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive).
 */
export function expectedPurchases(params: MbgNbdParams, t: number, x: number, tx: number, T: number): number {
  return bgExpectedPurchases(params, true, t, x, tx, T);
}

/** P(no purchase in (T, T+window] | x, tₓ, T), dropout included. */
export function probabilityNoPurchase(
  params: MbgNbdParams,
  window: number,
  x: number,
  tx: number,
  T: number,
): number {
  return bgProbabilityNoPurchase(params, true, window, x, tx, T);
}

/** Median time to the next purchase given alive: (α+T)(2^(1/(r+x)) − 1). */
export function medianTimeToNextPurchase(params: MbgNbdParams, x: number, _tx: number, T: number): number {
  return medianGammaWait(params.r, params.alpha, x, T);
}

/** E[X(t)] for a new customer: b/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b+1; a+b; t/(α+t))]. */
export function expectedPurchasesNewCustomer(params: MbgNbdParams, t: number): number {
  return bgExpectedPurchases(params, true, t, 0, 0, 0);
}
