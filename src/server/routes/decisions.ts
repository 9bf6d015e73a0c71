/**
 * Decisions: a customer's stored decisions (inputs, candidates, scores, reason, guardrail
 * verdict), the live next best action, and the tasks for people the policy opened.
 */
import type { Hono } from 'hono';
import { nextBestAction, type DecideDeps, type DecisionRow } from '../../app/decide.js';
import { isInGlobalControl } from '../../app/experiments.js';
import { resolveCustomerId } from '../../store/customer-id.js';
import { decisionRepository, loadDecisioningConfig } from '../../store/decision-repository.js';
import { loadDecisionStates } from '../../app/decision-states.js';
import type { Tx } from '../../store/transaction.js';
import type { AppDeps } from '../app.js';
import { problem } from '../errors.js';
import type { Authenticate } from '../http.js';

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export function toDecisionView(d: DecisionRow) {
  return {
    id: d.id,
    customerId: d.customer_id,
    decidedAt: d.decided_at,
    trigger: parse(d.trigger),
    segment: d.segment,
    inputs: parse(d.inputs),
    candidates: parse(d.candidates),
    chosenAction: d.chosen_action,
    reason: d.reason,
    status: d.status,
    guardrail: parse(d.guardrail),
    idempotencyKey: d.idempotency_key,
    channel: d.channel,
    expectedValue: d.value,
    incentiveMinor: d.incentive_minor,
    sendAt: d.send_at,
    messageId: d.message_id,
    outcome: d.responded === null ? null : { responded: d.responded === 1, observedAt: d.outcome_at },
  };
}

function limitOf(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : null;
}

export function decisionRoutes(app: Hono, deps: AppDeps, authenticate: Authenticate): void {
  const repo = decisionRepository(deps.store);
  let config: Awaited<ReturnType<typeof loadDecisioningConfig>> | null = null;
  const decideDeps = async (): Promise<DecideDeps<Tx>> => {
    config ??= await loadDecisioningConfig(deps.store);
    return {
      loadStates: (o) => loadDecisionStates(deps.store, o),
      decisions: repo,
      isInGlobalControl: (id) => isInGlobalControl(id),
      config,
    };
  };

  app.get('/v1/customers/:id/decisions', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const limit = limitOf(c.req.query('limit'), 50);
    if (limit === null)
      return problem(c, 400, 'Bad query.', [
        { path: 'limit', message: 'must be a whole number from 1 to 500' },
      ]);
    const id = await resolveCustomerId(deps.store.db, c.req.param('id'));
    if (!id) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    const rows = await repo.list(id, limit);
    return c.json({ customerId: id, decisions: rows.map(toDecisionView) });
  });

  app.get('/v1/customers/:id/next-best-action', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const id = await resolveCustomerId(deps.store.db, c.req.param('id'));
    if (!id) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    const nba = await nextBestAction(await decideDeps(), id, deps.now());
    if (!nba) return problem(c, 404, `No customer with id or userId "${c.req.param('id')}".`);
    return c.json(nba);
  });

  app.get('/v1/tasks', async (c) => {
    const auth = await authenticate(c, 'read');
    if (!auth.ok) return auth.response;
    const status = c.req.query('status');
    if (status !== undefined && status !== 'open' && status !== 'done') {
      return problem(c, 400, 'Bad query.', [{ path: 'status', message: 'must be "open" or "done"' }]);
    }
    const limit = limitOf(c.req.query('limit'), 100);
    if (limit === null)
      return problem(c, 400, 'Bad query.', [
        { path: 'limit', message: 'must be a whole number from 1 to 500' },
      ]);
    const tasks = await repo.tasks({ ...(status ? { status } : {}), limit });
    return c.json({
      tasks: tasks.map((t) => ({
        id: t.id,
        customerId: t.customer_id,
        decisionId: t.decision_id,
        action: t.action_id,
        reasons: JSON.parse(t.reasons) as string[],
        valueAtStakeMinor: t.value_at_stake_minor,
        status: t.status,
        createdAt: t.created_at,
      })),
    });
  });
}
