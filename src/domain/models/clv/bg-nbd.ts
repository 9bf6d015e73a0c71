/**
 * BG/NBD — Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to
 * the Pareto/NBD Model", Marketing Science 24(2). While alive a customer buys as a Poisson process
 * with rate λ ~ Gamma(r, α); after each repeat purchase she drops out with probability
 * p ~ Beta(a, b).
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

export type BgNbdParams = BgParams;

/**
 * Maximum-likelihood fit. Per customer (FHL 2005 eq. 6):
 * L = B(a,b+x)/B(a,b) · Γ(r+x)αʳ/(Γ(r)(α+T)^(r+x)) + [x>0] B(a+1,b+x−1)/B(a,b) · Γ(r+x)αʳ/(Γ(r)(α+tₓ)^(r+x)).
 * Throws InsufficientDataError with fewer than 3 customers or no repeat buyer.
 */
export function fitBgNbd(data: RfmInput, options?: FitOptions): FitResult<BgNbdParams> {
  return fitBgFamily(data, false, options);
}

/** Total log-likelihood of the data at the given parameters. */
export function bgNbdLogLikelihood(params: BgNbdParams, data: RfmInput): number {
  return bgFamilyLogLikelihood(params, data, false);
}

/** P(alive | x, tₓ, T) = 1 / (1 + [x>0] · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)) (FHL 2005 eq. 11). */
export function probabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  return bgProbabilityAlive(params, false, x, tx, T);
}

/** E[purchases in (T, T+t] | x, tₓ, T] (FHL 2005 eq. 10). */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  return bgExpectedPurchases(params, false, t, x, tx, T);
}

/** P(no purchase in (T, T+window] | x, tₓ, T), dropout included. */
export function probabilityNoPurchase(
  params: BgNbdParams,
  window: number,
  x: number,
  tx: number,
  T: number,
): number {
  return bgProbabilityNoPurchase(params, false, window, x, tx, T);
}

/** Median time to the next purchase given alive: (α+T)(2^(1/(r+x)) − 1). */
export function medianTimeToNextPurchase(params: BgNbdParams, x: number, _tx: number, T: number): number {
  return medianGammaWait(params.r, params.alpha, x, T);
}

/**
 * E[X(t)] for a new customer (FHL 2005 eq. 9):
 * (a+b−1)/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b; a+b−1; t/(α+t))].
 */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  return bgExpectedPurchases(params, false, t, 0, 0, 0);
}
