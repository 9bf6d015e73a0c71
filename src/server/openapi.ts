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
import { rewardInput, rewardPatch } from '../domain/loyalty/rewards.js';
import { tierConfigSchema } from '../domain/loyalty/tiers.js';
import { adjustmentBody, redemptionBody, tokenBody } from './routes/loyalty.js';
import { analyzeRequestSchema, themesQuerySchema } from '../app/text.js';
import { advocatesQuery, sendTimeQuery, transitionsQuery } from './routes/segments.js';
import { boughtTogetherQuery, recommendationsQuery, replenishmentQuery } from './routes/recommendations.js';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
};

/**
 * The query parameters of a route, from the zod object schema that validates its query: each
 * property's type, enum, bounds and default as the route checks them. `notes` add what a refinement
 * checks (JSON Schema cannot say "an ISO 8601 time").
 */
function queryParameters(schema: z.ZodType, notes: Record<string, string> = {}): unknown[] {
  const s = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (s.required ?? []).includes(name),
    schema: property,
    ...(notes[name] ? { description: notes[name] } : {}),
  }));
}

/** A path parameter. */
const pathId = (description: string, name = 'id') => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});

/** An API key (Bearer, or Basic with the key as user name) holding `scope`. */
const apiKey = (scope: 'ingest' | 'read' | 'admin') => ({
  security: [{ basic: [] }, { bearer: [] }],
  description: `Needs an API key with the \`${scope}\` scope (\`admin\` holds every scope).`,
});

let cached: unknown;

/**
 * `POST /v1/loyalty/config`: any fields of the programme configuration (merged over the active
 * version, then the whole is validated), with `note` and `activateAt`.
 */
