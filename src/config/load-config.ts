/**
 * Configuration from the environment and command-line flags, parsed once against a schema.
 * Start-up fails fast with a message naming the setting.
 */
import { z } from 'zod';
import { DEFAULT_DATABASE_URL } from '../store/database.js';

const schema = z.object({
  databaseUrl: z
    .string()
    .min(1)
    .refine((u) => /^(sqlite:|postgres(ql)?:\/\/)/.test(u), {
      message: 'must start with sqlite: or postgres://',
    }),
  port: z.coerce.number().int().min(1).max(65535),
  host: z.string().min(1),
  maxBodyBytes: z.coerce.number().int().min(1024),
});

export type Config = z.infer<typeof schema>;

const SETTING_NAMES: Record<keyof Config, string> = {
  databaseUrl: '--db / PATRON_DATABASE_URL',
  port: '--port / PATRON_PORT',
  host: '--host / PATRON_HOST',
  maxBodyBytes: 'PATRON_MAX_BODY_BYTES',
};

export class ConfigError extends Error {}

export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: { db?: string | undefined; port?: string | number | undefined; host?: string | undefined } = {},
): Config {
  const parsed = schema.safeParse({
    databaseUrl: flags.db ?? env.PATRON_DATABASE_URL ?? DEFAULT_DATABASE_URL,
    port: flags.port ?? env.PATRON_PORT ?? 8787,
    host: flags.host ?? env.PATRON_HOST ?? '127.0.0.1',
    maxBodyBytes: env.PATRON_MAX_BODY_BYTES ?? 512_000,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path[0] as keyof Config;
      return `${SETTING_NAMES[key] ?? String(key)}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
