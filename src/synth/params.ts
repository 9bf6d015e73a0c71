/**
 * The true parameters of the synthetic store and the true response to retention actions.
 * Everything here is written to `ground-truth-params.json` so models can be checked against it.
 */

/**
 * The latent purchase and spend process (BG/NBD + Gamma-Gamma, Fader, Hardie & Lee 2005; Fader,
 * Hardie & Lee 2005 "RFM and CLV"). Time unit: weeks. Money unit: USD (major units).
 * - λ_i ~ Gamma(r, α): purchases per week while alive (mean r/α).
 * - p_i ~ Beta(a, b): probability of dropping out right after each purchase (mean a/(a+b)).
 * - ν_i ~ Gamma(q, γ); order value z ~ Gamma(p, ν_i), so the customer's mean spend is p/ν_i.
 */
export interface LatentParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
  readonly p: number;
  readonly q: number;
  readonly gamma: number;
}

export const defaultLatentParams: LatentParams = {
  r: 0.6,
  alpha: 7.5,
  a: 1.2,
  b: 3.5,
  p: 6,
  q: 3.5,
  gamma: 25,
};

export const churnDrivers = ['price', 'service', 'quality', 'disengagement'] as const;
/** Why a customer leaves; `none` for a customer who does not drop out within the horizon. */
export type ChurnDriver = (typeof churnDrivers)[number] | 'none';
export type ActiveChurnDriver = (typeof churnDrivers)[number];

/** Share of each driver among customers (deal seekers lean to `price`, see population.ts). */
export const driverShares: Readonly<Record<ActiveChurnDriver, number>> = {
  price: 0.3,
  service: 0.2,
  quality: 0.2,
  disengagement: 0.3,
};

/** A retention action Patron can take for one customer. */
export type RetentionAction =
  | { readonly type: 'discount'; readonly percent: number }
  | { readonly type: 'service_outreach' }
  | { readonly type: 'quality_apology' }
  | { readonly type: 'content' }
  | { readonly type: 'none' };

/** The driver each action addresses. */
export const actionTarget: Readonly<Record<RetentionAction['type'], ActiveChurnDriver | null>> = {
  discount: 'price',
  service_outreach: 'service',
  quality_apology: 'quality',
  content: 'disengagement',
  none: null,
};

/** An action only works while the true churn is at most this many weeks away (the at-risk window). */
export const AT_RISK_WEEKS = 12;

/**
 * The true response rule. An action whose target is the customer's driver, taken while the customer
 * is inside the at-risk window, cancels the pending dropout with probability `saveProbability`
 * (the dropout hazard of that decision is multiplied by 1 − s). Any other action has no effect.
 * - discount: s = min(0.9, 0.03 × percent)  (10 % → 0.30, 20 % → 0.60)
 * - service_outreach: s = 0.5; quality_apology: s = 0.45; content: s = 0.3; none: 0.
 */
export function saveProbability(action: RetentionAction, driver: ChurnDriver): number {
  if (driver === 'none' || actionTarget[action.type] !== driver) return 0;
  switch (action.type) {
    case 'discount':
      return Math.max(0, Math.min(0.9, 0.03 * action.percent));
    case 'service_outreach':
      return 0.5;
    case 'quality_apology':
      return 0.45;
    case 'content':
      return 0.3;
    case 'none':
      return 0;
    default: {
      const _exhaustive: never = action;
      return _exhaustive;
    }
  }
}

export const responseRule = {
  atRiskWeeks: AT_RISK_WEEKS,
  matching: actionTarget,
  saveProbability: {
    discount: 'min(0.9, 0.03 * percent)',
    service_outreach: 0.5,
    quality_apology: 0.45,
    content: 0.3,
    none: 0,
  },
  effect:
    'a saved customer does not drop out at the pending decision; purchases continue at the same λ from the action time and the number of purchases until the next dropout is redrawn from Geometric(p)',
} as const;

/** Units of currency per 1 USD, for the orders placed in EUR or GBP. */
export const fxRatesPerUsd: Readonly<Record<string, number>> = { USD: 1, EUR: 0.92, GBP: 0.79 };
