/**
 * The event contract: Segment `track` / `identify` / `page` / `screen` / `alias` / `group` / `batch` shapes
 * and the e-commerce spec v2 events a retention engine needs, plus Patron's own events.
 * These zod schemas are the types (z.infer) and the OpenAPI document (z.toJSONSchema).
 */
import { z } from 'zod';

const isoTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/, {
    message: 'must be an ISO 8601 timestamp, e.g. 2025-03-04T10:11:12Z',
  })
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a real date' });

const knownTimeZones = new Map<string, boolean>();

/** True for an IANA time zone name Node's ICU knows. Cached: building a DateTimeFormat is slow. */
export function isTimeZone(tz: string): boolean {
  let known = knownTimeZones.get(tz);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      known = true;
    } catch {
      known = false;
    }
    if (knownTimeZones.size < 10_000) knownTimeZones.set(tz, known);
  }
  return known;
}

const timeZone = z
  .string()
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' });

/** Ids may arrive as numbers from some sources; they are stored as strings. */
const id = z.union([z.string().min(1).max(255), z.number().int()]).transform(String);

/** A decimal in the currency's major unit, as Segment sends it: 29.33 or "29.33". */
export const amount = z.union([
  z.number().refine(Number.isFinite, { message: 'must be a finite number' }),
  z.string().regex(/^-?\d+(\.\d+)?$/, { message: 'must be a decimal amount such as 29.33' }),
]);

export const currencyCode = z
  .string()
  .regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter ISO 4217 code such as USD' })
  .transform((c) => c.toUpperCase());

const jsonObject = z.record(z.string(), z.unknown());

export const contextSchema = z
  .object({
    traits: jsonObject.optional(),
    timezone: timeZone.optional(),
    ip: z.string().optional(),
    userAgent: z.string().optional(),
  })
  .loose();

const common = {
  messageId: z.string().min(1).max(255).optional(),
  timestamp: isoTimestamp.optional(),
  sentAt: isoTimestamp.optional(),
  originalTimestamp: isoTimestamp.optional(),
  userId: id.optional(),
  anonymousId: id.optional(),
  context: contextSchema.optional(),
  integrations: jsonObject.optional(),
};

export const trackSchema = z
  .object({
    type: z.literal('track'),
    event: z.string().min(1).max(200),
    properties: jsonObject.default({}),
    ...common,
  })
  .loose();

export const identifySchema = z
  .object({ type: z.literal('identify'), traits: jsonObject.default({}), ...common })
  .loose();

export const pageSchema = z
  .object({
    type: z.enum(['page', 'screen']),
    name: z.string().max(200).optional(),
    category: z.string().max(200).optional(),
    properties: jsonObject.default({}),
    ...common,
  })
  .loose();

export const aliasSchema = z
  .object({ type: z.literal('alias'), previousId: id, ...common, userId: id })
  .loose();

export const groupSchema = z
  .object({ type: z.literal('group'), groupId: id, traits: jsonObject.default({}), ...common })
  .loose();

export const segmentEventSchema = z.discriminatedUnion('type', [
  trackSchema,
  identifySchema,
  pageSchema,
  aliasSchema,
  groupSchema,
]);

export type SegmentEvent = z.infer<typeof segmentEventSchema>;
export type TrackEvent = z.infer<typeof trackSchema>;

export const batchSchema = z
  .object({
    batch: z.array(z.unknown()).min(1, { message: 'must hold at least one event' }),
    context: contextSchema.optional(),
    sentAt: isoTimestamp.optional(),
    writeKey: z.string().optional(),
    integrations: jsonObject.optional(),
  })
  .loose();

// --- e-commerce spec v2 and Patron's own events: the properties each known event must carry ---

const productLine = z
  .object({
    product_id: id.optional(),
    sku: id.optional(),
    name: z.string().max(500).optional(),
    category: z.string().max(200).optional(),
    price: amount.optional(),
    quantity: z.number().int().min(0).optional(),
  })
  .loose();

