/**
 * Review-request timing: ask for a review when the product has had time to show its value — the
 * delivery time plus the category's time-to-value, learned from when reviews actually arrive
 * after delivery.
 *
 * Per category, from the delays d (days from the order's delivery to a review of a product of that
 * category in the order): the median m and the count n. The estimate is shrunk on the log scale
 * toward the category's default d₀ with `strength` pseudo-reviews:
 *   ln t = (n · ln m + k · ln d₀) / (n + k),   k = 20,
 * so a category with a handful of reviews stays near its default and one with hundreds follows its
 * own median. Defaults (days) are what a product of the kind needs before a fair verdict: a coffee or
 * tea is judged within days, skincare and supplements need weeks of use.
 */

export const DEFAULT_TIME_TO_VALUE_DAYS: Readonly<Record<string, number>> = {
  coffee: 5,
  tea: 5,
  'pet food': 7,
  apparel: 7,
  accessories: 7,
  home: 10,
  skincare: 21,
  supplements: 28,
};

/** Used for a category without a default of its own. */
export const FALLBACK_TIME_TO_VALUE_DAYS = 7;
export const REVIEW_TIMING_STRENGTH = 20;

export interface CategoryTimeToValue {
  readonly category: string;
  readonly reviews: number;
  /** Median observed delay (days), null without reviews. */
  readonly medianDays: number | null;
  readonly defaultDays: number;
  /** The shrunk estimate used for review requests (days). */
  readonly days: number;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function defaultTimeToValue(category: string): number {
  return DEFAULT_TIME_TO_VALUE_DAYS[category.toLowerCase()] ?? FALLBACK_TIME_TO_VALUE_DAYS;
}

/**
 * Time-to-value per category from observed review delays (days; negative delays — a review before
 * the delivery was recorded — are left out). Categories with a default but no reviews are included.
 */
export function learnTimeToValue(
  delays: ReadonlyArray<{ readonly category: string; readonly days: number }>,
  strength = REVIEW_TIMING_STRENGTH,
): CategoryTimeToValue[] {
  const by = new Map<string, number[]>();
  for (const c of Object.keys(DEFAULT_TIME_TO_VALUE_DAYS)) by.set(c, []);
  for (const d of delays) {
    if (!(d.days >= 0) || !Number.isFinite(d.days)) continue;
    const key = d.category.toLowerCase();
    let xs = by.get(key);
    if (!xs) by.set(key, (xs = []));
    xs.push(d.days);
  }
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([category, xs]) => {
      const d0 = defaultTimeToValue(category);
      if (xs.length === 0) return { category, reviews: 0, medianDays: null, defaultDays: d0, days: d0 };
      // A same-day review has a delay near 0; a floor of one hour keeps the logarithm finite.
      const m = Math.max(median(xs), 1 / 24);
      const n = xs.length;
      const days = Math.exp((n * Math.log(m) + strength * Math.log(d0)) / (n + strength));
      return { category, reviews: n, medianDays: m, defaultDays: d0, days };
    });
}

/**
 * When to ask for a review of a delivered order: delivery + the time-to-value of the order's main
 * category (the one with the largest share of its value; the longest time-to-value breaks ties).
 */
export function reviewDueAt(
  deliveredAt: number,
  lines: ReadonlyArray<{ readonly category: string | null; readonly valueMinor: number }>,
  timeToValue: ReadonlyMap<string, number>,
): { at: number; category: string | null; days: number } {
  const value = new Map<string, number>();
  for (const l of lines) {
    if (l.category === null) continue;
    const k = l.category.toLowerCase();
    value.set(k, (value.get(k) ?? 0) + Math.max(0, l.valueMinor));
  }
  let category: string | null = null;
  let best = -1;
  for (const [c, v] of value) {
    const days = timeToValue.get(c) ?? defaultTimeToValue(c);
    const bestDays = category === null ? -1 : (timeToValue.get(category) ?? defaultTimeToValue(category));
    if (v > best || (v === best && days > bestDays)) {
      best = v;
      category = c;
    }
  }
  const days =
    category === null
      ? FALLBACK_TIME_TO_VALUE_DAYS
      : (timeToValue.get(category) ?? defaultTimeToValue(category));
  return { at: deliveredAt + days * 86_400_000, category, days };
}
