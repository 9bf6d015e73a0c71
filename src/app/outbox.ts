/**
 * The outbox: the one durable queue every outgoing message goes through. The decisioning engine
 * enqueues (in its own transaction, next to the decision it stores); the sender worker
 * (`src/app/send-messages.ts`, `patron send`) claims due messages, renders and sends them.
 *
 * Contract (what callers can rely on):
 * - `enqueueMessage(tx, input, now)` stores the message or finds the one already stored under the
 *   same `idempotencyKey` (a UNIQUE column): calling it again — a retry, a replay, a second engine
 *   process racing the first — never creates a second message. Use `messageIdempotencyKey(customer,
 *   action, triggering event)` to build the key.
 * - Input is validated first (zod); bad input throws `InvalidMessageError` naming each field, and
 *   nothing is stored (inside the caller's transaction the throw rolls the rest back too).
 * - A marketing message to a customer of the global control group is refused (`held_out`) and not
 *   stored: the guardrails should have skipped it (and recorded the skip); this is the last line.
 * - The message is sent no earlier than `notBefore` (ISO 8601 UTC; quiet hours are the caller's
 *   job: pass the next allowed time). Queued messages can be cancelled (`cancelMessage`) or moved
 *   (`deferMessage`) until a worker sends them — that is how a higher-value message displaces or
 *   defers a lower-value one.
 * - Delivery: at least once to the channel, with a stable id derived from the idempotency key
 *   (`Message-ID` for email, `Idempotency-Key` for webhooks) so a receiver can drop the one
 *   duplicate a crash between "server accepted" and "marked sent" can produce; see
 *   docs/ARCHITECTURE.md (Outbox) for exactly what is guaranteed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isInGlobalControl } from '../domain/experiments/assignment.js';
import type { Tx } from '../store/transaction.js';
import { fieldIssues } from '../domain/field-issues.js';

/** Channels a message can go out on. `console` writes files for the demo (src/channels/console.ts). */
export const messageChannel = z.enum(['email', 'sms', 'push', 'webhook', 'console']);
export type MessageChannel = z.infer<typeof messageChannel>;

/**
 * Why a message is sent: `transactional` (order confirmation, delay notice — goes out without
 * marketing consent and to the global control group) or `marketing` (everything that sells, asks
 * or re-engages: needs marketing consent on the channel; never to the global control group).
 */
export const messagePurpose = z.enum(['transactional', 'marketing']);
export type MessagePurpose = z.infer<typeof messagePurpose>;

/**
 * The default template set, one per action type (src/channels/templates/). Each renders with
 * whichever `MessageVariables` are supplied and leaves out the parts whose variables are missing.
 */
export const MESSAGE_TEMPLATES = [
  'order_confirmation',
  'delay_notice',
  'onboarding',
  'review_request',
  'cross_sell',
  'replenishment_reminder',
  'churn_save_price',
  'churn_save_service',
  'churn_save_quality',
  'churn_save_disengagement',
  'win_back',
  'tier_nudge',
  'challenge',
  'surprise_reward',
  'advocate_invitation',
  'feedback_survey',
] as const;
export const templateId = z.enum(MESSAGE_TEMPLATES);
export type TemplateId = z.infer<typeof templateId>;

const minor = z.number().int({ message: 'must be a whole number of minor units' });
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with offset' });
const product = z
  .object({
    id: z.string().optional(),
    name: z.string().min(1),
    category: z.string().optional(),
    url: z.string().optional(),
    imageUrl: z.string().optional(),
    priceMinor: minor.optional(),
    quantity: z.number().int().positive().optional(),
    /** Care, set-up or how-to content for this product or its category. */
    guidance: z.string().optional(),
  })
  .loose();

/**
 * What a template can use. Every field is optional: a template shows the parts it has data for.
 * Money is integer minor units in `currency` (default the store's base currency, USD).
 */
