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
import { programmeConfigSchema } from '../domain/loyalty/config.js';
import { adjustmentBody, redemptionBody, tokenBody } from './routes/loyalty.js';
import { analyzeRequestSchema } from '../app/text.js';

const json = (schema: z.ZodType): unknown => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

let cached: unknown;

/** Recommendations, frequently bought together and replenishment (routes/recommendations.ts). */
function recommendationPaths(errors: Errors): Record<string, unknown> {
  const read = { tags: ['recommendations'], security: [{ basic: [] }, { bearer: [] }] };
  const id = (what: string) => ({
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: what,
  });
  const limit = {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 },
  };
  const item =
    'Each item: productId, name, category, priceMinor (base-currency minor units), score, explore (a slot for a category the customer has not bought from) and `reason` {type: running_low | bought | viewed | bought_with | similar | popular, text ("running low on Z", "because you bought X", "often bought with Y", "popular in C"), productId or category, runOutOn for running_low}.';
  const noModel = { '409': 'No recommender has been trained yet (`patron recommend train`).' };
  return {
    '/v1/customers/{id}/recommendations': {
      get: {
        ...read,
        summary: "A customer's recommendations for a placement, each with its reason",
        parameters: [
          id("Patron id (cus_…) or the store's userId"),
          {
            name: 'placement',
            in: 'query',
            schema: { type: 'string', enum: ['post_purchase', 'email', 'home'], default: 'home' },
          },
          limit,
        ],
        responses: {
          '200': { description: `customerId, placement, modelVersion, trainedAsOf, items. ${item}` },
          ...errors({ '404': 'No such customer.', ...noModel }),
        },
      },
    },
    '/v1/customers/{id}/replenishment': {
      get: {
        ...read,
        summary: "A customer's cycled products with their run-out day and whether they are due",
        parameters: [
          id("Patron id (cus_…) or the store's userId"),
          {
            name: 'as_of',
            in: 'query',
            schema: { type: 'string', format: 'date' },
            description: 'default today',
          },
        ],
        responses: {
          '200': {
            description:
              'customerId, asOf, items [{productId, name, category, lastPurchasedOn, lastQuantity, intervalDays, runOutOn, daysLeft, status: upcoming | due | lapsed}].',
          },
          ...errors({ '404': 'No such customer.', ...noModel }),
        },
      },
    },
    '/v1/orders/{id}/frequently-bought-together': {
      get: {
        ...read,
        summary: 'Products often bought in the same order as this order’s products',
        parameters: [id("The store's order id"), limit],
        responses: {
          '200': { description: `orderId, modelVersion, items. ${item}` },
          ...errors({ '404': 'No such order.', ...noModel }),
        },
      },
    },
  };
}

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
        customerToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (HS256, the store’s loyalty secret)',
        },
      },
      schemas: {
        Track: json(trackSchema),
        Identify: json(identifySchema),
        Page: json(pageSchema),
        Alias: json(aliasSchema),
        Group: json(groupSchema),
        Batch: json(batchSchema),
        Problem: problem,
        LoyaltyRedemption: json(redemptionBody),
        LoyaltyAdjustment: json(adjustmentBody),
        LoyaltyToken: json(tokenBody),
        LoyaltyConfig: json(programmeConfigSchema),
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
      ...recommendationPaths(errors),
      ...loyaltyPaths(errors),
      ...outboxPaths(errors),
    },
  };
  return cached;
}

type Errors = (extra?: Record<string, string>) => Record<string, unknown>;

/** Unsubscribe links and experiment reports (src/server/routes/unsubscribe.ts, experiments.ts). */
function outboxPaths(errors: Errors): Record<string, unknown> {
  const token = [{ name: 'token', in: 'query', required: true, schema: { type: 'string' } }];
  const unsubscribe = (summary: string, ok: string) => ({
    summary,
    tags: ['messages'],
    security: [],
    parameters: token,
    responses: {
      '200': { description: ok },
      ...errors({
        '400': 'The token is missing or its signature does not match.',
        '404': 'The customer no longer exists.',
      }),
    },
  });
  return {
    '/v1/unsubscribe': {
      get: unsubscribe(
        'The unsubscribe link of a marketing message: records an Unsubscribed event (consent for marketing on that channel withdrawn); no API key, the signed token is the credential',
        'An HTML page confirming the unsubscribe. A second click changes nothing.',
      ),
      post: unsubscribe(
        'One-click unsubscribe (RFC 8058 List-Unsubscribe-Post)',
        '`{unsubscribed: true, channel}`',
      ),
    },
    '/v1/experiments/{id}': {
      get: {
        summary: 'An experiment with its report: per arm and against control, with confidence intervals',
        tags: ['experiments'],
        security: [{ basic: [] }, { bearer: [] }],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'targetLift',
            in: 'query',
            required: false,
            schema: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          },
        ],
        responses: {
          '200': {
            description:
              '`{experiment, asOf, exposures {total, mature, pending}, report {confidence, arms: [{variant, customers, purchaseRate {count, estimate, lower, upper}, revenuePerCustomerMinor, redemptionRate, atRisk {customers, saveRate}}], comparisons: [{variant, against, purchaseUplift {estimate, lower, upper, significant}, relativeLift, saveRateUplift, revenuePerCustomerMinor, incrementalRevenueMinor, costMinor, retentionRoi}]}, power {baselinePurchaseRate, detectableLiftNow, targetLift, weeksNeededForTarget, weeksSoFar}, bandit: [{arm, pulls, successes, posteriorMean, probabilityBest}] | null}`.',
          },
          ...errors({ '404': 'No such experiment.' }),
        },
      },
    },
  };
}

