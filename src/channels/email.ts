/**
 * Email over SMTP (nodemailer, pooled connections). The Message-ID is the message's stable id,
 * so every attempt of one message carries the same id; marketing mail carries List-Unsubscribe
 * (RFC 2369) and List-Unsubscribe-Post (RFC 8058 one-click) pointing at Patron's unsubscribe link.
 */
import nodemailer from 'nodemailer';
import type { Channel, OutgoingMessage, SendOutcome } from '../app/send-messages.js';

export interface SmtpOptions {
  /** smtp://user:pass@host:port or smtps://… */
  readonly url: string;
  /** From address, e.g. "Store <hello@store.example>". */
  readonly from: string;
  /** Open connections in the pool. */
  readonly maxConnections?: number;
  /** Socket timeout in ms (keep it below the sender's send timeout). */
  readonly timeoutMs?: number;
}

/** SMTP reply codes 4xx are temporary (retry); 5xx are permanent (RFC 5321 §4.2.1). */
function classify(e: unknown): SendOutcome {
  const err = e as { responseCode?: number; message?: string; code?: string };
  const code = err.responseCode;
  const message = err.message ?? String(e);
  if (typeof code === 'number' && code >= 500)
    return { type: 'failed', retryable: false, error: `SMTP ${code}: ${message}` };
  return { type: 'failed', retryable: true, error: code ? `SMTP ${code}: ${message}` : message };
}

export function emailChannel(options: SmtpOptions): Channel {
  const timeout = options.timeoutMs ?? 20_000;
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: Infinity,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } as never);
  return {
    name: 'smtp',
    async send(m: OutgoingMessage): Promise<SendOutcome> {
      if (!m.to.email) return { type: 'failed', retryable: false, error: 'no email address' };
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: m.to.email,
          subject: m.content.subject,
          html: m.content.html,
          text: m.content.text,
          messageId: m.stableId,
          headers: {
            'X-Patron-Message': m.id,
            ...(m.unsubscribeUrl
              ? {
                  'List-Unsubscribe': `<${m.unsubscribeUrl}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                }
              : {}),
          },
        });
        return { type: 'sent', providerId: info.messageId ?? m.stableId };
      } catch (e) {
        return classify(e);
      }
    },
    async close() {
      transport.close();
    },
  };
}
