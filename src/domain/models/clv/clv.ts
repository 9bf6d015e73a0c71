/**
 * Discounted customer lifetime value from a transaction model and a spend model, as `lifetimes`'
 * customer_lifetime_value: the horizon is cut into steps, each step's expected purchases are
 * valued at the expected transaction value and the margin, and discounted per step.
 */

export interface ClvOptions {
  /** Number of steps in the horizon (e.g. 12 months). */
  steps: number;
  /** Length of one step in the model's time unit (e.g. 4.345 weeks for a month). */
  stepLength: number;
  /** Discount rate per step (e.g. 0.01 per month). */
  discountRate: number;
  /** Profit margin applied to revenue, in [0, 1] (1 = revenue). */
  margin: number;
}

/**
 * CLV = Σ_{k=1}^{K} (E[N(k·Δ)] − E[N((k−1)·Δ)]) · v · margin / (1 + d)^k, where E[N(t)] is the
 * cumulative expected number of purchases in the next t time units (conditional on the customer's
 * history) and v the expected value of one transaction (e.g. the Gamma–Gamma conditional mean).
 */
export function discountedClv(
  cumulativeExpectedPurchases: (t: number) => number,
  expectedValue: number,
  options: ClvOptions,
): number {
  const { steps, stepLength, discountRate, margin } = options;
  if (!(steps >= 0) || !(stepLength > 0) || !(discountRate > -1)) {
    throw new RangeError('discountedClv needs steps ≥ 0, stepLength > 0 and discountRate > −1');
  }
  let clv = 0;
  let previous = 0;
  let discount = 1;
  for (let k = 1; k <= steps; k++) {
    const cumulative = cumulativeExpectedPurchases(k * stepLength);
    discount /= 1 + discountRate;
    clv += (cumulative - previous) * expectedValue * margin * discount;
    previous = cumulative;
  }
  return clv;
}