function configChange(): Record<string, unknown> {
  const {
    required: _all,
    properties,
    ...rest
  } = json(programmeConfigSchema) as {
    required?: string[];
    properties: Record<string, unknown>;
  };
  return {
    ...rest,
    properties: {
      ...properties,
      note: { type: 'string', description: 'Why the version was made (kept with it).' },
      activateAt: {
        type: 'string',
        format: 'date-time',
        description: 'When the version takes effect; default now.',
      },
    },
  };
}

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
  const item =
    'Each item: productId, name, category, priceMinor (base-currency minor units), score, explore (a slot for a category the customer has not bought from) and `reason` {type: running_low | bought | viewed | bought_with | similar | popular, text ("running low on Z", "because you bought X", "often bought with Y", "popular in C"), productId or category, runOutOn for running_low}.';
  const noModel = {
    '400': 'A bad query parameter (or an unknown one); `errors` names it.',
    '409': 'No recommender has been trained yet (`patron recommend train`).',
  };
  return {
    '/v1/customers/{id}/recommendations': {
      get: {
        ...read,
        summary: "A customer's recommendations for a placement, each with its reason",
        parameters: [id("Patron id (cus_…) or the store's userId"), ...queryParameters(recommendationsQuery)],
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
          ...queryParameters(replenishmentQuery, { as_of: 'A date, YYYY-MM-DD; default today.' }),
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
        parameters: [id("The store's order id"), ...queryParameters(boughtTogetherQuery)],
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
  const errors: Errors = (extra = {}, omit = []) =>
    Object.fromEntries(
      Object.entries({
        '400':
          'Invalid input; nothing was stored. `errors` lists each bad event index, field path and reason.',
        '401': 'Missing or unknown API key.',
        '403': 'The key lacks the scope.',
        '413': 'Body too large.',
        '415': 'Not JSON.',
        ...extra,
      })
        .filter(([code]) => !omit.includes(code))
        .map(([code, description]) => [
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
        'Segment-compatible event ingestion, customer profiles, segments and timing, recommendations, text analysis, the loyalty ledger and programme, decisions and experiments (docs/API.md). Authenticate with `Authorization: Bearer <key>` or HTTP Basic auth with the key as user name (as Segment sends its write key). Amounts are decimals in the major unit on input and integer minor units on output.',
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
        LoyaltyConfigChange: configChange(),
        LoyaltyRewardInput: json(rewardInput),
        LoyaltyRewardPatch: json(rewardPatch),
        LoyaltyReward: json(
          rewardInput.extend({ id: z.string(), stockLeft: z.number().int().nullable() }),
          'output',
        ),
        LoyaltyTierConfig: json(tierConfigSchema, 'output'),
        LoyaltyTierConfigChange: json(tierConfigSchema.partial()),
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
      '/v1/import': ingest(
        'The same as /v1/batch (an alias for importers): record a batch of events atomically',
        'Batch',
      ),
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
          parameters: queryParameters(themesQuerySchema, {
            from: 'First month, YYYY-MM (default five months before `to`; not after `to`, at most 120 months).',
            to: 'Last month, YYYY-MM (default this month).',
          }),
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
      ...segmentPaths(errors),
      ...recommendationPaths(errors),
      ...loyaltyPaths(errors),
      ...programmePaths(errors),
      ...outboxPaths(errors),
      '/v1/openapi.json': {
        get: {
          summary: 'This document',
          tags: ['meta'],
          security: [],
          responses: { '200': { description: 'The OpenAPI 3.1 document.' } },
        },
      },
      '/health': {
        get: {
          summary: 'Liveness: the process answers HTTP (the database is not queried)',
          tags: ['meta'],
          security: [],
          responses: {
            '200': {
              description: '`{status: "ok"}`',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
                },
              },
            },
          },
        },
      },
    },
  };
  return cached;
}

/**
 * Problem-details responses: 400 (ingestion's wording unless `extra` says otherwise), 401, 403,
 * 413, 415, plus `extra`; `omit` drops those a route cannot answer (a GET has no body to refuse).
 */
type Errors = (extra?: Record<string, string>, omit?: readonly string[]) => Record<string, unknown>;

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
              '`{experiment, asOf, exposures {total, mature, pending}, report {confidence, arms: [{variant, customers, purchaseRate {count, estimate, lower, upper}, retentionRate, revenuePerCustomerMinor, redemptionRate, atRisk {customers, saveRate}}], comparisons: [{variant, against, purchaseUplift {estimate, lower, upper, significant}, relativeLift, retentionUplift, saveRateUplift, revenuePerCustomerMinor, incrementalRevenueMinor, costMinor, retentionRoi}]}, power {baselinePurchaseRate, detectableLiftNow, targetLift, weeksNeededForTarget, weeksSoFar}, bandit: [{arm, pulls, successes, posteriorMean, probabilityBest}] | null}`.',
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
  const admin = [{ basic: [] }, { bearer: [] }];
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
      get: op(
        'The latest ledger entries, each explained in plain words',
        customer,
        {
          '200':
            '`{entries: [{id, kind, points, at, effectiveAt, orderId, lineNo, rule, programmeVersion, explanation}]}`, newest first.',
          '401': 'Token missing, invalid or expired.',
          '404': "The token's customer is unknown.",
        },
        {
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
              description: 'Clamped to 1–200; a value that is not a number counts as 50.',
            },
          ],
        },
      ),
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
        {
          '201': 'The new version.',
          '400':
            'Not a JSON object, the merged configuration is invalid, or `activateAt` is not a date; `errors` names each field.',
        },
        {
          requestBody: body('LoyaltyConfigChange'),
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
        { '200': 'The balances and the latest 100 entries.', '404': 'No such customer.' },
        {
          description: apiKey('read').description,
          parameters: [pathId("Patron id (cus_…) or the store's userId")],
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

/** Segments, advocates and timing (src/server/routes/segments.ts; docs/API.md "Segments, advocates and send times"). */
function segmentPaths(errors: Errors): Record<string, unknown> {
  const read = { tags: ['segments'], ...apiKey('read') };
  const get = (errs: Record<string, string>) => errors(errs, ['413', '415']);
  const badQuery = (names: string) => ({
    '400': `A bad query parameter (${names}); \`errors\` names it.`,
  });
  const isoTime = 'An ISO 8601 time or a YYYY-MM-DD date (midnight UTC).';
  return {
    '/v1/segments': {
      get: {
        ...read,
        summary: 'The latest segmentation: RFM segments and clusters with their counts and meanings',
        responses: {
          '200': {
            description:
              '`{runId, computedAt, asOf, customers, boundaries, segments: [{segment, customers, definition {r, fm, meaning}}] (all eleven named segments), clusters: [{cluster, customers, description, zScores}], k, silhouettes}`.',
          },
          ...get({ '404': 'No segmentation yet (`patron segments compute`).' }),
        },
      },
    },
    '/v1/segments/transitions': {
      get: {
        ...read,
        summary: 'Segment moves since a time, oldest first',
        parameters: queryParameters(transitionsQuery, { since: isoTime }),
        responses: {
          '200': {
            description:
              '`{transitions: [{customerId, from (null for a first assignment), to, at, cause: event | time | recompute, causeEvent}]}`.',
          },
          ...get(badQuery('`since`, `from`, `to`, `limit`')),
        },
      },
    },
    '/v1/advocates': {
      get: {
        ...read,
        summary: 'The customers likeliest to advocate, best first, with their reasons',
        parameters: queryParameters(advocatesQuery),
        responses: {
          '200': {
            description:
              '`{advocates: [{customerId, userId, score (0–100), components (points per signal), reasons (in words), computedAt}]}`; empty before `patron advocacy compute`.',
          },
          ...get(badQuery('`limit`')),
        },
      },
    },
    '/v1/customers/{id}/send-time': {
      get: {
        ...read,
        summary: 'The next best moment and channel to reach the customer',
        parameters: [
          pathId("Patron id (cus_…) or the store's userId"),
          ...queryParameters(sendTimeQuery, {
            after: `${isoTime} The answer is at or after it; default now.`,
            weekly: '`true`: the best weekday and hour, not the best hour of any day.',
          }),
        ],
        responses: {
          '200': {
            description:
              '`{customerId, at (UTC), timezone, localHour (0–23), weekday, channel: email | sms | push}`. A customer without a profile of their own gets the store-wide pattern in their time zone.',
          },
          ...get({
            ...badQuery('`after`, `weekly`'),
            '404': 'No such customer, or no timing run yet (`patron timing compute`).',
          }),
        },
      },
    },
    '/v1/orders/{id}/review-request': {
      get: {
        ...read,
        summary: 'When to ask for a review of a delivered order',
        parameters: [pathId("The store's order id")],
        responses: {
          '200': {
            description:
              '`{orderId, customerId, deliveredAt, category (the main category, or null), timeToValueDays, dueAt}`.',
          },
          ...get({ '404': 'The order is unknown or not delivered, or no timing run exists yet.' }),
        },
      },
    },
  };
}

/**
 * The loyalty programme around the ledger: rewards catalog, tiers and what-if, referrals, health,
 * flags and a member's programme view (src/server/routes/loyalty-programme.ts).
 */
function programmePaths(errors: Errors): Record<string, unknown> {
  const op = (scope: 'ingest' | 'read' | 'admin') => ({ tags: ['loyalty'], ...apiKey(scope) });
  const body = (schema: unknown) => ({
    required: true,
    content: { 'application/json': { schema } },
  });
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const ok = (description: string, schema?: unknown) => ({
    description,
    ...(schema ? { content: { 'application/json': { schema } } } : {}),
  });
  const get = (extra: Record<string, string> = {}) => errors(extra, ['400', '413', '415']);
  // No body limit on these routes (only the ingestion and text routes have one).
  const post = (extra: Record<string, string>) => errors(extra, ['413']);
  const memberView =
    'tier {id, name, since, score, earnMultiplier, demotion {toTierId, effectiveAt} | null}, tierProgress {nextTierId, nextTierName, remaining, fraction, options [{description, orderMinor, actions}]}, challenges [{id, kind, title, category, target, progress, rewardPoints, startsAt, endsAt}], suggestedRewards [{rewardId, name, costPoints, affordable, missingPoints, valueMinor, reason}], referralCode, referralLink';
  return {
    '/v1/loyalty/rewards': {
      get: {
        ...op('read'),
        summary: 'The rewards catalog',
        responses: {
          '200': ok('`{rewards: [...]}`', {
            type: 'object',
            required: ['rewards'],
            properties: { rewards: { type: 'array', items: ref('LoyaltyReward') } },
          }),
          ...get(),
        },
      },
      post: {
        ...op('admin'),
        summary: 'Add a reward to the catalog',
        requestBody: body(ref('LoyaltyRewardInput')),
        responses: {
          '201': ok('The reward as stored, with its id (`rwd_…`) and `stockLeft`.', ref('LoyaltyReward')),
          ...post({
            '400':
              'The reward is invalid (or names an unknown tier in `eligibleTiers`); `errors` names each field.',
          }),
        },
      },
    },
    '/v1/loyalty/rewards/{id}': {
      patch: {
        ...op('admin'),
        summary: 'Change only the fields sent; a new `stock` keeps what was already issued',
        parameters: [pathId('The reward id, rwd_…')],
        requestBody: body(ref('LoyaltyRewardPatch')),
        responses: {
          '200': ok('The reward after the change.', ref('LoyaltyReward')),
          ...post({
            '400': 'The change is invalid (or has an unknown field); `errors` names each field.',
            '404': 'No such reward.',
          }),
        },
      },
    },
    '/v1/loyalty/tiers': {
      get: {
        ...op('read'),
        summary: 'The tier configuration and members per tier',
        responses: {
          '200': ok('`{config, members: {tierId: count}}`.', {
            type: 'object',
            required: ['config', 'members'],
            properties: {
              config: ref('LoyaltyTierConfig'),
              members: { type: 'object', additionalProperties: { type: 'integer' } },
            },
          }),
          ...get(),
        },
      },
      put: {
        ...op('admin'),
        summary:
          'Change the tier configuration (the fields sent are merged over the current one); earn multipliers go into a new ledger programme version',
        requestBody: body(ref('LoyaltyTierConfigChange')),
        responses: {
          '200': ok(
            '`{config, ledgerVersion}`: `ledgerVersion` is null when the multipliers did not change.',
            {
              type: 'object',
              required: ['config', 'ledgerVersion'],
              properties: {
                config: ref('LoyaltyTierConfig'),
                ledgerVersion: { type: ['integer', 'null'] },
              },
            },
          ),
          ...post({
            '400':
              'Not a JSON object, or the merged configuration is invalid (thresholds not increasing from 0, …); `errors` names each field.',
          }),
        },
      },
    },
    '/v1/loyalty/tiers/whatif': {
      post: {
        ...op('admin'),
        summary:
          'Members per tier now and under proposed thresholds, both replayed over the real history (nothing is saved)',
        requestBody: body({
          type: 'object',
          required: ['thresholds'],
          properties: {
            thresholds: {
              type: 'object',
              description:
                'Tier id → proposed score threshold (a whole number ≥ 0); tiers not given keep theirs. The entry tier stays at 0 and thresholds must increase from tier to tier.',
              additionalProperties: { type: 'integer', minimum: 0 },
            },
          },
        }),
        responses: {
          '200': ok(
            '`{tiers: [{id, current, proposed}], moves: {from: {to: count}}, members, checkpoints}`: `moves[from][to]` counts members in `from` today who would be in `to`.',
          ),
          ...post({
            '400':
              'Not a JSON object, or a threshold names an unknown tier, is not a whole number ≥ 0, or breaks the order; `errors` names `thresholds.<tier>`.',
          }),
        },
      },
    },
    '/v1/loyalty/referrals': {
      post: {
        ...op('ingest'),
        summary:
          'Attribute a referred customer to a referral code (the fraud checks run now; the reward comes after the first order’s return window)',
        requestBody: body({
          type: 'object',
          required: ['code', 'customer'],
          properties: {
            code: { type: 'string', minLength: 1, description: 'The referral code the customer used.' },
            customer: {
              type: 'string',
              minLength: 1,
              description: "The referred customer's userId or cus_ id.",
            },
            at: { type: 'string', format: 'date-time', description: 'When they were referred; default now.' },
          },
        }),
        responses: {
          '201': ok(
            'A new attribution: `{id, referrerId, refereeId, code, referredAt, decision: accept | reject | review, flags [{type: SelfReferral | ReferredCustomerNotNew | VelocityExceeded | ReferrerIsReferee, …}], status: awaiting_order | rejected | review (later in_return_window, due, rewarded or void), firstOrderId, dueAt, rewardedAt}`.',
          ),
          '200': ok('The referee was already attributed: the stored attribution, the same shape.'),
          ...post({
            '400': 'A missing or malformed `code`, `customer` or `at`; `errors` names each field.',
            '422':
              'No member has this referral code, or no such customer (`errors` names `code` or `customer`).',
          }),
        },
      },
    },
    '/v1/loyalty/health': {
      get: {
        ...op('admin'),
        summary: 'Programme health: points liability, breakage, participation this quarter, members per tier',
        responses: {
          '200': ok(
            '`{asOf, currency, liability {pendingPoints, availablePoints, pendingMinor, availableMinor, expectedBreakagePoints, expectedBreakageMinor, expectedCostMinor, breakageRate, breakageBasis: history | assumed, maturedPoints, expiredPoints}, participation {quarter, members, earning, redeeming, active, rate}, tiers {tierId: count}, openFlags}`; amounts in minor units of `currency`.',
          ),
          ...get(),
        },
      },
    },
    '/v1/loyalty/members/{id}/programme': {
      get: {
        ...op('admin'),
        summary: "One member's programme view (the fields GET /v1/loyalty/me adds to the balances)",
        parameters: [pathId("Patron id (cus_…) or the store's userId")],
        responses: {
          '200': ok(`\`{customerId, ${memberView}}\`.`),
          ...get({ '404': 'No such customer.' }),
        },
      },
    },
    '/v1/loyalty/flags': {
      get: {
        ...op('admin'),
        summary: 'Abuse flags for review (refund cycling), oldest first',
        parameters: [
          {
            name: 'customer',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description: "Only this customer's flags: the Patron id (cus_…), matched as given.",
          },
        ],
        responses: {
          '200': ok('`{flags: [{id, customerId, kind, detail, status, createdAt}]}`.'),
          ...get(),
        },
      },
    },
  };
}