export const messageVariables = z
  .object({
    firstName: z.string().optional(),
    storeName: z.string().optional(),
    storeUrl: z.string().optional(),
    currency: z.string().length(3).optional(),
    order: z
      .object({
        id: z.string(),
        totalMinor: minor.optional(),
        items: z.array(product).optional(),
        expectedDeliveryAt: isoTime.optional(),
        newExpectedDeliveryAt: isoTime.optional(),
        delayReason: z.string().optional(),
        trackingUrl: z.string().optional(),
      })
      .loose()
      .optional(),
    products: z.array(product).optional(),
    recommendations: z.array(product.extend({ reason: z.string().min(1) })).optional(),
    points: z
      .object({
        balance: z.number().int(),
        pending: z.number().int().optional(),
        expiring: z.number().int().optional(),
        expiresAt: isoTime.optional(),
      })
      .loose()
      .optional(),
    tier: z
      .object({
        current: z.string(),
        next: z.string().optional(),
        /** Share of the way to the next tier, 0 to 1. */
        progress: z.number().min(0).max(1).optional(),
        /** "what gets you there", in words: "2 more orders or $40 more spend". */
        remaining: z.string().optional(),
      })
      .loose()
      .optional(),
    offer: z
      .object({
        description: z.string(),
        code: z.string().optional(),
        valueMinor: minor.optional(),
        percentOff: z.number().min(0).max(100).optional(),
        expiresAt: isoTime.optional(),
      })
      .loose()
      .optional(),
    challenge: z
      .object({
        name: z.string(),
        description: z.string().optional(),
        progress: z.number().min(0).max(1).optional(),
        rewardPoints: z.number().int().optional(),
        endsAt: isoTime.optional(),
      })
      .loose()
      .optional(),
    reward: z
      .object({ name: z.string(), description: z.string().optional(), points: z.number().int().optional() })
      .loose()
      .optional(),
    referral: z
      .object({ code: z.string(), url: z.string().optional(), rewardDescription: z.string().optional() })
      .loose()
      .optional(),
    survey: z.object({ url: z.string(), question: z.string().optional() }).loose().optional(),
    /** A person at the store who will reach out (churn save for a service driver). */
    contact: z
      .object({ name: z.string(), email: z.string().optional(), phone: z.string().optional() })
      .loose()
      .optional(),
    /** Articles or guides (value reinforcement, onboarding). */
    content: z
      .array(z.object({ title: z.string(), url: z.string().optional(), summary: z.string().optional() }))
      .optional(),
    reasons: z.array(z.string()).optional(),
  })
  .loose();
export type MessageVariables = z.infer<typeof messageVariables>;

export const enqueueMessageInput = z.object({
  /** Unique per intended message: use `messageIdempotencyKey(customerId, actionId, triggerEventId)`. */
  idempotencyKey: z.string().min(1).max(300),
  customerId: z.string().min(1),
  channel: messageChannel,
  purpose: messagePurpose,
  /** The action in the catalog this message carries out (e.g. `churn_save_price`). */
  actionId: z.string().min(1),
  templateId,
  variables: messageVariables.default({}),
  /** Earliest send time, ISO 8601 (stored as UTC). */
  notBefore: isoTime,
  /** Expected value of the message in minor units (the policy's score); ranks messages for displacement. */
  valueMinor: minor.min(0, { message: 'must not be negative' }).default(0),
  /** The stored decision that produced it, if any. */
  decisionId: z.string().optional(),
  /** The experiment and arm the customer was assigned to for this message, if any. */
  experimentId: z.string().optional(),
  variant: z.string().optional(),
});
export type EnqueueMessageInput = z.input<typeof enqueueMessageInput>;

export type EnqueueOutcome =
  | { readonly type: 'enqueued'; readonly messageId: string }
  /** A message with this idempotency key exists (queued, sent or otherwise): nothing new stored. */
  | { readonly type: 'duplicate'; readonly messageId: string; readonly status: MessageStatus }
  /** Marketing to a customer in the global control group: not stored. */
  | { readonly type: 'held_out'; readonly reason: 'global_control' };

export type MessageStatus = 'queued' | 'sent' | 'dead' | 'cancelled' | 'suppressed';

export class InvalidMessageError extends Error {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(`invalid message: ${issues.map((i) => `${i.path || '(message)'}: ${i.message}`).join('; ')}`);
  }
}

/** The idempotency key of the message an action sends a customer because of one triggering event. */
export function messageIdempotencyKey(customerId: string, actionId: string, triggerEventId: string): string {
  return `${customerId}|${actionId}|${triggerEventId}`;
}

