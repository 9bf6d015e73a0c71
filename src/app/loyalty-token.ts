/**
 * Customer tokens for the customer-facing loyalty API: a JWT (HS256) signed by the store's backend
 * with the store's loyalty secret, naming the customer (`sub`: the store's userId or a Patron id)
 * and expiring soon (`exp`, at most a day after `iat`). A customer can only ever read and spend the
 * points of the customer their token names. Any JWT library can mint them:
 * `{"alg":"HS256","typ":"JWT"}` . `{"sub":"u_1","iat":…,"exp":…,"aud":"patron-loyalty"}` . HMAC.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Result } from '../domain/result.js';
import { err, ok } from '../domain/result.js';

export const TOKEN_AUDIENCE = 'patron-loyalty';
/** The longest lifetime a token may declare (exp − iat). */
export const MAX_TOKEN_SECONDS = 24 * 3600;

export type TokenError =
  | { type: 'TokenMissing' }
  | { type: 'TokenInvalid'; reason: string }
  | { type: 'TokenExpired'; expiredAt: string };

const b64 = (v: Buffer | string): string => Buffer.from(v).toString('base64url');

export function newLoyaltySecret(): string {
  return randomBytes(32).toString('base64url');
}

const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signCustomerToken(
  secret: string,
  input: { subject: string; now: Date; ttlSeconds: number },
): { token: string; expiresAt: string } {
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = iat + Math.min(input.ttlSeconds, MAX_TOKEN_SECONDS);
  const payload = b64(JSON.stringify({ sub: input.subject, iat, exp, aud: TOKEN_AUDIENCE }));
  const sig = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return { token: `${HEADER}.${payload}.${sig}`, expiresAt: new Date(exp * 1000).toISOString() };
}

/** Verifies signature, audience, expiry and lifetime; returns the subject (the customer). */
export function verifyCustomerToken(
  secret: string,
  token: string,
  now: Date,
): Result<{ subject: string; expiresAt: string }, TokenError> {
  const parts = token.split('.');
  if (parts.length !== 3)
    return err({ type: 'TokenInvalid', reason: 'a token has three dot-separated parts' });
  const [h, p, s] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return err({ type: 'TokenInvalid', reason: 'the signature does not match the store’s loyalty secret' });
  }
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return err({ type: 'TokenInvalid', reason: 'the token is not base64url JSON' });
  }
  if (header.alg !== 'HS256') return err({ type: 'TokenInvalid', reason: 'alg must be HS256' });
  if (claims.aud !== TOKEN_AUDIENCE)
    return err({ type: 'TokenInvalid', reason: `aud must be "${TOKEN_AUDIENCE}"` });
  if (typeof claims.sub !== 'string' || claims.sub === '')
    return err({ type: 'TokenInvalid', reason: 'sub (the customer) is missing' });
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    return err({ type: 'TokenInvalid', reason: 'iat and exp (seconds since 1970) are required' });
  }
  if (claims.exp - claims.iat > MAX_TOKEN_SECONDS) {
    return err({ type: 'TokenInvalid', reason: `a token may live at most ${MAX_TOKEN_SECONDS} seconds` });
  }
  const expiresAt = new Date(claims.exp * 1000).toISOString();
  if (claims.exp * 1000 <= now.getTime()) return err({ type: 'TokenExpired', expiredAt: expiresAt });
  return ok({ subject: claims.sub, expiresAt });
}
