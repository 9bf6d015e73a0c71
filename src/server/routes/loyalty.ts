/**
 * The loyalty API. Customer-facing (a customer token signed by the store's backend, see
 * src/app/loyalty-token.ts): `GET /v1/loyalty/me`, `GET /v1/loyalty/me/history`,
 * `POST /v1/loyalty/me/redemptions` (Idempotency-Key required). Admin (API key with `admin`):
 * programme configuration, manual adjustments, the reconciliation report, a member's ledger,
 * customer tokens, and a run of the event processor and jobs.
 */
import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import {
  adjustPoints,
  memberBalance,
  redeemPoints,
  runLedgerJobs,
  type LedgerStore,
  type MemberBalance,
  type RedeemError,
  type RedemptionReward,
} from '../../app/loyalty-ledger.js';
import { processLoyaltyEvents, type LoyaltyHooks } from '../../app/loyalty-events.js';
import {
  newLoyaltySecret,
  signCustomerToken,
  verifyCustomerToken,
  MAX_TOKEN_SECONDS,
} from '../../app/loyalty-token.js';
import { programmeConfigSchema } from '../../domain/loyalty/config.js';
import { canonicalJson } from '../../domain/events/normalize.js';
import { ledgerIds, loyaltySecretStore, loyaltyStore } from '../../store/loyalty-repository.js';
import { loyaltyEventSource } from '../../store/loyalty-events-repository.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';
import { isObject, readJson } from '../http.js';
import { fieldIssues } from '../../domain/field-issues.js';

/** What the programme modules (tiers, challenges, rewards, referrals) plug into the loyalty API. */
export interface LoyaltyRouteExtensions {
  /** The reward a redemption `{ "rewardId": … }` buys, or null when there is no such reward. */
  rewardFor?(rewardId: string): RedemptionReward | null;
  /**
   * Extra fields of `GET /v1/loyalty/me` (tier, tierProgress, challenges, suggestedRewards,
   * referralCode …). They start with the balance (a promise) so that their reads run beside it.
   */
  meSections?: ReadonlyArray<
    (customerId: string, balance: Promise<MemberBalance>, now: Date) => Promise<Record<string, unknown>>
  >;
  hooks?: LoyaltyHooks;
}

