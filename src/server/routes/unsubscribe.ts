/**
 * GET (the link in the email) and POST (RFC 8058 one-click, what mail clients send for
 * List-Unsubscribe-Post) /v1/unsubscribe?token=… — no API key: the signed token is the credential.
 */
import type { Context, Hono } from 'hono';
import { unsubscribe } from '../../app/unsubscribe.js';
import { signingSecret } from '../../store/signing-secret.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';

export function unsubscribeRoutes(app: Hono, deps: AppDeps): void {
  const handle = async (c: Context): Promise<Response> => {
    const token = c.req.query('token');
    if (!token) {
      return problem(c, 400, 'The unsubscribe link is missing its token.', [
        { path: 'token', message: 'is required' },
      ]);
    }
    const r = await unsubscribe(deps, await signingSecret(deps.store), token, deps.now());
    if (!r.ok) {
      return r.error.type === 'InvalidToken'
        ? problem(c, 400, 'The unsubscribe link is not valid (it may have been cut short).', [
            { path: 'token', message: 'signature does not match' },
          ])
        : problem(c, 404, 'The customer of this unsubscribe link no longer exists.');
    }
    if (c.req.method === 'POST') return c.json({ unsubscribed: true, channel: r.value.channel });
    return c.html(
      `<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribed</title></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto"><h1>You are unsubscribed</h1><p>You will get no more marketing messages by ${r.value.channel}. Order updates still reach you.</p></body></html>`,
    );
  };
  app.get('/v1/unsubscribe', handle);
  app.post('/v1/unsubscribe', handle);
}