/** The stable RFC 5322 Message-ID of a message: the same for every attempt, derived from its key. */
export function stableMessageId(idempotencyKey: string, domain = 'patron.local'): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}@${domain}>`;
}

export const newMessageId = (): string => `msg_${randomBytes(10).toString('hex')}`;

export interface EnqueueOptions {
  /** Global control share (default 5 %); must be the same everywhere, like the guardrails'. */
  readonly globalControlFraction?: number;
}

function parseInput(input: EnqueueMessageInput): z.infer<typeof enqueueMessageInput> {
  const parsed = enqueueMessageInput.safeParse(input);
  if (!parsed.success) {
    throw new InvalidMessageError(fieldIssues(parsed.error));
  }
  return parsed.data;
}

/**
 * Puts one message in the outbox, exactly once per idempotency key. Runs on the caller's
 * connection or transaction (`store.db` or the `tx` of `writeTransaction`).
 */
export async function enqueueMessage(
  db: Tx,
  input: EnqueueMessageInput,
  now: Date,
  options: EnqueueOptions = {},
): Promise<EnqueueOutcome> {
  const m = parseInput(input);
  if (m.purpose === 'marketing' && isInGlobalControl(m.customerId, options.globalControlFraction)) {
    return { type: 'held_out', reason: 'global_control' };
  }
  const id = newMessageId();
  const at = now.toISOString();
  const notBefore = new Date(m.notBefore).toISOString();
  const inserted = await db
    .insertInto('outbox_messages')
    .values({
      id,
      idempotency_key: m.idempotencyKey,
      customer_id: m.customerId,
      channel: m.channel,
      purpose: m.purpose,
      action_id: m.actionId,
      template_id: m.templateId,
      variables: JSON.stringify(m.variables),
      value_minor: m.valueMinor,
      decision_id: m.decisionId ?? null,
      experiment_id: m.experimentId ?? null,
      variant: m.variant ?? null,
      not_before: notBefore,
      status: 'queued',
      status_reason: null,
      attempts: 0,
      next_attempt_at: notBefore,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      provider_message_id: null,
      sent_at: null,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { type: 'enqueued', messageId: inserted.id };
  const existing = await db
    .selectFrom('outbox_messages')
    .select(['id', 'status'])
    .where('idempotency_key', '=', m.idempotencyKey)
    .executeTakeFirstOrThrow();
  return { type: 'duplicate', messageId: existing.id, status: existing.status as MessageStatus };
}

/** A message as the guardrails and the API see it. */
export interface OutboxMessage {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly customerId: string;
  readonly channel: MessageChannel;
  readonly purpose: MessagePurpose;
  readonly actionId: string;
  readonly templateId: TemplateId;
  readonly variables: MessageVariables;
  readonly valueMinor: number;
  readonly decisionId: string | null;
  readonly experimentId: string | null;
  readonly variant: string | null;
  readonly notBefore: string;
  readonly status: MessageStatus;
  readonly statusReason: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly sentAt: string | null;
  readonly createdAt: string;
}

type Row = import('kysely').Selectable<import('../store/database.js').OutboxMessagesTable>;

export function toOutboxMessage(r: Row): OutboxMessage {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    customerId: r.customer_id,
    channel: r.channel as MessageChannel,
    purpose: r.purpose as MessagePurpose,
    actionId: r.action_id,
    templateId: r.template_id as TemplateId,
    variables: JSON.parse(r.variables) as MessageVariables,
    valueMinor: r.value_minor,
    decisionId: r.decision_id,
    experimentId: r.experiment_id,
    variant: r.variant,
    notBefore: r.not_before,
    status: r.status as MessageStatus,
    statusReason: r.status_reason,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    sentAt: r.sent_at,
    createdAt: r.created_at,
  };
}

/**
 * A customer's messages created at or after `since` (all statuses), oldest first — what the
 * frequency budget and "no two of the same purpose in flight" read. `status: 'queued'` narrows to
 * the ones not sent yet.
 */
export async function customerMessages(
  db: Tx,
  customerId: string,
  options: { since?: string; status?: MessageStatus } = {},
): Promise<OutboxMessage[]> {
  let q = db.selectFrom('outbox_messages').selectAll().where('customer_id', '=', customerId);
  if (options.since) q = q.where('created_at', '>=', options.since);
  if (options.status) q = q.where('status', '=', options.status);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  return rows.map(toOutboxMessage);
}

/** Finds one message by id. */
export async function findMessage(db: Tx, messageId: string): Promise<OutboxMessage | null> {
  const r = await db.selectFrom('outbox_messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  return r ? toOutboxMessage(r) : null;
}

/**
 * Cancels a message that is still queued and not held by a worker right now (a held one may be
 * on the wire). Returns whether it was cancelled; a sent message stays sent.
 */
export async function cancelMessage(db: Tx, messageId: string, reason: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const r = await db
    .updateTable('outbox_messages')
    .set({ status: 'cancelled', status_reason: reason, updated_at: at })
    .where('id', '=', messageId)
    .where('status', '=', 'queued')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Moves a queued message (not held by a worker) to a later earliest send time. Returns whether it moved. */
export async function deferMessage(
  db: Tx,
  messageId: string,
  notBefore: string,
  now: Date,
): Promise<boolean> {
  const at = now.toISOString();
  const when = new Date(notBefore).toISOString();
  const r = await db
    .updateTable('outbox_messages')
    .set({ not_before: when, next_attempt_at: when, updated_at: at })
    .where('id', '=', messageId)
    .where('status', '=', 'queued')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', at)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
