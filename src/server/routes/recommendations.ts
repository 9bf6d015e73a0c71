/**
 * Recommendations and replenishment over HTTP (scope `read`):
 * `GET /v1/customers/{id}/recommendations?placement=post_purchase|email|home&limit=N`,
 * `GET /v1/customers/{id}/replenishment?as_of=YYYY-MM-DD` and
 * `GET /v1/orders/{id}/frequently-bought-together?limit=N`.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import {
  frequentlyBoughtTogether,
  recommendForCustomer,
  replenishmentForCustomer,
  type RecommendError,
} from '../../app/recommend.js';
import { PLACEMENTS } from '../../domain/models/recommend/rank.js';
import { recommendStoreFor } from '../../store/recommend-repository.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';

const limit = z.coerce
  .number({ message: 'must be a whole number from 1 to 50' })
  .int({ message: 'must be a whole number from 1 to 50' })
  .min(1, { message: 'must be a whole number from 1 to 50' })
  .max(50, { message: 'must be a whole number from 1 to 50' })
  .default(10);

export const recommendationsQuery = z
  .object({
    placement: z.enum(PLACEMENTS, { message: `must be one of ${PLACEMENTS.join(', ')}` }).default('home'),
    limit,
  })
  .strict();

export const boughtTogetherQuery = z.object({ limit }).strict();

export const replenishmentQuery = z
  .object({
    as_of: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date, YYYY-MM-DD' })
      .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a real date' })
      .optional(),
  })
  .strict();

function parseQuery<T extends z.ZodType>(
  c: Context,
  schema: T,
): { ok: true; value: z.infer<T> } | { ok: false; response: Response } {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    response: problem(
      c,
      400,
      'The query is invalid.',
      parsed.error.issues.map((i) => ({
        path: i.path.length ? i.path.join('.') : String((i as { keys?: string[] }).keys?.join(', ') ?? ''),
        message:
          i.code === 'unrecognized_keys' ? `unknown query parameter(s): ${i.keys.join(', ')}` : i.message,
      })),
    ),
  };
}

function failure(c: Context, e: RecommendError): Response {
  switch (e.type) {
    case 'NotFound':
      return problem(c, 404, e.message);
    case 'NoModel':
      return problem(c, 409, e.message);
    case 'InvalidDate':
    case 'InsufficientData':
      return problem(c, 400, e.message);
    default: {
      const _exhaustive: never = e;
      return problem(c, 500, String(_exhaustive));
    }
  }
}

export function recommendationRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  const store = recommendStoreFor(deps.store);

  app.get('/v1/customers/:id/recommendations', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = parseQuery(c, recommendationsQuery);
    if (!q.ok) return q.response;
    const r = await recommendForCustomer(store, c.req.param('id'), q.value, deps.now());
    return r.ok ? c.json(r.value) : failure(c, r.error);
  });

  app.get('/v1/customers/:id/replenishment', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = parseQuery(c, replenishmentQuery);
    if (!q.ok) return q.response;
    const asOf = q.value.as_of === undefined ? deps.now() : new Date(`${q.value.as_of}T00:00:00Z`);
    const r = await replenishmentForCustomer(store, c.req.param('id'), asOf);
    return r.ok ? c.json(r.value) : failure(c, r.error);
  });

  app.get('/v1/orders/:id/frequently-bought-together', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = parseQuery(c, boughtTogetherQuery);
    if (!q.ok) return q.response;
    const r = await frequentlyBoughtTogether(store, c.req.param('id'), q.value.limit);
    return r.ok ? c.json(r.value) : failure(c, r.error);
  });
}
