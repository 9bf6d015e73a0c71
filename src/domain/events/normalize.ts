/**
 * Turns one raw Segment-shaped event into Patron's normalised form: validated, timestamps in UTC,
 * identities extracted, amounts in integer minor units (original and base currency), and the
 * business facts (orders, order updates, consent changes) the profile and the models read.
 */
import type { z } from 'zod';
import type { CurrencySettings, MoneyError } from '../money/money.js';
import { describeMoneyError, toBaseCurrency, toMinorUnits } from '../money/money.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import {
  isKnownEvent,
  isTimeZone,
  knownEvents,
  orderCompletedProperties,
  segmentEventSchema,
  type SegmentEvent,
} from './schemas.js';

export type Path = ReadonlyArray<string | number>;

/** One thing wrong with an input, with the field it concerns. */
export interface ValidationIssue {
  readonly path: Path;
  readonly message: string;
}

export interface MoneyAmount {
  readonly amountMinor: number;
  readonly currency: string;
  /** The same amount in the store's base currency, minor units. */
  readonly baseMinor: number;
}

export interface OrderLine {
  readonly lineNo: number;
  readonly productId: string | null;
  readonly sku: string | null;
  readonly name: string | null;
  readonly category: string | null;
  readonly priceMinor: number | null;
  readonly basePriceMinor: number | null;
  readonly quantity: number;
}

export interface OrderFact {
  readonly kind: 'order';
  readonly orderId: string;
  readonly currency: string;
  readonly totalMinor: number;
  readonly baseTotalMinor: number;
  readonly revenueMinor: number | null;
  readonly discountMinor: number;
  readonly baseDiscountMinor: number;
  readonly shippingMinor: number;
  readonly taxMinor: number;
  readonly coupon: string | null;
  readonly lines: readonly OrderLine[];
}

export type OrderUpdateKind = 'refunded' | 'cancelled' | 'delivered' | 'payment_failed';

export interface OrderUpdateFact {
  readonly kind: 'order_update';
  readonly update: OrderUpdateKind;
  readonly orderId: string | null;
  readonly amount: MoneyAmount | null;
  readonly reason: string | null;
}

export interface ConsentFact {
  readonly kind: 'consent';
  readonly channel: string;
  readonly purpose: string;
  readonly granted: boolean;
}

export type Fact = OrderFact | OrderUpdateFact | ConsentFact;

export interface Identity {
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly email?: string;
  readonly phone?: string;
  /** `alias` events link a previous id (user or anonymous) to the userId. */
  readonly previousId?: string;
}

export interface NormalizedEvent {
  readonly messageId: string;
  readonly type: SegmentEvent['type'];
  /** The event name for track events; the page name for page/screen; null otherwise. */
  readonly name: string | null;
  /** True when the name is one of the events Patron understands; custom events are kept as they are. */
  readonly known: boolean;
  /** ISO 8601 in UTC with milliseconds. */
  readonly timestamp: string;
  readonly timezone: string | null;
  readonly identity: Identity;
  readonly traits: Readonly<Record<string, unknown>> | null;
  readonly facts: readonly Fact[];
  /** The event as received (validated), stored as JSON. */
  readonly payload: SegmentEvent;
}

export interface NormalizeContext {
  /** When Patron received the event; the timestamp when the event has none. */
  readonly receivedAt: string;
  readonly currency: CurrencySettings;
  /** Batch-level `context`, merged under the event's own. */
  readonly batchContext?: Readonly<Record<string, unknown>>;
  /** Derives a stable messageId from the event's canonical JSON when the sender gave none. */
  readonly deriveMessageId: (canonicalJson: string) => string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function zodIssues(error: z.ZodError, prefix: Path): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
}

