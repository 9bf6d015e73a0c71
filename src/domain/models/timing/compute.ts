/**
 * Send times and channels for a whole store from columns of engagement events (typed arrays, so
 * the same code runs on a 20,000-customer database and a 1,000,000-customer benchmark).
 */
import { DAY_MS, HOURS_OF_WEEK, localHourOfWeek, zoneOffset } from './local-time.js';
import {
  bestHour,
  channelPreference,
  CHANNELS,
  fitPriorStrength,
  posteriorPattern,
  storeChannelShares,
  storePattern,
  type Channel,
  type ResponseKind,
  type SparseCounts,
} from './send-time.js';

/** The response kinds the columns encode, by index. */
export const RESPONSE_TYPES: ReadonlyArray<{ readonly channel: Channel; readonly kind: ResponseKind }> = [
  { channel: 'email', kind: 'open' },
  { channel: 'email', kind: 'click' },
  { channel: 'sms', kind: 'open' },
  { channel: 'sms', kind: 'click' },
  { channel: 'push', kind: 'open' },
  { channel: 'push', kind: 'click' },
];

export function responseTypeIndex(channel: Channel, kind: ResponseKind): number {
  return CHANNELS.indexOf(channel) * 2 + (kind === 'open' ? 0 : 1);
}

export interface EngagementColumns {
  readonly customers: number;
  /** Event range of customer i: [start[i], start[i + 1]). */
  readonly start: Int32Array;
  /** Epoch ms of each response event. */
  readonly at: Float64Array;
  /** Index into {@link RESPONSE_TYPES}. */
  readonly type: Uint8Array;
  /** Time zone of each customer as an index into `zones` (−1: unknown, UTC is used). */
  readonly zone: Int32Array;
  readonly zones: readonly string[];
}

export interface SendTimeModel {
  /** Store-wide hour-of-week pattern (168 values summing to 1), in customers' local time. */
  readonly storePattern: Float64Array;
  /** Prior strength α in pseudo-responses (fitted by marginal likelihood). */
  readonly priorStrength: number;
  readonly channelShares: Record<Channel, number>;
  readonly customersFitted: number;
}

export interface SendTimes {
  readonly model: SendTimeModel;
  readonly opens: Int32Array;
  readonly clicks: Int32Array;
  /** Best local hour 0–23 and weekday 0–6 (Monday) per customer. */
  readonly bestHour: Int8Array;
  readonly bestWeekday: Int8Array;
  /** Posterior share of responses in the best (smoothed) hour. */
  readonly bestShare: Float32Array;
  /** Index into CHANNELS of the preferred channel, and the shares (customers × 3). */
  readonly channel: Uint8Array;
  readonly channelShares: Float32Array;
  /** Posterior hour-of-week patterns (customers × 168), when asked for. */
  readonly patterns: Float32Array | null;
  /** Sparse local hour-of-week of each customer's responses (index = customer). */
  readonly hourOfWeek: Uint8Array;
}

/** Local hour of the week of every event, with a per-(zone, day) offset table. */
export function localHours(e: EngagementColumns): Uint8Array {
  const out = new Uint8Array(e.at.length);
  const tables = new Map<number, Map<number, number>>();
  for (let i = 0; i < e.customers; i++) {
    const z = e.zone[i] as number;
    const zone = z >= 0 ? e.zones[z] : undefined;
    let table = tables.get(z);
    if (table === undefined) tables.set(z, (table = new Map()));
    for (let j = e.start[i] as number; j < (e.start[i + 1] as number); j++) {
      const t = e.at[j] as number;
      if (zone === undefined) {
        out[j] = localHourOfWeek('UTC', t);
        continue;
      }
      const day = Math.floor(t / DAY_MS);
      let off = table.get(day);
      if (off === undefined) {
        const a = zoneOffset(zone, day * DAY_MS);
        const b = zoneOffset(zone, (day + 1) * DAY_MS - 1);
        off = a === b ? a : NaN;
        table.set(day, off);
      }
      out[j] = Number.isNaN(off) ? localHourOfWeek(zone, t) : hourOfWeekFromLocal(t + off);
    }
  }
  return out;
}

function hourOfWeekFromLocal(local: number): number {
  const day = Math.floor(local / DAY_MS);
  return ((((day + 3) % 7) + 7) % 7) * 24 + Math.floor((local - day * DAY_MS) / 3_600_000);
}

