/**
 * Thompson sampling over Beta-Bernoulli arms (Thompson 1933; Chapelle & Li 2011): each arm's
 * conversion rate has the posterior Beta(α₀ + successes, β₀ + failures); draw one sample per arm
 * from the seeded random source and play the arm with the largest draw. Arms are chosen in
 * proportion to the posterior probability that they are best, so exploration fades as evidence grows.
 */
import type { Random } from '../random.js';

export interface ArmPosterior {
  readonly arm: string;
  /** Exposures whose attribution window has closed. */
  readonly pulls: number;
  /** Of those, how many converted. */
  readonly successes: number;
}

export interface BetaPrior {
  readonly alpha: number;
  readonly beta: number;
}

/** Uniform prior Beta(1, 1). */
export const UNIFORM_PRIOR: BetaPrior = { alpha: 1, beta: 1 };

/** The arm with the largest posterior draw. */
export function thompsonChoose(
  arms: readonly ArmPosterior[],
  random: Random,
  prior: BetaPrior = UNIFORM_PRIOR,
): string {
  if (arms.length === 0) throw new RangeError('thompsonChoose needs at least one arm');
  let best = arms[0] as ArmPosterior;
  let bestDraw = -1;
  for (const a of arms) {
    if (a.successes < 0 || a.successes > a.pulls)
      throw new RangeError(`arm ${a.arm}: successes must be in [0, pulls]`);
    const draw = random.beta(prior.alpha + a.successes, prior.beta + a.pulls - a.successes);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = a;
    }
  }
  return best.arm;
}

/** Posterior probability that each arm is best, by Monte Carlo with `draws` joint samples. */
export function probabilityBest(
  arms: readonly ArmPosterior[],
  random: Random,
  draws = 10_000,
  prior: BetaPrior = UNIFORM_PRIOR,
): Map<string, number> {
  const wins = new Map(arms.map((a) => [a.arm, 0]));
  for (let d = 0; d < draws; d++) {
    const arm = thompsonChoose(arms, random, prior);
    wins.set(arm, (wins.get(arm) ?? 0) + 1);
  }
  return new Map([...wins].map(([k, v]) => [k, v / draws]));
}

/** Posterior mean of an arm's conversion rate. */
export function posteriorMean(a: ArmPosterior, prior: BetaPrior = UNIFORM_PRIOR): number {
  return (prior.alpha + a.successes) / (prior.alpha + prior.beta + a.pulls);
}