/** Validates and normalises one event. Returns every issue found, each with its field path. */
export function normalizeEvent(
  raw: unknown,
  ctx: NormalizeContext,
): Result<NormalizedEvent, ValidationIssue[]> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return err([{ path: [], message: 'an event must be a JSON object' }]);
  }
  const withContext =
    ctx.batchContext && !('context' in raw)
      ? { ...raw, context: ctx.batchContext }
      : ctx.batchContext && typeof (raw as { context?: unknown }).context === 'object'
        ? { ...raw, context: { ...ctx.batchContext, ...(raw as { context: object }).context } }
        : raw;
  const parsed = segmentEventSchema.safeParse(withContext);
  if (!parsed.success) return err(zodIssues(parsed.error, []));
  const ev = parsed.data;
  const issues: ValidationIssue[] = [];

  if (ev.userId === undefined && ev.anonymousId === undefined) {
    issues.push({ path: ['userId'], message: 'either userId or anonymousId is required' });
  }

  const traits: Record<string, unknown> | null =
    ev.type === 'identify' || ev.type === 'group' ? ev.traits : null;
  const contextTraits = ev.context?.traits ?? {};
  const identity: { -readonly [K in keyof Identity]: Identity[K] } = {};
  if (ev.userId !== undefined) identity.userId = ev.userId;
  if (ev.anonymousId !== undefined) identity.anonymousId = ev.anonymousId;
  if (ev.type === 'alias') identity.previousId = ev.previousId;

  const traitSources: Array<[Path, Record<string, unknown>]> = [[['context', 'traits'], contextTraits]];
  if (ev.type === 'identify') traitSources.push([['traits'], ev.traits]);
  for (const [prefix, source] of traitSources) {
    const email = source.email;
    if (email !== undefined && email !== null && email !== '') {
      if (typeof email !== 'string' || !EMAIL.test(email.trim())) {
        issues.push({ path: [...prefix, 'email'], message: 'is not an email address' });
      } else identity.email = email.trim().toLowerCase();
    }
    const phone = source.phone;
    if (phone !== undefined && phone !== null && phone !== '') {
      const normalized =
        typeof phone === 'string' || typeof phone === 'number' ? normalizePhone(String(phone)) : null;
      if (normalized === null) {
        issues.push({ path: [...prefix, 'phone'], message: 'is not a phone number (7 to 15 digits)' });
      } else identity.phone = normalized;
    }
  }

  const timezoneTrait = traits?.timezone ?? contextTraits.timezone;
  const timezone =
    ev.context?.timezone ??
    (typeof timezoneTrait === 'string' && isTimeZone(timezoneTrait) ? timezoneTrait : null);

  const when = ev.timestamp ?? ev.originalTimestamp ?? ctx.receivedAt;
  const timestamp = new Date(when).toISOString();

  const facts: Fact[] = [];
  let name: string | null = null;
  let known = false;
  if (ev.type === 'track') {
    name = ev.event;
    if (isKnownEvent(ev.event)) {
      known = true;
      const schema = knownEvents[ev.event];
      const props = schema.safeParse(ev.properties);
      if (!props.success) issues.push(...zodIssues(props.error, ['properties']));
      else {
        const fact = toFact(ev.event, props.data as Record<string, unknown>, ctx, issues);
        if (fact) facts.push(fact);
      }
    }
  } else if (ev.type === 'page' || ev.type === 'screen') {
    name = ev.name ?? null;
  }

  if (issues.length > 0) return err(issues);

  const messageId = ev.messageId ?? ctx.deriveMessageId(canonicalJson(ev));
  return ok({
    messageId,
    type: ev.type,
    name,
    known,
    timestamp,
    timezone,
    identity,
    traits,
    facts,
    payload: { ...ev, messageId, timestamp },
  });
}

/** `['properties', 'products', 0, 'price']` → `properties.products[0].price`. */
export function formatIssuePath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** E.164-like normalisation: keep a leading +, drop spaces, dashes, dots and brackets. */
export function normalizePhone(raw: string): string | null {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/[\s\-().]/g, '');
  if (!/^\+?\d{7,15}$/.test(digits)) return null;
  return digits.startsWith('+') ? digits : `+${digits}`;
}

