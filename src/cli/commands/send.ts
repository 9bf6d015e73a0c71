import type { Channel, SendSummary } from '../../app/send-messages.js';
import { runSender } from '../../app/send-messages.js';
import type { MessageChannel } from '../../app/outbox.js';
import { personalize } from '../../app/personalize.js';
import { unsubscribeLink } from '../../app/unsubscribe.js';
import { emailChannel } from '../../channels/email.js';
import { fileChannel } from '../../channels/file.js';
import { webhookChannel } from '../../channels/webhook.js';
import { loadRenderer } from '../../channels/templates/render.js';
import { loadSenderConfig } from '../../config/sender-config.js';
import type { Store } from '../../store/database.js';
import { messageContext } from '../../store/message-context-repository.js';
import { outboxCounts, outboxWorkerStore } from '../../store/outbox-repository.js';
import { signingSecret } from '../../store/signing-secret.js';
import { print } from '../context.js';

export interface SendFlags {
  untilEmpty?: boolean;
  batch: number;
  concurrency: number;
  leaseMs?: number;
  sendTimeoutMs: number;
  maxAttempts: number;
  pollMs: number;
  workerId?: string;
  smtp?: string;
  outboxDir?: string;
  json?: boolean;
  /** Print nothing (the demo prints its own summary). */
  quiet?: boolean;
}

/** `patron send` / `patron worker`: runs the sender until SIGINT/SIGTERM (or until nothing is due). */
export async function runSend(store: Store, flags: SendFlags): Promise<SendSummary> {
  const config = loadSenderConfig(process.env, { smtp: flags.smtp, outboxDir: flags.outboxDir });
  const files = fileChannel({ dir: config.outboxDir, from: config.mailFrom });
  const hook = (url: string | undefined): Channel =>
    url && config.webhookSecret ? webhookChannel({ url, secret: config.webhookSecret }) : files;
  const email = config.smtpUrl
    ? emailChannel({
        url: config.smtpUrl,
        from: config.mailFrom,
        maxConnections: Math.min(flags.concurrency, 20),
        timeoutMs: flags.sendTimeoutMs,
      })
    : files;
  const channels: Record<MessageChannel, Channel> = {
    email,
    sms: hook(config.smsWebhookUrl),
    push: hook(config.pushWebhookUrl),
    webhook: hook(config.webhookUrl),
    console: files,
  };
  const talk = !flags.json && !flags.quiet;
  if (talk) {
    print(
      `Sending: email via ${config.smtpUrl ? config.smtpUrl.replace(/\/\/[^@]*@/, '//') : `files in ${config.outboxDir}`}; sms/push/webhook via ${config.webhookSecret ? 'signed webhooks where configured, else files' : `files in ${config.outboxDir}`}.`,
    );
  }
  const renderer = await loadRenderer({ storeName: config.storeName, storeUrl: config.storeUrl });
  const secret = await signingSecret(store);
  const context = messageContext(store);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const summary = await runSender(
      {
        outbox: outboxWorkerStore(store),
        channels,
        renderer,
        personalize: (m) => personalize(context, m, new Date()),
      },
      {
        batchSize: flags.batch,
        concurrency: flags.concurrency,
        sendTimeoutMs: flags.sendTimeoutMs,
        ...(flags.leaseMs !== undefined ? { leaseMs: flags.leaseMs } : {}),
        retry: { baseMs: 30_000, capMs: 6 * 3_600_000, maxAttempts: flags.maxAttempts },
        pollMs: flags.pollMs,
        untilEmpty: flags.untilEmpty === true,
        signal: controller.signal,
        unsubscribeUrl: unsubscribeLink(config.publicUrl, secret),
        ...(flags.workerId ? { workerId: flags.workerId } : {}),
        ...(talk ? { log: (line: string) => print(line) } : {}),
      },
    );
    const counts = await outboxCounts(store);
    if (flags.json) print(JSON.stringify({ ...summary, outbox: counts }));
    else if (talk) {
      print(
        `Claimed ${summary.claimed}: sent ${summary.sent}, retry later ${summary.retried}, dead ${summary.dead}, suppressed ${summary.suppressed}.`,
      );
      print(
        `Outbox: ${
          Object.entries(counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'empty'
        }.`,
      );
    }
    return summary;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await Promise.all(Object.values(channels).map((c) => c.close?.()));
  }
}