export const redemptionBody = z
  .object({
    points: z.number().int({ message: 'must be a whole number of points' }).positive().optional(),
    rewardId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => (b.points === undefined) !== (b.rewardId === undefined), {
    message: 'give either `points` or `rewardId`',
    path: ['points'],
  });

export const adjustmentBody = z
  .object({
    customerId: z.string().min(1).max(255),
    points: z
      .number()
      .int({ message: 'must be a whole number of points' })
      .refine((n) => n !== 0, { message: 'must not be 0' }),
    reason: z.string().trim().min(3, { message: 'say why, in at least 3 characters' }).max(1000),
  })
  .strict();

export const tokenBody = z
  .object({
    customerId: z.string().min(1).max(255),
    ttlSeconds: z.number().int().min(1).max(MAX_TOKEN_SECONDS).optional(),
  })
  .strict();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const requestHash = (body: unknown): string => createHash('sha256').update(canonicalJson(body)).digest('hex');

function redeemProblem(c: Context, e: RedeemError): Response {
  switch (e.type) {
    case 'InsufficientPoints':
      return c.newResponse(
        JSON.stringify({
          type: 'https://patron.dev/problems/insufficient-points',
          title: 'Insufficient points',
          status: 409,
          detail: `This needs ${e.needed} points; ${e.available} are available.`,
          available: e.available,
          needed: e.needed,
        }),
        409,
        { 'content-type': 'application/problem+json' },
      );
    case 'RedemptionsBlocked':
      return problem(
        c,
        409,
        `Redemptions are paused until the ${e.debt} points owed after a refund are repaid.`,
      );
    case 'RewardOutOfStock':
      return problem(c, 409, `The reward is out of stock: ${e.detail}`);
    case 'NotEligible':
      return problem(c, 403, `Not eligible for this reward: ${e.detail}`);
    case 'UnknownReward':
      return problem(c, 404, e.detail);
    case 'IdempotencyKeyReused':
      return problem(
        c,
        422,
        `The Idempotency-Key "${e.key}" was used with a different request; use a new key.`,
        [{ path: 'Idempotency-Key', message: 'already used with another payload' }],
      );
    case 'InvalidPoints':
      return problem(c, 400, e.reason, [{ path: 'points', message: e.reason }]);
    case 'UnknownLot':
    case 'NothingToDo':
      return problem(c, 409, 'The redemption could not be applied.');
    default: {
      const _exhaustive: never = e;
      return _exhaustive;
    }
  }
}

export function loyaltyRoutes(
  app: Hono,
  deps: AppDeps,
  authenticate: Authenticate,
  extensions: LoyaltyRouteExtensions = {},
): void {
  const ledger: LedgerStore = loyaltyStore(deps.store);
  const secrets = loyaltySecretStore(deps.store);
  let secretCache: { at: number; secret: string | null } | null = null;
  const secret = async (): Promise<string | null> => {
    const t = Date.now();
    if (secretCache && t - secretCache.at < 5000) return secretCache.secret;
    secretCache = { at: t, secret: await secrets.get() };
    return secretCache.secret;
  };

  /** The customer the request's token names (resolved to the surviving Patron id), or a 401/404. */
  async function customer(
    c: Context,
  ): Promise<{ ok: true; customerId: string } | { ok: false; response: Response }> {
    const header = c.req.header('authorization') ?? '';
    const token = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : '';
    const challenge = { 'www-authenticate': 'Bearer realm="patron-loyalty"' };
    if (!token) {
      return {
        ok: false,
        response: problem(
          c,
          401,
          'A customer token is required: Authorization: Bearer <token>.',
          undefined,
          challenge,
        ),
      };
    }
    const key = await secret();
    if (!key)
      return {
        ok: false,
        response: problem(
          c,
          401,
          'The store has no loyalty secret yet; no token can be valid.',
          undefined,
          challenge,
        ),
      };
    const v = verifyCustomerToken(key, token, deps.now());
    if (!v.ok) {
      const detail =
        v.error.type === 'TokenExpired'
          ? `The customer token expired at ${v.error.expiredAt}; ask the store for a new one.`
          : v.error.type === 'TokenInvalid'
            ? `The customer token is not valid: ${v.error.reason}.`
            : 'A customer token is required.';
      return { ok: false, response: problem(c, 401, detail, undefined, challenge) };
    }
    const customerId = await ledger.customerIdFor(v.value.subject);
    if (!customerId)
      return { ok: false, response: problem(c, 404, `No customer "${v.value.subject}" in this store.`) };
    return { ok: true, customerId };
  }

  app.get('/v1/loyalty/me', async (c) => {
    const who = await customer(c);
    if (!who.ok) return who.response;
    const now = deps.now();
    const balance = memberBalance(ledger, who.customerId, now.toISOString());
    const [b, ...sections] = await Promise.all([
      balance,
      ...(extensions.meSections ?? []).map((f) => f(who.customerId, balance, now)),
    ]);
    return c.json(Object.assign({ ...b }, ...sections));
  });

  app.get('/v1/loyalty/me/history', async (c) => {
    const who = await customer(c);
    if (!who.ok) return who.response;
    const limit = Math.min(200, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    const entries = await ledger.history(who.customerId, limit);
    return c.json({
      entries: entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        points: e.points,
        at: e.createdAt,
        effectiveAt: e.effectiveAt,
        orderId: e.orderId,
        lineNo: e.lineNo,
        rule: e.rule,
        programmeVersion: e.configVersion,
        explanation: e.explanation,
      })),
    });
  });

  app.post('/v1/loyalty/me/redemptions', async (c) => {
    const who = await customer(c);
    if (!who.ok) return who.response;
    const key = c.req.header('idempotency-key');
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      return problem(c, 400, 'An Idempotency-Key header (1–255 visible ASCII characters) is required.', [
        { path: 'Idempotency-Key', message: 'required' },
      ]);
    }
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const body = redemptionBody.safeParse(parsed.body);
    if (!body.success)
      return problem(
        c,
        400,
        'The redemption is invalid; nothing was redeemed.',
        fieldIssues(body.error, '(body)'),
      );
    let reward: RedemptionReward | undefined;
    if (body.data.rewardId !== undefined) {
      const r = extensions.rewardFor?.(body.data.rewardId) ?? null;
      if (!r) return problem(c, 404, `No reward "${body.data.rewardId}".`);
      reward = r;
    }
    const r = await redeemPoints(ledger, ledgerIds, {
      customerId: who.customerId,
      ...(body.data.points !== undefined ? { points: body.data.points } : {}),
      ...(reward ? { reward } : {}),
      now: deps.now().toISOString(),
      idempotency: { key, requestHash: requestHash(body.data) },
    });
    if (!r.ok) return redeemProblem(c, r.error);
    const { replayed, ...receipt } = r.value;
    return c.json(receipt, 201, replayed ? { 'idempotent-replayed': 'true' } : {});
  });

  // ---------------------------------------------------------------- admin

  app.get('/v1/loyalty/config', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const now = deps.now().toISOString();
    return c.json({ active: await ledger.activeConfig(now), versions: await ledger.configVersions() });
  });

  app.post('/v1/loyalty/config', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    if (!isObject(parsed.body))
      return problem(c, 400, 'The body must be a JSON object: the new configuration.');
    const { note, activateAt, ...changes } = parsed.body;
    const now = deps.now().toISOString();
    const active = await ledger.activeConfig(now);
    // Fields not given keep their value in the active version (a shallow merge).
    const candidate = programmeConfigSchema.safeParse({ ...active.config, ...changes });
    if (!candidate.success)
      return problem(
        c,
        400,
        'The configuration is invalid; nothing changed.',
        fieldIssues(candidate.error, '(body)'),
      );
    if (
      activateAt !== undefined &&
      (typeof activateAt !== 'string' || Number.isNaN(Date.parse(activateAt)))
    ) {
      return problem(c, 400, 'activateAt must be an ISO 8601 instant.', [
        { path: 'activateAt', message: 'not a date' },
      ]);
    }
    const version = await ledger.activateConfig({
      config: candidate.data,
      now,
      by: auth.key.name,
      ...(typeof note === 'string' ? { note } : {}),
      ...(typeof activateAt === 'string' ? { activateAt: new Date(activateAt).toISOString() } : {}),
    });
    return c.json(version, 201);
  });

  app.post('/v1/loyalty/adjustments', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const key = c.req.header('idempotency-key');
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      return problem(c, 400, 'An Idempotency-Key header is required.', [
        { path: 'Idempotency-Key', message: 'required' },
      ]);
    }
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const body = adjustmentBody.safeParse(parsed.body);
    if (!body.success)
      return problem(
        c,
        400,
        'The adjustment is invalid; nothing changed.',
        fieldIssues(body.error, '(body)'),
      );
    const customerId = await ledger.customerIdFor(body.data.customerId);
    if (!customerId) return problem(c, 404, `No customer "${body.data.customerId}".`);
    const r = await adjustPoints(ledger, ledgerIds, {
      customerId,
      points: body.data.points,
      reason: body.data.reason,
      by: auth.key.name,
      now: deps.now().toISOString(),
      idempotency: { key, requestHash: requestHash(body.data) },
    });
    if (!r.ok) return redeemProblem(c, r.error);
    return c.json(r.value, 201);
  });

  app.get('/v1/loyalty/reconciliation', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    return c.json(await ledger.reconcile());
  });

  app.get('/v1/loyalty/members/:id', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const customerId = await ledger.customerIdFor(c.req.param('id'));
    if (!customerId) return problem(c, 404, `No customer "${c.req.param('id')}".`);
    const now = deps.now().toISOString();
    return c.json({
      ...(await memberBalance(ledger, customerId, now)),
      entries: await ledger.history(customerId, 100),
    });
  });

  app.post('/v1/loyalty/tokens', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const body = tokenBody.safeParse(parsed.body);
    if (!body.success)
      return problem(c, 400, 'The token request is invalid.', fieldIssues(body.error, '(body)'));
    const now = deps.now();
    const key = await secrets.getOrCreate(now.toISOString(), newLoyaltySecret);
    secretCache = null;
    return c.json(
      signCustomerToken(key, { subject: body.data.customerId, now, ttlSeconds: body.data.ttlSeconds ?? 900 }),
      201,
    );
  });

  app.post('/v1/loyalty/run', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const events = await processLoyaltyEvents(ledger, loyaltyEventSource(deps.store), ledgerIds, {
      now: deps.now,
      ...(extensions.hooks ? { hooks: extensions.hooks } : {}),
    });
    const jobs = await runLedgerJobs(ledger, ledgerIds, deps.now().toISOString());
    return c.json({ events, jobs });
  });
}
