/**
 * Text use cases: analyse texts on demand; analyse the store's customer texts (reviews, tickets,
 * survey comments) not yet analysed, exactly once each (`patron text analyze-store`); theme trends
 * per product and month with the complaints that rose; one customer's recent tone.
 */
import { z } from 'zod';
import {
  TEXT_ANALYZER_VERSION,
  type TextAnalysis,
  type TextAnalyzer,
} from '../domain/models/text/analyze.js';
import {
  customerTextSignals,
  monthOf,
  monthsBetween,
  risingComplaints,
  shiftMonth,
  themeTrends,
  type CustomerTextRow,
  type CustomerTextSignals,
  type RisingComplaint,
  type ThemeCountRow,
  type ThemeTrend,
} from '../domain/models/text/aggregate.js';
import { textOfEvent, TEXT_EVENTS, type TextEventName } from '../domain/models/text/sources.js';
import { THEMES } from '../domain/models/text/lexicon.js';
import { err, ok, type Result } from '../domain/result.js';

/** Longest text analysed on demand, in characters (the event schemas' limit for a body). */
export const MAX_TEXT_CHARS = 20_000;
/** Most texts in one `POST /v1/text/analyze`. */
export const MAX_TEXTS = 1000;

export const analyzeRequestSchema = z
  .object({
    text: z
      .string()
      .max(MAX_TEXT_CHARS, { message: `must be at most ${MAX_TEXT_CHARS} characters` })
      .optional(),
    texts: z
      .array(z.string().max(MAX_TEXT_CHARS, { message: `must be at most ${MAX_TEXT_CHARS} characters` }))
      .min(1, { message: 'must hold at least one text' })
      .max(MAX_TEXTS, { message: `must hold at most ${MAX_TEXTS} texts` })
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.text === undefined) === (v.texts === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.text === undefined ? 'text' : 'texts'],
        message: 'send either "text" (a string) or "texts" (an array of strings), not both',
      });
    }
  });
export type AnalyzeRequest = z.infer<typeof analyzeRequestSchema>;

/** One text or many: `{text}` answers one analysis, `{texts}` answers `{results}` in order. */
export function analyzeRequest(
  analyzer: TextAnalyzer,
  request: AnalyzeRequest,
): TextAnalysis | { results: TextAnalysis[] } {
  if (request.texts !== undefined) return { results: request.texts.map((t) => analyzer.analyze(t)) };
  return analyzer.analyze(request.text ?? '');
}

/** One analysed customer text as stored (table `text_analyses`); themes are JSON text. */
export interface TextAnalysisRow {
  message_id: string;
  source: string;
  product_id: string | null;
  occurred_at: string;
  /** YYYY-MM of occurred_at (UTC). */
  month: string;
  rating: number | null;
  nps: number | null;
  score: number;
  label: string;
  themes: string;
  analyzer_version: string;
  analyzed_at: string;
}

/** One theme mentioned in an analysed text (table `text_theme_mentions`), for the trends. */
export interface TextThemeMentionRow {
  message_id: string;
  theme: string;
  source: string;
  product_id: string | null;
  month: string;
  polarity: string;
  score: number;
}

/** A stored event that may carry text. */
export interface TextEventRow {
  readonly message_id: string;
  readonly name: string;
  readonly timestamp: string;
  readonly payload: string;
}

/** What the text use cases need from storage (store/text-repository.ts). */
export interface TextStore {
  /** Events named `name` with no analysis yet, after the (timestamp, messageId) cursor, in that order. */
  pendingEvents(
    name: TextEventName,
    after: { timestamp: string; messageId: string } | null,
    limit: number,
  ): Promise<TextEventRow[]>;
  /** Stores analyses and their theme mentions in one transaction; rows already stored are kept. */
  saveAnalyses(rows: readonly TextAnalysisRow[], mentions: readonly TextThemeMentionRow[]): Promise<number>;
  /** Theme mention counts by (product, theme, month, polarity) in [from, to]. */
  themeCounts(filter: ThemeFilter): Promise<ThemeCountRow[]>;
  /** The analysed texts of a customer (following merges) since an ISO time. */
  customerTexts(customerId: string, since: string): Promise<CustomerTextRow[]>;
}

export interface ThemeFilter {
  readonly from: string;
  readonly to: string;
  readonly productId?: string;
  readonly theme?: string;
  readonly source?: string;
}

export interface AnalyzeStoreSummary {
  /** Text-bearing events looked at (those not analysed before). */
  readonly scanned: number;
  /** Analyses stored by this run. */
  readonly analyzed: number;
  /** Events of these kinds without any text (e.g. a survey with no comment). */
  readonly withoutText: number;
  readonly seconds: number;
}

