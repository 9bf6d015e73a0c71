/**
 * Advocacy score: how likely a customer is to speak for the store, a transparent weighted score in
 * [0, 100]. Each signal is mapped to [0, 1] and weighted:
 *
 * | component   | weight | signal → [0, 1]                                                                  |
 * | ----------- | -----: | -------------------------------------------------------------------------------- |
 * | nps         |   0.25 | latest NPS answer: promoter (9–10) 1, passive (7–8) 0.4, detractor 0, none 0      |
 * | reviews     |   0.15 | (1 − e^(−n/2)) × positivity, positivity = (mean rating − 1) / 4                   |
 * | referrals   |   0.25 | 1 − e^(−(converted + 0.3 × unconverted))                                          |
 * | community   |   0.20 | 1 − e^(−(posts + helpful votes / 2) / 3)                                          |
 * | repeat      |   0.10 | 1 − e^(−(orders − 1) / 2)                                                         |
 * | breadth     |   0.05 | min(1, (categories − 1) / 3)                                                      |
 *
 * score = 100 × Σ weight × component. The reasons are the components that contribute most, in words.
 * Ratings come from the review events themselves (not from text sentiment).
 */

export interface AdvocacySignals {
  /** The latest NPS answer (0–10), null when never answered. */
  readonly latestNps: number | null;
  readonly reviews: number;
  /** Mean star rating of the reviews (1–5), null without reviews. */
  readonly meanRating: number | null;
  /** Referrals that led to a first order of the referred customer. */
  readonly referralsConverted: number;
  /** Referrals sent or shared that have not (yet) converted. */
  readonly referralsPending: number;
  readonly communityPosts: number;
  readonly helpfulVotes: number;
  readonly orders: number;
  readonly categories: number;
}

export const ADVOCACY_WEIGHTS = {
  nps: 0.25,
  reviews: 0.15,
  referrals: 0.25,
  community: 0.2,
  repeat: 0.1,
  breadth: 0.05,
} as const;

export type AdvocacyComponent = keyof typeof ADVOCACY_WEIGHTS;

export interface AdvocacyScore {
  /** 0–100. */
  readonly score: number;
  /** Each component's contribution to the score (points out of 100). */
  readonly components: Readonly<Record<AdvocacyComponent, number>>;
  /** Plain-words reasons, largest contribution first (components contributing ≥ 2 points). */
  readonly reasons: readonly string[];
}

const sat = (x: number, scale = 1): number => 1 - Math.exp(-Math.max(0, x) / scale);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function npsComponent(nps: number | null): number {
  if (nps === null) return 0;
  if (nps >= 9) return 1;
  if (nps >= 7) return 0.4;
  return 0;
}

/** The advocacy score, its components and reasons. */
export function advocacyScore(s: AdvocacySignals): AdvocacyScore {
  const positivity = s.meanRating === null ? 0 : Math.min(1, Math.max(0, (s.meanRating - 1) / 4));
  const raw: Record<AdvocacyComponent, number> = {
    nps: npsComponent(s.latestNps),
    reviews: sat(s.reviews, 2) * positivity,
    referrals: sat(s.referralsConverted + 0.3 * s.referralsPending),
    community: sat(s.communityPosts + s.helpfulVotes / 2, 3),
    repeat: sat(s.orders - 1, 2),
    breadth: Math.min(1, Math.max(0, (s.categories - 1) / 3)),
  };
  const components = {} as Record<AdvocacyComponent, number>;
  let score = 0;
  for (const k of Object.keys(ADVOCACY_WEIGHTS) as AdvocacyComponent[]) {
    components[k] = Math.round(100 * ADVOCACY_WEIGHTS[k] * raw[k] * 100) / 100;
    score += 100 * ADVOCACY_WEIGHTS[k] * raw[k];
  }
  const words: Record<AdvocacyComponent, () => string> = {
    nps: () => `${(s.latestNps ?? 0) >= 9 ? 'promoter' : 'passive'} (NPS ${s.latestNps})`,
    reviews: () => `${plural(s.reviews, 'review')} averaging ${(s.meanRating ?? 0).toFixed(1)} stars`,
    referrals: () =>
      s.referralsConverted > 0
        ? `referred ${plural(s.referralsConverted, 'customer')} who bought`
        : `shared ${plural(s.referralsPending, 'referral')}`,
    community: () =>
      `${plural(s.communityPosts, 'community post')} with ${plural(s.helpfulVotes, 'helpful vote')}`,
    repeat: () => `${plural(s.orders, 'order')}`,
    breadth: () => `buys from ${plural(s.categories, 'category', 'categories')}`,
  };
  const reasons = (Object.keys(components) as AdvocacyComponent[])
    .filter((k) => components[k] >= 2)
    .sort((a, b) => components[b] - components[a])
    .map((k) => words[k]());
  return { score: Math.round(score * 100) / 100, components, reasons };
}