/** The loyalty endpoints (src/server/routes/loyalty.ts; docs/API.md "Loyalty"). */
function loyaltyPaths(errors: Errors): Record<string, unknown> {
  const customer = [{ customerToken: [] }];
  const admin = [{ bearer: [] }];
  const body = (ref: string) => ({
    required: true,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
  });
  const idem = {
    name: 'Idempotency-Key',
    in: 'header',
    required: true,
    schema: { type: 'string', maxLength: 255 },
  };
  const op = (
    summary: string,
    security: unknown,
    responses: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) => ({
    summary,
    tags: ['loyalty'],
    security,
    ...extra,
    responses: {
      ...Object.fromEntries(
        Object.entries(responses)
          .filter(([k]) => k < '300')
          .map(([k, d]) => [k, { description: d }]),
      ),
      ...errors(Object.fromEntries(Object.entries(responses).filter(([k]) => k >= '300'))),
    },
  });
  return {
    '/v1/loyalty/me': {
      get: op(
        "The token's customer: pending, available, owed, expiringSoon, nextRelease, qualifyingCredit, lifetimeEarned",
        customer,
        {
          '200': 'The balances (plus tier, challenges and rewards from the programme modules).',
          '401': 'Token missing, invalid or expired.',
          '404': "The token's customer is unknown.",
        },
      ),
    },
    '/v1/loyalty/me/history': {
      get: op('The latest ledger entries, each explained in plain words', customer, {
        '200': 'Entries.',
        '401': 'Token missing, invalid or expired.',
      }),
    },
    '/v1/loyalty/me/redemptions': {
      post: op(
        'Redeem points or a reward, exactly once per Idempotency-Key',
        customer,
        {
          '201':
            'The receipt: redemptionId, points, draws (lots, first-expiring first), balance. A replay of the same key and payload answers the same with Idempotent-Replayed: true.',
          '401': 'Token missing, invalid or expired.',
          '403': 'Not eligible for the reward.',
          '404': 'Unknown reward.',
          '409':
            'Insufficient points (with `available` and `needed`), reward out of stock, or redemptions paused while points are owed.',
          '422': 'The Idempotency-Key was used with a different payload.',
        },
        { parameters: [idem], requestBody: body('LoyaltyRedemption') },
      ),
    },
    '/v1/loyalty/config': {
      get: op('The active programme version and every version', admin, { '200': 'Versions.' }),
      post: op(
        'Activate a new programme version (fields merged over the active one)',
        admin,
        { '201': 'The new version.' },
        {
          requestBody: body('LoyaltyConfig'),
        },
      ),
    },
    '/v1/loyalty/adjustments': {
      post: op(
        'A manual adjustment with a reason (never below zero)',
        admin,
        { '201': 'The entry and balance.', '409': 'Insufficient points.', '422': 'Idempotency-Key reused.' },
        {
          parameters: [idem],
          requestBody: body('LoyaltyAdjustment'),
        },
      ),
    },
    '/v1/loyalty/reconciliation': {
      get: op('Every balance and lot recomputed from the postings', admin, {
        '200': 'The report: ok, mismatches, account totals, sumOfAllAccounts.',
      }),
    },
    '/v1/loyalty/members/{id}': {
      get: op(
        "A member's balance and entries",
        admin,
        { '200': 'Balance and entries.', '404': 'No such customer.' },
        {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        },
      ),
    },
    '/v1/loyalty/tokens': {
      post: op(
        'Sign a short-lived customer token',
        admin,
        { '201': '{token, expiresAt}' },
        { requestBody: body('LoyaltyToken') },
      ),
    },
    '/v1/loyalty/run': {
      post: op('Turn new events into points and run the release/expiry jobs', admin, {
        '200': 'What was processed.',
      }),
    },
  };
}
