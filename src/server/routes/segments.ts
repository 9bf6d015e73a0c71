/**
 * Segments, advocates and timing over HTTP: `GET /v1/segments` (counts per named segment and per
 * cluster with descriptions), `GET /v1/segments/transitions`, `GET /v1/advocates`,
 * `GET /v1/customers/{id}/send-time` and `GET /v1/orders/{id}/review-request`.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { listAdvocates } from '../../app/advocacy.js';
import { transitionsSince } from '../../app/segments.js';
import type { ClusterModel } from '../../domain/models/segments/clusters.js';
import { SEGMENT_DEFINITIONS, SEGMENTS } from '../../domain/models/segments/rfm.js';
import { advocacyStore } from '../../store/advocacy-repository.js';
import { segmentCounts, segmentStore } from '../../store/segment-repository.js';
import { bestSendTimeFor, reviewRequestFor } from '../../store/timing-repository.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';
import { resolveCustomerId } from '../../store/customer-id.js';
import { fieldIssues } from '../../domain/field-issues.js';

const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: `must be from 1 to ${max}` })
    .max(max, { message: `must be from 1 to ${max}` })
    .default(fallback);

const isoTime = z
  .string({ message: 'is required (an ISO 8601 time or a YYYY-MM-DD date)' })
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 time or a YYYY-MM-DD date',
  });

const segmentName = z.enum(SEGMENTS as unknown as [string, ...string[]], {
  message: `must be one of ${SEGMENTS.join(', ')}`,
});

export const advocatesQuery = z.object({ limit: limit(1000, 20) });
export const transitionsQuery = z.object({
  since: isoTime,
  from: segmentName.optional(),
  to: segmentName.optional(),
  limit: limit(10_000, 1000),
});
export const sendTimeQuery = z.object({
  after: isoTime.optional(),
  weekly: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
});

export function segmentRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  app.get('/v1/segments', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const run = await segmentStore(deps.store).latestRun();
    if (!run) return problem(c, 404, 'No segmentation yet: run `patron segments compute`.');
    const counts = await segmentCounts(deps.store);
    const model = JSON.parse(run.clusters) as ClusterModel;
    return c.json({
      runId: run.id,
      computedAt: run.computed_at,
      asOf: run.as_of,
      customers: counts.customers,
      boundaries: JSON.parse(run.boundaries) as unknown,
      segments: SEGMENTS.map((name) => ({
        segment: name,
        customers: counts.segments.get(name) ?? 0,
        definition: {
          r: SEGMENT_DEFINITIONS[name].r,
          fm: SEGMENT_DEFINITIONS[name].fm,
          meaning: SEGMENT_DEFINITIONS[name].meaning,
        },
      })),
      clusters: model.clusters.map((k) => ({
        cluster: k.cluster,
        customers: counts.clusters.get(k.cluster) ?? 0,
        description: k.description,
        zScores: k.zScores,
      })),
      k: model.k,
      silhouettes: model.silhouettes,
    });
  });

  app.get('/v1/segments/transitions', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = transitionsQuery.safeParse(c.req.query());
    if (!q.success) return problem(c, 400, 'The query is invalid.', fieldIssues(q.error, '(query)'));
    const r = await transitionsSince(segmentStore(deps.store), q.data);
    if (!r.ok) return problem(c, 400, r.error.message);
    return c.json({
      transitions: r.value.map((t) => ({
        customerId: t.customer_id,
        from: t.from_segment,
        to: t.to_segment,
        at: t.at,
        cause: t.cause,
        causeEvent: t.cause_event,
      })),
    });
  });

  app.get('/v1/advocates', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = advocatesQuery.safeParse(c.req.query());
    if (!q.success) return problem(c, 400, 'The query is invalid.', fieldIssues(q.error, '(query)'));
    return c.json({ advocates: await listAdvocates(advocacyStore(deps.store), q.data.limit) });
  });

  app.get('/v1/customers/:id/send-time', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const q = sendTimeQuery.safeParse(c.req.query());
    if (!q.success) return problem(c, 400, 'The query is invalid.', fieldIssues(q.error, '(query)'));
    const id = await resolveCustomerId(deps.store.db, c.req.param('id'));
    if (!id) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    const after = q.data.after === undefined ? deps.now() : new Date(q.data.after);
    const t = await bestSendTimeFor(deps.store, id, after, { weekly: q.data.weekly === 'true' });
    if (!t) return problem(c, 404, 'No send times yet: run `patron timing compute`.');
    return c.json({ customerId: id, ...t });
  });

  app.get('/v1/orders/:id/review-request', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const r = await reviewRequestFor(deps.store, c.req.param('id'));
    if (!r)
      return problem(c, 404, `Order "${c.req.param('id')}" is not delivered, or no timing run exists yet.`);
    return c.json({
      orderId: r.order_id,
      customerId: r.customer_id,
      deliveredAt: r.delivered_at,
      category: r.category,
      timeToValueDays: r.time_to_value_days,
      dueAt: r.due_at,
    });
  });
}
