/**
 * The sender worker's settings (channels, links, the store's name), from the environment and
 * flags, parsed once; a bad value fails start-up naming the setting.
 */
import { z } from 'zod';
import { ConfigError } from './load-config.js';

const url = (schemes: RegExp, what: string) =>
  z.string().refine((u) => schemes.test(u), { message: `must be ${what}` });

const schema = z.object({
  smtpUrl: url(/^smtps?:\/\//, 'an smtp:// or smtps:// URL').optional(),
  mailFrom: z.string().min(3),
  webhookUrl: url(/^https?:\/\//, 'an http(s) URL').optional(),
  smsWebhookUrl: url(/^https?:\/\//, 'an http(s) URL').optional(),
  pushWebhookUrl: url(/^https?:\/\//, 'an http(s) URL').optional(),
  webhookSecret: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  outboxDir: z.string().min(1),
  publicUrl: url(/^https?:\/\//, 'an http(s) URL'),
  storeName: z.string().min(1),
  storeUrl: z.string(),
});
export type SenderConfig = z.infer<typeof schema>;

const NAMES: Record<keyof SenderConfig, string> = {
  smtpUrl: '--smtp / PATRON_SMTP_URL',
  mailFrom: 'PATRON_MAIL_FROM',
  webhookUrl: 'PATRON_WEBHOOK_URL',
  smsWebhookUrl: 'PATRON_SMS_WEBHOOK_URL',
  pushWebhookUrl: 'PATRON_PUSH_WEBHOOK_URL',
  webhookSecret: 'PATRON_WEBHOOK_SECRET',
  outboxDir: '--outbox-dir / PATRON_OUTBOX_DIR',
  publicUrl: 'PATRON_PUBLIC_URL',
  storeName: 'PATRON_STORE_NAME',
  storeUrl: 'PATRON_STORE_URL',
};

export function loadSenderConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: { smtp?: string | undefined; outboxDir?: string | undefined } = {},
): SenderConfig {
  const parsed = schema.safeParse({
    smtpUrl: flags.smtp ?? env.PATRON_SMTP_URL,
    mailFrom: env.PATRON_MAIL_FROM ?? 'Patron <patron@localhost>',
    webhookUrl: env.PATRON_WEBHOOK_URL,
    smsWebhookUrl: env.PATRON_SMS_WEBHOOK_URL,
    pushWebhookUrl: env.PATRON_PUSH_WEBHOOK_URL,
    webhookSecret: env.PATRON_WEBHOOK_SECRET,
    outboxDir: flags.outboxDir ?? env.PATRON_OUTBOX_DIR ?? './.patron/outbox',
    publicUrl: env.PATRON_PUBLIC_URL ?? 'http://127.0.0.1:8787',
    storeName: env.PATRON_STORE_NAME ?? 'our store',
    storeUrl: env.PATRON_STORE_URL ?? '',
  });
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n  ${parsed.error.issues
        .map((i) => `${NAMES[i.path[0] as keyof SenderConfig] ?? String(i.path[0])}: ${i.message}`)
        .join('\n  ')}`,
    );
  }
  const c = parsed.data;
  if ((c.webhookUrl || c.smsWebhookUrl || c.pushWebhookUrl) && !c.webhookSecret) {
    throw new ConfigError(
      'invalid configuration:\n  PATRON_WEBHOOK_SECRET: is required when a webhook URL is set',
    );
  }
  return c;
}
