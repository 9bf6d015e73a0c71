/**
 * What every route module shares: API-key authentication with scopes, reading a JSON body, and
 * small guards. Route modules (`routes/<resource>.ts`) take an `Authenticate` from `authenticator`.
 */
import type { Context } from 'hono';
import { hasScope, hashSecret, type ApiKeyRecord, type ApiKeyStore, type Scope } from '../app/api-keys.js';
import { problem } from './errors.js';

export type Auth = { ok: true; key: ApiKeyRecord } | { ok: false; response: Response };

/** Checks the request's API key (Bearer, Basic user name, or a body `writeKey`) for a scope. */
export type Authenticate = (c: Context, scope: Scope, bodyWriteKey?: unknown) => Promise<Auth>;

export function authenticator(keys: ApiKeyStore): Authenticate {
  return async (c, scope, bodyWriteKey) => {
    const header = c.req.header('authorization') ?? '';
    let secret: string | undefined;
    if (/^bearer\s+/i.test(header)) secret = header.replace(/^bearer\s+/i, '').trim();
    else if (/^basic\s+/i.test(header)) {
      // Segment sends the write key as the Basic user name with an empty password.
      const decoded = Buffer.from(header.replace(/^basic\s+/i, '').trim(), 'base64').toString('utf8');
      secret = decoded.split(':')[0];
    } else if (typeof bodyWriteKey === 'string') secret = bodyWriteKey;
    const challenge = { 'www-authenticate': 'Basic realm="patron", Bearer' };
    if (!secret) {
      return {
        ok: false,
        response: problem(
          c,
          401,
          'An API key is required: Authorization: Bearer <key> or Basic auth with the key as user name.',
          undefined,
          challenge,
        ),
      };
    }
    const key = await keys.findByHash(hashSecret(secret));
    if (!key || key.revokedAt !== null) {
      return {
        ok: false,
        response: problem(c, 401, 'The API key is not valid or has been revoked.', undefined, challenge),
      };
    }
    if (!hasScope(key, scope)) {
      return {
        ok: false,
        response: problem(c, 403, `The API key "${key.name}" lacks the "${scope}" scope.`),
      };
    }
    return { ok: true, key };
  };
}

/** Reads a JSON body (application/json, or text/plain as analytics.js sends with sendBeacon). */
export async function readJson(
  c: Context,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  // text/plain is what analytics.js uses with sendBeacon; its body is still JSON.
  if (type !== 'application/json' && type !== 'text/plain') {
    return { ok: false, response: problem(c, 415, 'Send JSON with Content-Type: application/json.') };
  }
  const text = await c.req.text();
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (e) {
    return { ok: false, response: problem(c, 400, `The body is not valid JSON: ${(e as Error).message}`) };
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