/** JSON with object keys sorted, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Props = Record<string, unknown>;

function toFact(name: string, p: Props, ctx: NormalizeContext, issues: ValidationIssue[]): Fact | null {
  const currency = typeof p.currency === 'string' ? p.currency : ctx.currency.baseCurrency;
  const money = (field: string | Path, value: unknown): MoneyAmount | null => {
    if (value === undefined || value === null) return null;
    const path: Path = typeof field === 'string' ? ['properties', field] : ['properties', ...field];
    const minor = toMinorUnits(value as number | string, currency);
    if (!minor.ok) {
      issues.push({ path: moneyErrorPath(minor.error, path), message: describeMoneyError(minor.error) });
      return null;
    }
    const base = toBaseCurrency(minor.value, currency, ctx.currency);
    if (!base.ok) {
      issues.push({ path: moneyErrorPath(base.error, path), message: describeMoneyError(base.error) });
      return null;
    }
    return { amountMinor: minor.value, currency, baseMinor: base.value };
  };

  switch (name) {
    case 'Order Completed': {
      // `p` is the output of orderCompletedProperties (parsed by the caller); no second parse.
      const props = p as z.output<typeof orderCompletedProperties>;
      const total = money('total', props.total ?? props.revenue ?? props.value);
      const revenue = money('revenue', props.revenue ?? props.subtotal);
      const discount = money('discount', props.discount);
      const shipping = money('shipping', props.shipping);
      const tax = money('tax', props.tax);
      const lines: OrderLine[] = (props.products ?? []).map((line, i) => {
        const price = line.price === undefined ? null : money(['products', i, 'price'], line.price);
        return {
          lineNo: i + 1,
          productId: line.product_id ?? null,
          sku: line.sku ?? null,
          name: line.name ?? null,
          category: line.category ?? null,
          priceMinor: price?.amountMinor ?? null,
          basePriceMinor: price?.baseMinor ?? null,
          quantity: line.quantity ?? 1,
        };
      });
      if (!total) return null;
      return {
        kind: 'order',
        orderId: props.order_id,
        currency,
        totalMinor: total.amountMinor,
        baseTotalMinor: total.baseMinor,
        revenueMinor: revenue?.amountMinor ?? null,
        discountMinor: Math.abs(discount?.amountMinor ?? 0),
        baseDiscountMinor: Math.abs(discount?.baseMinor ?? 0),
        shippingMinor: shipping?.amountMinor ?? 0,
        taxMinor: tax?.amountMinor ?? 0,
        coupon: props.coupon ?? null,
        lines,
      };
    }
    case 'Order Refunded':
    case 'Order Cancelled': {
      const value = p.total ?? p.revenue ?? p.value;
      const amount = money(
        p.total !== undefined ? 'total' : p.revenue !== undefined ? 'revenue' : 'value',
        value,
      );
      return {
        kind: 'order_update',
        update: name === 'Order Refunded' ? 'refunded' : 'cancelled',
        orderId: String(p.order_id),
        amount: amount
          ? { ...amount, amountMinor: Math.abs(amount.amountMinor), baseMinor: Math.abs(amount.baseMinor) }
          : null,
        reason: typeof p.reason === 'string' ? p.reason : null,
      };
    }
    case 'Order Delivered':
      return {
        kind: 'order_update',
        update: 'delivered',
        orderId: String(p.order_id),
        amount: null,
        reason: null,
      };
    case 'Payment Failed':
      return {
        kind: 'order_update',
        update: 'payment_failed',
        orderId: p.order_id === undefined ? null : String(p.order_id),
        amount: money('amount', p.amount),
        reason: typeof p.reason === 'string' ? p.reason : null,
      };
    case 'Consent Updated':
      return {
        kind: 'consent',
        channel: String(p.channel),
        purpose: String(p.purpose),
        granted: p.granted === true,
      };
    case 'Unsubscribed':
      return {
        kind: 'consent',
        channel:
          typeof p.channel === 'string' && ['email', 'sms', 'push', 'whatsapp'].includes(p.channel)
            ? p.channel
            : 'email',
        purpose: 'marketing',
        granted: false,
      };
    default:
      return null;
  }
}

function moneyErrorPath(e: MoneyError, amountPath: Path): Path {
  return e.type === 'InvalidAmount' ? amountPath : ['properties', 'currency'];
}
