/**
 * What the store sees of its customers' words: theme mentions by month (how many, how negative),
 * themes whose complaints rose this month beyond chance, and one customer's recent tone.
 */
import type { SentimentLabel } from './analyze.js';

/** Counts of one (product?, theme, month, polarity) cell, as the store groups them. */
export interface ThemeCountRow {
  readonly productId?: string | null;
  readonly theme: string;
  readonly month: string;
  readonly polarity: string;
  readonly mentions: number;
  readonly scoreSum: number;
}

export interface ThemeMonth {
  readonly month: string;
  readonly mentions: number;
  readonly negative: number;
  readonly neutral: number;
  readonly positive: number;
  /** Share of mentions that are negative (0 when there are none). */
  readonly negativeShare: number;
  /** Mean polarity score of the mentions (0 when there are none). */
  readonly meanScore: number;
}

export interface ThemeTrend {
  readonly theme: string;
  readonly mentions: number;
  readonly negative: number;
  readonly months: readonly ThemeMonth[];
}

/** Every month from `from` to `to` (YYYY-MM, inclusive). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
    if (out.length > 1200) break;
  }
  return out;
}

/** The month `n` months before (negative n: after) a YYYY-MM month. */
export function shiftMonth(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) - n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** YYYY-MM of an ISO 8601 UTC time. */
export function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

