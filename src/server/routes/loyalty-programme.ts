/**
 * The loyalty programme's HTTP API around the ledger: the rewards catalog, tier configuration
 * and what-if, referral attribution, abuse flags, and one member's programme view (admin).
 * Problem details for every refusal, naming the field.
 */
import type { Context, Hono } from 'hono';
import { programmeHealth, whatIf } from '../../app/loyalty-health.js';
import { memberBalance } from '../../app/loyalty-ledger.js';
import {
  attributeReferral,
  checkSettings,
  createReward,
  memberProgramme,
  syncTierMultipliers,
  updateReward,
  type CatalogError,
} from '../../app/loyalty-programme.js';
import { tierConfigSchema } from '../../domain/loyalty/tiers.js';
import { catalogReward, ledgerFigures, programmeHooks } from '../../store/loyalty-programme-ledger.js';
import { programmeStore } from '../../store/loyalty-programme-repository.js';
import { loyaltyStore } from '../../store/loyalty-repository.js';
import type { AppDeps } from '../app.js';
import type { LoyaltyRouteExtensions } from './loyalty.js';
import { problem } from '../errors.js';
import { isObject, readJson, type Authenticate } from '../http.js';
import { fieldIssues } from '../../domain/field-issues.js';

function catalogProblem(c: Context, e: CatalogError): Response {
  if (e.type === 'UnknownReward') return problem(c, 404, `No reward "${e.id}".`);
  return problem(c, 400, 'The reward is invalid; nothing was saved.', e.errors);
}

/**
 * What the programme plugs into the ledger's loyalty API: catalog rewards for
 * `POST /v1/loyalty/me/redemptions {"rewardId"}`, the programme's fields of `GET /v1/loyalty/me`
 * (tier, tierProgress, challenges, suggestedRewards, referralCode), and the tier for earn multipliers.
 */
export function loyaltyProgrammeExtensions(deps: AppDeps): LoyaltyRouteExtensions {
  const ps = programmeStore(deps.store);
  return {
    rewardFor: (rewardId) => catalogReward(deps.store.dialect, rewardId, deps.now().toISOString()),
    meSections: [
      async (customerId, balance, now) => ({
        ...(await memberProgramme(ps, {
          customerId,
          available: balance.then((b) => b.available),
          now: now.toISOString(),
        })),
      }),
    ],
    hooks: programmeHooks(deps.store),
  };
}

export function loyaltyProgrammeRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  const ps = programmeStore(deps.store);
  const now = () => deps.now().toISOString();

  app.get('/v1/loyalty/rewards', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    return c.json({ rewards: await ps.rewards() });
  });

  app.post('/v1/loyalty/rewards', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const r = await createReward(ps, body.body, now());
    return r.ok ? c.json(r.value, 201) : catalogProblem(c, r.error);
  });

  app.patch('/v1/loyalty/rewards/:id', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const r = await updateReward(ps, c.req.param('id'), body.body, now());
    return r.ok ? c.json(r.value) : catalogProblem(c, r.error);
  });

  app.get('/v1/loyalty/tiers', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const s = await ps.settings();
    return c.json({ config: s.tiers, members: await ps.tierCounts() });
  });

  app.put('/v1/loyalty/tiers', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const body = await readJson(c);
    if (!body.ok) return body.response;
    if (!isObject(body.body)) return problem(c, 400, 'The tier configuration must be a JSON object.');
    const s = await ps.settings();
    const parsed = tierConfigSchema.safeParse({ ...s.tiers, ...body.body });
    if (!parsed.success)
      return problem(
        c,
        400,
        'The tier configuration is invalid; nothing was saved.',
        fieldIssues(parsed.error),
      );
    const next = { ...s, tiers: parsed.data };
    const problems = checkSettings(next);
    if (problems.length > 0)
      return problem(c, 400, 'The tier configuration is invalid; nothing was saved.', problems);
    await ps.saveSettings(next, now());
    const version = await syncTierMultipliers(loyaltyStore(deps.store), next.tiers, now());
    return c.json({ config: next.tiers, ledgerVersion: version });
  });

  app.post('/v1/loyalty/tiers/whatif', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const body = await readJson(c);
    if (!body.ok) return body.response;
    if (!isObject(body.body)) return problem(c, 400, 'Send {"thresholds": {"silver": 300, …}}.');
    const r = await whatIf(ps, { thresholds: body.body.thresholds, now: now() });
    if (!r.ok) return problem(c, 400, 'The proposed thresholds are invalid.', r.error.errors);
    return c.json(r.value);
  });

  app.post('/v1/loyalty/referrals', async (c) => {
    const auth = await authenticate(c, 'ingest');
    if (!auth.ok) return auth.response;
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const b = body.body;
    const errors: Array<{ path: string; message: string }> = [];
    if (!isObject(b)) return problem(c, 400, 'Send {"code": "ANNA-7K2MQX", "customer": "<userId>"}.');
    if (typeof b.code !== 'string' || b.code.trim() === '')
      errors.push({ path: 'code', message: 'must be the referral code the customer used' });
    if (typeof b.customer !== 'string' || b.customer === '')
      errors.push({ path: 'customer', message: 'must be the referred customer’s userId or cus_ id' });
    if (b.at !== undefined && (typeof b.at !== 'string' || Number.isNaN(Date.parse(b.at))))
      errors.push({ path: 'at', message: 'must be an ISO 8601 time' });
    if (errors.length > 0) return problem(c, 400, 'The referral is invalid; nothing was stored.', errors);
    const at = typeof b.at === 'string' ? new Date(Date.parse(b.at)).toISOString() : now();
    const r = await attributeReferral(ps, {
      code: b.code as string,
      referee: b.customer as string,
      at,
      now: now(),
    });
    if (!r.ok)
      return r.error.type === 'UnknownReferralCode'
        ? problem(c, 422, `No member has the referral code "${r.error.code}".`, [
            { path: 'code', message: 'unknown referral code' },
          ])
        : problem(c, 422, `No customer "${r.error.customer}".`, [
            { path: 'customer', message: 'unknown customer' },
          ]);
    const { new: isNew, ...referral } = r.value;
    return c.json(referral, isNew ? 201 : 200);
  });

  app.get('/v1/loyalty/health', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    return c.json(await programmeHealth(ps, ledgerFigures(deps.store), now()));
  });

  app.get('/v1/loyalty/members/:id/programme', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    const id = await ps.customerIdFor(c.req.param('id'));
    if (!id) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    const balance = await memberBalance(loyaltyStore(deps.store), id, now());
    return c.json({
      customerId: id,
      ...(await memberProgramme(ps, { customerId: id, available: balance.available, now: now() })),
    });
  });

  app.get('/v1/loyalty/flags', async (c) => {
    const auth = await authenticate(c, 'admin');
    if (!auth.ok) return auth.response;
    return c.json({ flags: await ps.flags(c.req.query('customer') ?? null) });
  });
}
