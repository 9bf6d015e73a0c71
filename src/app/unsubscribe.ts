/**
 * Unsubscribe links that work without an API key: the token is `payload.signature`, payload the
 * base64url JSON {c: customer, ch: consent channel, m: message}, signature HMAC-SHA256 of the
 * payload with the store's signing secret. Following the link records an `Unsubscribed` event
 * (or `Consent Updated` for a webhook channel) through the normal ingestion, so the consent ledger
 * changes exactly as if the store had sent it — and the guardrails and the sender block the next
 * marketing message. The event id is derived from the message, so a second click changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.js';
import type { Store } from '../store/database.js';
import { consentChannelOf } from '../store/outbox-repository.js';
import { ingestBatch } from './ingest-events.js';
import type { EventStore, SettingsStore } from './ports.js';

const claims = z.object({ c: z.string().min(1), ch: z.string().min(1), m: z.string().min(1) });
export type UnsubscribeClaims = z.infer<typeof claims>;

const mac = (secret: string, payload: string): string =>
  createHmac('sha256', secret).update(payload).digest('base64url');

/** Signs a token for one message's customer and channel. */
export function signUnsubscribeToken(
  secret: string,
  c: { customerId: string; channel: string; messageId: string },
): string {
  const payload = Buffer.from(
    JSON.stringify({ c: c.customerId, ch: consentChannelOf(c.channel), m: c.messageId }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeClaims | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const parsed = claims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The link builder the sender uses for marketing messages. */
export function unsubscribeLink(
  publicUrl: string,
  secret: string,
): (m: { id: string; customerId: string; channel: string }) => string {
  const base = publicUrl.replace(/\/+$/, '');
  return (m) =>
    `${base}/v1/unsubscribe?token=${signUnsubscribeToken(secret, { customerId: m.customerId, channel: m.channel, messageId: m.id })}`;
}

export type UnsubscribeError =
  { readonly type: 'InvalidToken' } | { readonly type: 'UnknownCustomer'; readonly customerId: string };

export interface UnsubscribeDeps {
  readonly store: Store;
  readonly events: EventStore;
  readonly settings: SettingsStore;
}

/** Records the unsubscribe the token stands for; idempotent per message. */
export async function unsubscribe(
  deps: UnsubscribeDeps,
  secret: string,
  token: string,
  now: Date,
): Promise<Result<{ customerId: string; channel: string; recorded: boolean }, UnsubscribeError>> {
  const c = verifyUnsubscribeToken(secret, token);
  if (!c) return err({ type: 'InvalidToken' });
  let customer = await deps.store.db
    .selectFrom('customers')
    .select(['id', 'user_id', 'email', 'phone', 'merged_into'])
    .where('id', '=', c.c)
    .executeTakeFirst();
  for (let hops = 0; customer?.merged_into && hops < 10; hops++) {
    customer = await deps.store.db
      .selectFrom('customers')
      .select(['id', 'user_id', 'email', 'phone', 'merged_into'])
      .where('id', '=', customer.merged_into)
      .executeTakeFirst();
  }
  if (!customer || (!customer.user_id && !customer.email && !customer.phone)) {
    return err({ type: 'UnknownCustomer', customerId: c.c });
  }
  // Identify the customer the way ingestion resolves them: their userId, else their email/phone.
  const identity = customer.user_id
    ? { userId: customer.user_id }
    : {
        anonymousId: `patron-unsubscribe:${customer.id}`,
        context: { traits: customer.email ? { email: customer.email } : { phone: customer.phone } },
      };
  const viaUnsubscribed = ['email', 'sms', 'push'].includes(c.ch);
  const event = {
    type: 'track',
    messageId: `unsubscribe-${c.m}`,
    timestamp: now.toISOString(),
    ...identity,
    ...(viaUnsubscribed
      ? { event: 'Unsubscribed', properties: { channel: c.ch, message_id: c.m, source: 'patron-link' } }
      : {
          event: 'Consent Updated',
          properties: { channel: c.ch, purpose: 'marketing', granted: false, message_id: c.m },
        }),
  };
  const result = await ingestBatch(deps.events, [event], {
    currency: await deps.settings.currencySettings(),
    receivedAt: now.toISOString(),
  });
  if (!result.ok) throw new Error(`unsubscribe event rejected: ${JSON.stringify(result.error)}`);
  return ok({ customerId: customer.id, channel: c.ch, recorded: result.value.accepted > 0 });
}