/** Theme trends over the months: one series per theme, every month present (zeros included). */
export function themeTrends(rows: readonly ThemeCountRow[], months: readonly string[]): ThemeTrend[] {
  const cells = new Map<string, { n: Record<SentimentLabel, number>; sum: number }>();
  const themes = new Set<string>();
  for (const r of rows) {
    themes.add(r.theme);
    const key = `${r.theme}|${r.month}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { n: { negative: 0, neutral: 0, positive: 0 }, sum: 0 }));
    if (r.polarity === 'negative' || r.polarity === 'neutral' || r.polarity === 'positive') {
      c.n[r.polarity] += r.mentions;
    }
    c.sum += r.scoreSum;
  }
  return [...themes].sort().map((theme) => {
    const series = months.map((month): ThemeMonth => {
      const c = cells.get(`${theme}|${month}`);
      const mentions = c ? c.n.negative + c.n.neutral + c.n.positive : 0;
      return {
        month,
        mentions,
        negative: c?.n.negative ?? 0,
        neutral: c?.n.neutral ?? 0,
        positive: c?.n.positive ?? 0,
        negativeShare: mentions === 0 ? 0 : (c?.n.negative ?? 0) / mentions,
        meanScore: mentions === 0 ? 0 : Math.round(((c?.sum ?? 0) / mentions) * 10_000) / 10_000,
      };
    });
    return {
      theme,
      mentions: series.reduce((s, m) => s + m.mentions, 0),
      negative: series.reduce((s, m) => s + m.negative, 0),
      months: series,
    };
  });
}

export interface RisingComplaint {
  readonly productId: string | null;
  readonly theme: string;
  readonly month: string;
  readonly negative: number;
  readonly previousNegative: number;
  /** (c − p) / √(c + p): the normal approximation of the conditional test that two Poisson
   * counts share one rate (c | c + p ~ Binomial(c + p, ½) under equal rates). */
  readonly z: number;
  readonly text: string;
}

const THEME_WORDS: Readonly<Record<string, string>> = {
  shipping: 'shipping',
  quality: 'quality',
  sizing: 'sizing',
  price: 'price',
  service: 'customer service',
  packaging: 'packaging',
  ease_of_use: 'ease-of-use',
};

/**
 * Negative mentions of a (product, theme) that rose from the month before `month` to `month`
 * beyond chance: at least `minNegative` this month and z ≥ `minZ` (1.96: a two-sided 5% test).
 * Sorted by z, strongest first.
 */
export function risingComplaints(
  rows: readonly ThemeCountRow[],
  month: string,
  options: { minNegative?: number; minZ?: number } = {},
): RisingComplaint[] {
  const minNegative = options.minNegative ?? 3;
  const minZ = options.minZ ?? 1.96;
  const previous = shiftMonth(month, 1);
  const counts = new Map<string, { productId: string | null; theme: string; now: number; before: number }>();
  for (const r of rows) {
    if (r.polarity !== 'negative' || (r.month !== month && r.month !== previous)) continue;
    const productId = r.productId ?? null;
    const key = `${productId ?? ''}|${r.theme}`;
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { productId, theme: r.theme, now: 0, before: 0 }));
    if (r.month === month) c.now += r.mentions;
    else c.before += r.mentions;
  }
  const out: RisingComplaint[] = [];
  for (const c of counts.values()) {
    if (c.now < minNegative || c.now <= c.before) continue;
    const z = (c.now - c.before) / Math.sqrt(c.now + c.before);
    if (z < minZ) continue;
    const words = THEME_WORDS[c.theme] ?? c.theme;
    const on = c.productId === null ? '' : ` on product ${c.productId}`;
    out.push({
      productId: c.productId,
      theme: c.theme,
      month,
      negative: c.now,
      previousNegative: c.before,
      z: Math.round(z * 100) / 100,
      text: `${words} complaints${on} rose from ${c.before} in ${previous} to ${c.now} in ${month}`,
    });
  }
  return out.sort((a, b) => b.z - a.z || b.negative - a.negative);
}

/** One analysed text of a customer, as the store reads it back. */
export interface CustomerTextRow {
  readonly source: string;
  readonly occurredAt: string;
  readonly score: number;
  readonly label: string;
  readonly themes: ReadonlyArray<{ theme: string; polarity: string }>;
}

export interface CustomerTextSignals {
  readonly since: string;
  readonly texts: number;
  readonly negative: number;
  readonly positive: number;
  /** Mean sentiment of the texts in the window (null without any). */
  readonly meanScore: number | null;
  readonly lastNegativeAt: string | null;
  /** The latest text's label (null without any). */
  readonly latestLabel: string | null;
  /** Themes the customer complained about in the window, most complaints first. */
  readonly complaints: ReadonlyArray<{ theme: string; negative: number; lastAt: string }>;
  readonly praise: ReadonlyArray<{ theme: string; positive: number }>;
}

/** A customer's recent tone from their texts since `since` (ISO time), for decisioning and churn. */
export function customerTextSignals(rows: readonly CustomerTextRow[], since: string): CustomerTextSignals {
  const recent = rows
    .filter((r) => r.occurredAt >= since)
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const complaints = new Map<string, { negative: number; lastAt: string }>();
  const praise = new Map<string, number>();
  let sum = 0;
  let negative = 0;
  let positive = 0;
  let lastNegativeAt: string | null = null;
  for (const r of recent) {
    sum += r.score;
    if (r.label === 'negative') {
      negative++;
      lastNegativeAt = r.occurredAt;
    } else if (r.label === 'positive') positive++;
    for (const t of r.themes) {
      if (t.polarity === 'negative') {
        const c = complaints.get(t.theme) ?? { negative: 0, lastAt: r.occurredAt };
        c.negative++;
        c.lastAt = r.occurredAt;
        complaints.set(t.theme, c);
      } else if (t.polarity === 'positive') praise.set(t.theme, (praise.get(t.theme) ?? 0) + 1);
    }
  }
  return {
    since,
    texts: recent.length,
    negative,
    positive,
    meanScore: recent.length === 0 ? null : Math.round((sum / recent.length) * 10_000) / 10_000,
    lastNegativeAt,
    latestLabel: recent.at(-1)?.label ?? null,
    complaints: [...complaints]
      .map(([theme, c]) => ({ theme, ...c }))
      .sort((a, b) => b.negative - a.negative || b.lastAt.localeCompare(a.lastAt)),
    praise: [...praise].map(([theme, n]) => ({ theme, positive: n })).sort((a, b) => b.positive - a.positive),
  };
}
