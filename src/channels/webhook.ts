/**
 * A signed webhook: POSTs the message as JSON to a URL (an SMS or push provider's relay, or the
 * store's own systems). The receiver verifies `Patron-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`) (the scheme Stripe uses), rejecting old timestamps to
 * stop replays; `Idempotency-Key` is the message's stable id so a retried delivery can be dropped.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel, OutgoingMessage, SendOutcome } from '../app/send-messages.js';

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  /** Seconds since the epoch (a clock for tests). */
  readonly nowSeconds?: () => number;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Verifies a `Patron-Signature` header for a body (what a receiver runs). Rejects a timestamp
 * more than `toleranceSeconds` from `nowSeconds`.
 */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const given = Buffer.from(parts.v1);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function webhookChannel(options: WebhookOptions): Channel {
  const clock = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    name: 'webhook',
    async send(m: OutgoingMessage, signal: AbortSignal): Promise<SendOutcome> {
      const body = JSON.stringify({
        id: m.stableId,
        messageId: m.id,
        channel: m.channel,
        purpose: m.purpose,
        action: m.actionId,
        template: m.templateId,
        customerId: m.customerId,
        to: m.to,
        subject: m.content.subject,
        text: m.content.short,
        unsubscribeUrl: m.unsubscribeUrl,
        variables: m.variables,
      });
      const t = clock();
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'patron-signature': signWebhook(options.secret, t, body),
            'idempotency-key': m.stableId,
          },
          body,
          signal,
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { type: 'sent', providerId: res.headers.get('x-request-id') };
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        return { type: 'failed', retryable, error: `webhook answered ${res.status}` };
      } catch (e) {
        return { type: 'failed', retryable: true, error: `webhook: ${(e as Error).message}` };
      }
    },
  };
}