const orderAmounts = {
  order_id: id,
  total: amount.optional(),
  revenue: amount.optional(),
  value: amount.optional(),
  subtotal: amount.optional(),
  shipping: amount.optional(),
  tax: amount.optional(),
  discount: amount.optional(),
  coupon: z.string().max(200).optional(),
  currency: currencyCode.optional(),
  products: z.array(productLine).optional(),
};

export const orderCompletedProperties = z
  .object(orderAmounts)
  .loose()
  .refine((p) => p.total !== undefined || p.revenue !== undefined || p.value !== undefined, {
    message: 'an order needs `total` or `revenue`',
    path: ['total'],
  });

export const orderRefundedProperties = z.object({ ...orderAmounts, reason: z.string().optional() }).loose();
export const orderCancelledProperties = z.object({ ...orderAmounts, reason: z.string().optional() }).loose();
export const orderDeliveredProperties = z
  .object({ order_id: id, carrier: z.string().optional(), delivered_on_time: z.boolean().optional() })
  .loose();
export const paymentFailedProperties = z
  .object({
    order_id: id.optional(),
    amount: amount.optional(),
    currency: currencyCode.optional(),
    reason: z.string().optional(),
  })
  .loose();
export const subscriptionPausedProperties = z
  .object({ subscription_id: id.optional(), reason: z.string().optional() })
  .loose();
const productEvent = z
  .object({
    product_id: id.optional(),
    sku: id.optional(),
    name: z.string().optional(),
    category: z.string().optional(),
    price: amount.optional(),
    currency: currencyCode.optional(),
    quantity: z.number().int().min(0).optional(),
  })
  .loose();
export const productReviewedProperties = z
  .object({
    product_id: id,
    review_id: id.optional(),
    rating: z
      .number()
      .min(1, { message: 'must be between 1 and 5' })
      .max(5, { message: 'must be between 1 and 5' }),
    review_body: z.string().max(20_000).optional(),
  })
  .loose();
const emailEvent = z
  .object({ email_id: id.optional(), campaign_id: id.optional(), link_url: z.string().optional() })
  .loose();
export const ticketSeverity = z.enum(['low', 'medium', 'high', 'urgent']);
const ticketEvent = z
  .object({
    ticket_id: id,
    severity: ticketSeverity.optional(),
    subject: z.string().max(1000).optional(),
    text: z.string().max(20_000).optional(),
  })
  .loose();
export const surveyAnsweredProperties = z
  .object({
    survey_id: id.optional(),
    nps: z
      .number()
      .int({ message: 'must be a whole number from 0 to 10' })
      .min(0, { message: 'must be from 0 to 10' })
      .max(10, { message: 'must be from 0 to 10' })
      .optional(),
    comment: z.string().max(20_000).optional(),
  })
  .loose();
export const consentChannel = z.enum(['email', 'sms', 'push', 'whatsapp', 'webhook']);
export const consentPurpose = z.enum(['marketing', 'transactional', 'personalization', 'analytics']);
export const consentUpdatedProperties = z
  .object({ channel: consentChannel, purpose: consentPurpose, granted: z.boolean() })
  .loose();
const loose = jsonObject;

/** Known event names and the schema of their properties. Any other name is a custom event. */
export const knownEvents = {
  'Order Completed': orderCompletedProperties,
  'Order Refunded': orderRefundedProperties,
  'Order Cancelled': orderCancelledProperties,
  'Order Delivered': orderDeliveredProperties,
  'Payment Failed': paymentFailedProperties,
  'Subscription Paused': subscriptionPausedProperties,
  'Product Viewed': productEvent,
  'Product Added': productEvent,
  'Cart Viewed': loose,
  'Checkout Started': loose,
  'Product Reviewed': productReviewedProperties,
  'Email Opened': emailEvent,
  'Email Link Clicked': emailEvent,
  Unsubscribed: loose,
  'Ticket Opened': ticketEvent,
  'Ticket Resolved': ticketEvent,
  'Survey Answered': surveyAnsweredProperties,
  'Referral Completed': loose,
  'Community Posted': loose,
  'Consent Updated': consentUpdatedProperties,
} as const satisfies Record<string, z.ZodType>;

export type KnownEventName = keyof typeof knownEvents;

export function isKnownEvent(name: string): name is KnownEventName {
  return Object.hasOwn(knownEvents, name);
}
