/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
import { z } from 'zod';
import {
  aliasSchema,
  batchSchema,
  identifySchema,
  knownEvents,
  pageSchema,
  trackSchema,
  groupSchema,
} from '../domain/events/schemas.js';
import { analyzeRequestSchema } from '../app/text.js';

const json = (schema: z.ZodType): unknown => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

let cached: unknown;

export function openApiDocument(): unknown {
  if (cached) return cached;
  const problem = {
    type: 'object',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { index: { type: 'integer' }, path: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
  const errors = (extra: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries({
        '400':
          'Invalid input; nothing was stored. `errors` lists each bad event index, field path and reason.',
        '401': 'Missing or unknown API key.',
        '403': 'The key lacks the scope.',
        '413': 'Body too large.',
        '415': 'Not JSON.',
        ...extra,
      }).map(([code, description]) => [
        code,
        {
          description,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      ]),
    );
  const ok = {
    '200': {
      description: 'Stored (or already stored: the same messageId is answered the same way).',
      content: {
        'application/json': { schema: { type: 'object', properties: { success: { const: true } } } },
      },
    },
  };
  const ingest = (summary: string, ref: string) => ({
    post: {
      summary,
      tags: ['ingestion'],
      security: [{ basic: [] }, { bearer: [] }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
      },
      responses: { ...ok, ...errors() },
    },
  });
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Patron API',
      version: '1',
      description:
        'Segment-compatible event ingestion and customer profiles. Authenticate with `Authorization: Bearer <key>` or HTTP Basic auth with the key as user name (as Segment sends its write key). Amounts are decimals in the major unit on input and integer minor units on output.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Track: json(trackSchema),
        Identify: json(identifySchema),
        Page: json(pageSchema),
        Alias: json(aliasSchema),
        Group: json(groupSchema),
        Batch: json(batchSchema),
        Problem: problem,
        TextAnalyzeRequest: json(analyzeRequestSchema),
        ...Object.fromEntries(
          Object.entries(knownEvents).map(([name, schema]) => [
            `Properties_${name.replace(/\s+/g, '')}`,
            json(schema),
          ]),
        ),
      },
    },
    paths: {
      '/v1/track': ingest(
        'Record a track event (properties are validated for known e-commerce events)',
        'Track',
      ),
      '/v1/identify': ingest('Identify a customer and their traits', 'Identify'),
      '/v1/page': ingest('Record a page view', 'Page'),
      '/v1/screen': ingest('Record a screen view', 'Page'),
      '/v1/alias': ingest('Link a previous id to a userId', 'Alias'),
      '/v1/group': ingest('Record a group call', 'Group'),
      '/v1/batch': ingest('Record up to a body-size limit of events atomically', 'Batch'),
      '/v1/text/analyze': {
        post: {
          summary: 'Sentiment and themes of texts, on demand (nothing is stored)',
          tags: ['text'],
          security: [{ basic: [] }, { bearer: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/TextAnalyzeRequest' } } },
          },
          responses: {
            '200': {
              description:
                '`{text}` answers `{score, label, themes}`: score in [-1, 1], label negative | neutral | positive, themes [{theme, polarity, score}] with theme shipping | quality | sizing | price | service | packaging | ease_of_use. `{texts}` answers `{results: [...]}` in the same order.',
            },
            ...errors(),
          },
        },
      },
      '/v1/text/themes': {
        get: {
          summary: 'Theme trends by month, per product, with the complaints that rose this month',
          tags: ['text'],
          security: [{ basic: [] }, { bearer: [] }],
          parameters: ['product', 'theme', 'source', 'from', 'to'].map((name) => ({
            name,
            in: 'query',
            required: false,
            schema: { type: 'string' },
          })),
          responses: {
            '200': {
              description:
                '`{product, from, to, themes: [{theme, mentions, negative, months: [{month, mentions, negative, neutral, positive, negativeShare, meanScore}]}], rising: [{productId, theme, month, negative, previousNegative, z, text}]}`.',
            },
            ...errors(),
          },
        },
      },
      '/v1/customers/{id}/decisions': {
        get: {
          summary:
            "A customer's stored decisions: trigger, inputs, candidates with scores, reason, guardrail verdict",
          tags: ['decisions'],
          security: [{ basic: [] }, { bearer: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 500 },
            },
          ],
          responses: {
            '200': { description: '`{customerId, decisions: [...]}`, newest first (docs/API.md).' },
            ...errors({ '404': 'No such customer.' }),
          },
        },
      },
      '/v1/customers/{id}/next-best-action': {
        get: {
          summary: 'The next best action for the customer now (computed live, not stored)',
          tags: ['decisions'],
          security: [{ basic: [] }, { bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description:
                '`{action, reason, trigger, expectedValue, guardrail, alreadyDecided, candidates}`.',
            },
            ...errors({ '404': 'No such customer.' }),
          },
        },
      },
      '/v1/tasks': {
        get: {
          summary: 'Tasks for people opened by the policy (service saves, high-CLV at-risk customers)',
          tags: ['decisions'],
          security: [{ basic: [] }, { bearer: [] }],
          parameters: [
            {
              name: 'status',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['open', 'done'] },
            },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 500 },
            },
          ],
          responses: {
            '200': {
              description:
                '`{tasks: [{id, customerId, decisionId, action, reasons, valueAtStakeMinor, status, createdAt}]}`.',
            },
            ...errors({}),
          },
        },
      },
      '/v1/customers/{id}': {
        get: {
          summary: "A customer's unified profile (by Patron id or the store's userId)",
          tags: ['customers'],
          security: [{ basic: [] }, { bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description:
                'The profile: identities, orders (count, revenue, first and last), consent, merges, and `predictions` from the last `patron score` (null until scored): probabilityAlive, expectedPurchases {days30, days90, days365}, probabilityNoPurchase90Days, expectedNextOrderOn, expectedOrderValueMinor, clvMinor and learnedClvMinor (base-currency minor units, over horizonDays), modelVersion, params, asOf, scoredAt.',
            },
            ...errors({ '404': 'No such customer.' }),
          },
        },
      },
    },
  };
  return cached;
}
