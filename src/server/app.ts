/**
 * The HTTP API: Segment-compatible ingestion (`/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`,
 * `/v1/alias`, `/v1/group`, `/v1/batch`), profiles, and the OpenAPI document. Built by
 * `createApp(deps)`; tests call `app.request()` in-process.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiKeyStore } from '../app/api-keys.js';
import { ingestBatch } from '../app/ingest-events.js';
import type { EventStore, SettingsStore } from '../app/ports.js';
import type { Store } from '../store/database.js';
import { findCustomerProfile } from '../store/customer-repository.js';
import { formatIssuePath } from '../domain/events/normalize.js';
import { problem } from './errors.js';
import { authenticator, isObject, readJson } from './http.js';
import { openApiDocument } from './openapi.js';
import { segmentRoutes } from './routes/segments.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { unsubscribeRoutes } from './routes/unsubscribe.js';
import { experimentRoutes } from './routes/experiments.js';
import { loyaltyRoutes, type LoyaltyRouteExtensions } from './routes/loyalty.js';
import { decisionRoutes } from './routes/decisions.js';
import { textRoutes } from './routes/text.js';
import { loyaltyProgrammeExtensions, loyaltyProgrammeRoutes } from './routes/loyalty-programme.js';

export interface AppDeps {
  readonly store: Store;
  readonly events: EventStore;
  readonly settings: SettingsStore;
  readonly keys: ApiKeyStore;
  readonly now: () => Date;
  /** Largest accepted request body in bytes (Segment's batch limit is 500 KB). */
  readonly maxBodyBytes: number;
  readonly log?: (line: string) => void;
  /** What the loyalty programme modules plug into the loyalty API (rewards, extra `me` fields, tier hook). */
  readonly loyalty?: LoyaltyRouteExtensions;
}

const SINGLE_TYPES = ['track', 'identify', 'page', 'screen', 'alias', 'group'] as const;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const log = deps.log ?? ((line: string) => console.error(line));

  app.onError((e, c) => {
    log(`error: ${c.req.method} ${c.req.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return problem(c, 500, 'Something went wrong on our side; the request was not applied. Retry it safely.');
  });
  app.notFound((c) => problem(c, 404, `No route for ${c.req.method} ${c.req.path}`));

  const authenticate = authenticator(deps.keys);

  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) =>
      problem(c, 413, `The body is larger than ${deps.maxBodyBytes} bytes; send smaller batches.`),
  });

  async function ingest(
    c: Context,
    raw: unknown[],
    batchContext: unknown,
    writeKey: unknown,
  ): Promise<Response> {
    const auth = await authenticate(c, 'ingest', writeKey);
    if (!auth.ok) return auth.response;
    const currency = await deps.settings.currencySettings();
    const result = await ingestBatch(deps.events, raw, {
      currency,
      receivedAt: deps.now().toISOString(),
      ...(isObject(batchContext) ? { batchContext } : {}),
    });
    if (!result.ok) {
      const events = new Set(result.error.map((e) => e.index)).size;
      return problem(
        c,
        400,
        raw.length === 1
          ? 'The event is invalid; nothing was stored.'
          : `${events} of ${raw.length} events are invalid; nothing from this batch was stored.`,
        result.error.map((e) => ({ index: e.index, path: formatIssuePath(e.path), message: e.message })),
      );
    }
    return c.json({ success: true });
  }

  for (const type of SINGLE_TYPES) {
    app.post(`/v1/${type}`, limit, async (c) => {
      const parsed = await readJson(c);
      if (!parsed.ok) return parsed.response;
      const body = parsed.body;
      if (!isObject(body)) return problem(c, 400, 'The body must be a JSON object (one event).');
      const event = { type, ...body };
      if (event.type !== type) {
        return problem(c, 400, `This endpoint takes "${type}" events.`, [
          { path: 'type', message: `must be "${type}" on /v1/${type}` },
        ]);
      }
      return ingest(c, [event], undefined, body.writeKey);
    });
  }

  const batchHandler = async (c: Context): Promise<Response> => {
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const body = parsed.body;
    if (!isObject(body) || !Array.isArray(body.batch)) {
      return problem(c, 400, 'A batch is a JSON object with a "batch" array of events.', [
        { path: 'batch', message: 'must be an array of events' },
      ]);
    }
    if (body.batch.length === 0) {
      return problem(c, 400, 'The batch is empty.', [
        { path: 'batch', message: 'must hold at least one event' },
      ]);
    }
    return ingest(c, body.batch, body.context, body.writeKey);
  };
  app.post('/v1/batch', limit, batchHandler);
  app.post('/v1/import', limit, batchHandler);

  app.get('/v1/customers/:id', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const currency = await deps.settings.currencySettings();
    const profile = await findCustomerProfile(
      deps.store,
      c.req.param('id'),
      currency.baseCurrency,
      deps.now(),
    );
    if (!profile) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    return c.json(profile);
  });

  segmentRoutes(app, deps, authenticate);
  recommendationRoutes(app, deps, authenticate);
  unsubscribeRoutes(app, deps);
  experimentRoutes(app, deps, authenticate);
  loyaltyRoutes(app, deps, authenticate, deps.loyalty ?? loyaltyProgrammeExtensions(deps));
  decisionRoutes(app, deps, authenticate);
  textRoutes(app, deps, authenticate);
  loyaltyProgrammeRoutes(app, deps, authenticate);

  app.get('/v1/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/health', (c) => c.json({ status: 'ok' }));

  return app;
}