/** The analysis rows of one event, or null when it carries no text. */
export function analysisRows(
  analyzer: TextAnalyzer,
  event: TextEventRow,
  analyzedAt: string,
): { row: TextAnalysisRow; mentions: TextThemeMentionRow[] } | null {
  let properties: Record<string, unknown> = {};
  try {
    const payload = JSON.parse(event.payload) as { properties?: unknown };
    if (payload.properties && typeof payload.properties === 'object') {
      properties = payload.properties as Record<string, unknown>;
    }
  } catch {
    return null;
  }
  const text = textOfEvent(event.name, properties);
  if (!text) return null;
  const a = analyzer.analyze(text.text);
  const month = monthOf(event.timestamp);
  return {
    row: {
      message_id: event.message_id,
      source: text.source,
      product_id: text.productId,
      occurred_at: event.timestamp,
      month,
      rating: text.rating,
      nps: text.nps,
      score: a.score,
      label: a.label,
      themes: JSON.stringify(a.themes),
      analyzer_version: TEXT_ANALYZER_VERSION,
      analyzed_at: analyzedAt,
    },
    mentions: a.themes.map((t) => ({
      message_id: event.message_id,
      theme: t.theme,
      source: text.source,
      product_id: text.productId,
      month,
      polarity: t.polarity,
      score: t.score,
    })),
  };
}

/**
 * Analyses every review, ticket and survey comment that has no analysis yet. Exactly once: each
 * analysis is keyed by the event's messageId and a page is stored in one transaction, so a rerun,
 * a concurrent run or a run killed half-way stores each text once.
 */
export async function analyzeStoreTexts(
  store: TextStore,
  analyzer: TextAnalyzer,
  options: { now: () => Date; pageSize?: number; onProgress?: (done: number) => void },
): Promise<AnalyzeStoreSummary> {
  const started = performance.now();
  const pageSize = options.pageSize ?? 2000;
  let scanned = 0;
  let analyzed = 0;
  let withoutText = 0;
  for (const name of TEXT_EVENTS) {
    let cursor: { timestamp: string; messageId: string } | null = null;
    for (;;) {
      const page = await store.pendingEvents(name, cursor, pageSize);
      if (page.length === 0) break;
      const at = options.now().toISOString();
      const rows: TextAnalysisRow[] = [];
      const mentions: TextThemeMentionRow[] = [];
      for (const e of page) {
        const r = analysisRows(analyzer, e, at);
        if (!r) {
          withoutText++;
          continue;
        }
        rows.push(r.row);
        mentions.push(...r.mentions);
      }
      analyzed += await store.saveAnalyses(rows, mentions);
      scanned += page.length;
      options.onProgress?.(scanned);
      const last = page[page.length - 1] as TextEventRow;
      cursor = { timestamp: last.timestamp, messageId: last.message_id };
      if (page.length < pageSize) break;
    }
  }
  return { scanned, analyzed, withoutText, seconds: (performance.now() - started) / 1000 };
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export const themesQuerySchema = z
  .object({
    product: z.string().min(1).max(200).optional(),
    theme: z.enum(THEMES, { message: `must be one of ${THEMES.join(', ')}` }).optional(),
    source: z
      .enum(['review', 'ticket', 'survey'], { message: 'must be review, ticket or survey' })
      .optional(),
    from: z.string().regex(MONTH, { message: 'must be a month, YYYY-MM' }).optional(),
    to: z.string().regex(MONTH, { message: 'must be a month, YYYY-MM' }).optional(),
  })
  .strict();
export type ThemesQuery = z.infer<typeof themesQuerySchema>;

export interface ThemesReport {
  readonly product: string | null;
  readonly from: string;
  readonly to: string;
  readonly themes: readonly ThemeTrend[];
  /** Complaints that rose in `to` against the month before, beyond chance, per product. */
  readonly rising: readonly RisingComplaint[];
}

export type ThemesError = { type: 'InvalidRange'; path: string; message: string };

/** Theme trends by month (default: the six months to `now`'s month) and the rising complaints. */
export async function themesReport(
  store: TextStore,
  query: ThemesQuery,
  now: Date,
): Promise<Result<ThemesReport, ThemesError>> {
  const to = query.to ?? monthOf(now.toISOString());
  const from = query.from ?? shiftMonth(to, 5);
  if (from > to) return err({ type: 'InvalidRange', path: 'from', message: 'must not be after "to"' });
  if (monthsBetween(from, to).length > 120) {
    return err({ type: 'InvalidRange', path: 'from', message: 'the range may span at most 120 months' });
  }
  const filter = {
    from: from < shiftMonth(to, 1) ? from : shiftMonth(to, 1),
    to,
    ...(query.product ? { productId: query.product } : {}),
    ...(query.theme ? { theme: query.theme } : {}),
    ...(query.source ? { source: query.source } : {}),
  };
  const counts = await store.themeCounts(filter);
  const months = monthsBetween(from, to);
  const inRange = counts.filter((c) => c.month >= from);
  return ok({
    product: query.product ?? null,
    from,
    to,
    themes: themeTrends(inRange, months),
    rising: risingComplaints(counts, to),
  });
}

/** Default look-back of a customer's text signals. */
export const CUSTOMER_TEXT_DAYS = 90;

/** A customer's recent tone (texts of the last `days` days before `now`), for decisioning and churn. */
export async function customerTextSignalsOf(
  store: TextStore,
  customerId: string,
  now: Date,
  days = CUSTOMER_TEXT_DAYS,
): Promise<CustomerTextSignals> {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString();
  return customerTextSignals(await store.customerTexts(customerId, since), since);
}