function sparse(hours: Uint8Array, from: number, to: number, scratch: Float64Array): SparseCounts {
  const hs: number[] = [];
  for (let j = from; j < to; j++) {
    const h = hours[j] as number;
    if (scratch[h] === 0) hs.push(h);
    scratch[h] = (scratch[h] as number) + 1;
  }
  const counts = hs.map((h) => scratch[h] as number);
  for (const h of hs) scratch[h] = 0;
  return { hours: hs, counts, total: to - from };
}

export interface SendTimeOptions {
  /** Customers (with ≥ 2 responses) the prior strength is fitted on (default 20,000, evenly spaced). */
  readonly fitCustomers?: number;
  readonly patterns?: boolean;
  /** Channel shrinkage in pseudo-responses (default 5). */
  readonly channelStrength?: number;
}

/** Fits the store pattern and prior strength, then every customer's best hour, weekday and channel. */
export function computeSendTimes(e: EngagementColumns, options: SendTimeOptions = {}): SendTimes {
  const n = e.customers;
  const hours = localHours(e);
  const storeCounts = new Float64Array(HOURS_OF_WEEK);
  const channelTotals: Record<Channel, number> = { email: 0, sms: 0, push: 0 };
  for (let j = 0; j < hours.length; j++) {
    storeCounts[hours[j] as number] = (storeCounts[hours[j] as number] as number) + 1;
    channelTotals[CHANNELS[(e.type[j] as number) >> 1] as Channel]++;
  }
  const p = storePattern(storeCounts);
  const scratch = new Float64Array(HOURS_OF_WEEK);
  const eligible: number[] = [];
  for (let i = 0; i < n; i++) if ((e.start[i + 1] as number) - (e.start[i] as number) >= 2) eligible.push(i);
  const fitN = Math.min(eligible.length, options.fitCustomers ?? 20_000);
  const sample: SparseCounts[] = [];
  for (let s = 0; s < fitN; s++) {
    const i = eligible[Math.floor((s * eligible.length) / fitN)] as number;
    sample.push(sparse(hours, e.start[i] as number, e.start[i + 1] as number, scratch));
  }
  const alpha = fitPriorStrength(sample, p);
  const shares = storeChannelShares(channelTotals);

  const opens = new Int32Array(n);
  const clicks = new Int32Array(n);
  const bestH = new Int8Array(n);
  const bestW = new Int8Array(n);
  const bestS = new Float32Array(n);
  const channel = new Uint8Array(n);
  const channelShareOut = new Float32Array(n * CHANNELS.length);
  const patterns = options.patterns ? new Float32Array(n * HOURS_OF_WEEK) : null;
  const storeBest = bestHour(p);
  const responses: Record<Channel, number> = { email: 0, sms: 0, push: 0 };
  for (let i = 0; i < n; i++) {
    const from = e.start[i] as number;
    const to = e.start[i + 1] as number;
    responses.email = 0;
    responses.sms = 0;
    responses.push = 0;
    for (let j = from; j < to; j++) {
      const t = e.type[j] as number;
      if ((t & 1) === 0) opens[i] = (opens[i] as number) + 1;
      else clicks[i] = (clicks[i] as number) + 1;
      responses[CHANNELS[t >> 1] as Channel]++;
    }
    if (to > from || patterns) {
      const post = posteriorPattern(sparse(hours, from, to, scratch), p, alpha);
      const b = to > from ? bestHour(post) : storeBest;
      bestH[i] = b.hour;
      bestW[i] = b.weekday;
      bestS[i] = b.share;
      if (patterns) patterns.set(post, i * HOURS_OF_WEEK);
    } else {
      bestH[i] = storeBest.hour;
      bestW[i] = storeBest.weekday;
      bestS[i] = storeBest.share;
    }
    const pref = channelPreference(responses, shares, options.channelStrength ?? 5);
    channel[i] = CHANNELS.indexOf(pref.channel);
    for (let c = 0; c < CHANNELS.length; c++)
      channelShareOut[i * CHANNELS.length + c] = pref.shares[CHANNELS[c]!];
  }
  return {
    model: { storePattern: p, priorStrength: alpha, channelShares: shares, customersFitted: fitN },
    opens,
    clicks,
    bestHour: bestH,
    bestWeekday: bestW,
    bestShare: bestS,
    channel,
    channelShares: channelShareOut,
    patterns,
    hourOfWeek: hours,
  };
}
