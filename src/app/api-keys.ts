/**
 * API keys: the secret is shown once at creation; only its SHA-256 hash is stored (the secret has
 * 192 bits of entropy, so a fast hash is enough). Scopes: ingest, read, admin (admin implies all).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

export const scopeSchema = z.enum(['ingest', 'read', 'admin']);
export type Scope = z.infer<typeof scopeSchema>;

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface ApiKeyStore {
  insert(record: ApiKeyRecord, hash: string): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string, at: string): Promise<boolean>;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function parseScopes(raw: string): Scope[] {
  const scopes = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (scopes.length === 0) throw new Error('--scopes: give at least one of ingest, read, admin');
  return scopes.map((s) => {
    const r = scopeSchema.safeParse(s);
    if (!r.success) throw new Error(`--scopes: "${s}" is not a scope; use ingest, read or admin`);
    return r.data;
  });
}

/** Creates a key; returns the record and the secret, which is never stored or shown again. */
export async function createApiKey(
  keys: ApiKeyStore,
  input: { name: string; scopes: readonly Scope[]; now: string },
): Promise<{ record: ApiKeyRecord; secret: string }> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const secret = `ptr_${randomBytes(24).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id,
    name: input.name,
    prefix: secret.slice(0, 10),
    scopes: [...new Set(input.scopes)],
    createdAt: input.now,
    revokedAt: null,
  };
  await keys.insert(record, hashSecret(secret));
  return { record, secret };
}

export const hasScope = (key: ApiKeyRecord, scope: Scope): boolean =>
  key.scopes.includes(scope) || key.scopes.includes('admin');
