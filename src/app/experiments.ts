/**
 * Experiments as the engine uses them: define one (idempotent), assign a customer to an arm
 * (deterministic hash for holdouts and A/B variants; Thompson sampling among bandit arms, after
 * the deterministic holdout), and record the exposure — the first time the customer met the
 * experiment, for treated and control customers alike (a control customer is "exposed" when the
 * trigger fired and the message was withheld). Reports are in `experiment-report.ts`.
 *
 * Contract for the decisioning engine:
 * - `isInGlobalControl(customerId)` (re-exported from the pure core): no marketing to these.
 * - `assignArm(experiment, customerId, random?)` → the arm; "control" means withhold the message.
 * - `recordExposure(tx, …)` once the decision is made (in the same transaction as the message);
 *   a second call for the same (experiment, customer) keeps the first exposure and returns its arm,
 *   so a customer never changes arm.
 */
import { z } from 'zod';
import {
  assignVariant,
  CONTROL,
  DEFAULT_GLOBAL_CONTROL_FRACTION,
  isInGlobalControl,
} from '../domain/experiments/assignment.js';
import { thompsonChoose, type ArmPosterior } from '../domain/experiments/bandit.js';
import type { Random } from '../domain/random.js';
import type { Tx } from '../store/transaction.js';

export {
  isInGlobalControl,
  CONTROL,
  DEFAULT_GLOBAL_CONTROL_FRACTION,
} from '../domain/experiments/assignment.js';
import { fieldIssues } from '../domain/field-issues.js';

export const GLOBAL_CONTROL_EXPERIMENT_ID = 'exp_global_control';

export const experimentDefinition = z
  .object({
    id: z.string().regex(/^exp_[A-Za-z0-9_-]+$/, { message: 'must look like exp_<name>' }),
    name: z.string().min(1),
    /** holdout: one treatment vs control; ab: variants (+ optional holdout); bandit: Thompson among arms. */
    kind: z.enum(['holdout', 'ab', 'bandit', 'global_control']),
    /** Share held out as "control" (no message), 0 to 1. */
    holdout: z.number().min(0).max(1),
    variants: z
      .array(
        z.object({
          name: z
            .string()
            .min(1)
            .refine((n) => n !== CONTROL, { message: '"control" is reserved' }),
          weight: z.number().positive().default(1),
        }),
      )
      .default([{ name: 'treatment', weight: 1 }]),
    /** Outcomes within this many days after the exposure are attributed to it. */
    windowDays: z.number().int().positive().default(30),
    /**
     * A customer counts as retained (not churned) when they order in the last `retainedDays` of
     * the window. Default: the second half of the window. Set the window to the horizon the
     * journey acts on plus the store's churn window, and this to the churn window.
     */
    retainedDays: z.number().int().positive().optional(),
    /** Cost of one treated exposure (message + incentive) in minor units, for ROI. */
    costPerTreatedMinor: z.number().int().min(0).default(0),
    /** Gross margin on revenue, 0 to 1, for ROI. */
    margin: z.number().min(0).max(1).default(0.3),
    /** What a bandit rewards: a purchase in the window, or a redemption (an order with a coupon). */
    banditReward: z.enum(['purchase', 'redemption']).default('purchase'),
  })
  .superRefine((e, ctx) => {
    if (e.retainedDays !== undefined && e.retainedDays > e.windowDays)
      ctx.addIssue({
        code: 'custom',
        path: ['retainedDays'],
        message: `must be at most windowDays (${e.windowDays})`,
      });
    const names = new Set(e.variants.map((v) => v.name));
    if (names.size !== e.variants.length)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant names must be unique' });
    if (e.kind === 'holdout' && e.variants.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['variants'],
        message: 'a holdout experiment has exactly one variant',
      });
    if ((e.kind === 'ab' || e.kind === 'bandit') && e.variants.length < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['variants'],
        message: `an ${e.kind} experiment needs at least two variants`,
      });
    if (e.kind === 'holdout' && e.holdout === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['holdout'],
        message: 'a holdout experiment needs a holdout share above 0',
      });
  });
export type ExperimentDefinitionInput = z.input<typeof experimentDefinition>;
export type Experiment = z.infer<typeof experimentDefinition> & { readonly status: 'running' | 'stopped' };

export class InvalidExperimentError extends Error {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(`invalid experiment: ${issues.map((i) => `${i.path || '(experiment)'}: ${i.message}`).join('; ')}`);
  }
}

export function parseExperiment(input: ExperimentDefinitionInput): z.infer<typeof experimentDefinition> {
  const parsed = experimentDefinition.safeParse(input);
  if (!parsed.success) {
    throw new InvalidExperimentError(fieldIssues(parsed.error));
  }
  return parsed.data;
}

/**
 * Creates the experiment if no experiment has its id; an existing one is left as it is (its
 * assignment must not change under running customers) and returned.
 */
export async function defineExperiment(
  db: Tx,
  input: ExperimentDefinitionInput,
  now: Date,
): Promise<Experiment> {
  const e = parseExperiment(input);
  const at = now.toISOString();
  const { id, name, kind, holdout, variants, windowDays, ...config } = e;
  await db
    .insertInto('experiments')
    .values({
      id,
      name,
      kind,
      status: 'running',
      holdout,
      variants: JSON.stringify(variants),
      window_days: windowDays,
      config: JSON.stringify(config),
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return (await loadExperiment(db, id)) as Experiment;
}

/**
 * The store-wide global control experiment (`exp_global_control`): arm "control" is the global
 * control group (`isInGlobalControl`), "treatment" everyone else. Created on first use.
 */
export async function ensureGlobalControlExperiment(
  db: Tx,
  now: Date,
  fraction: number = DEFAULT_GLOBAL_CONTROL_FRACTION,
): Promise<Experiment> {
  return defineExperiment(
    db,
    {
      id: GLOBAL_CONTROL_EXPERIMENT_ID,
      name: 'Global control group (no marketing)',
      kind: 'global_control',
      holdout: fraction,
      windowDays: 30,
    },
    now,
  );
}

/** Reads an experiment, or null. */
export async function loadExperiment(db: Tx, id: string): Promise<Experiment | null> {
  const r = await db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return null;
  const config = JSON.parse(r.config) as Record<string, unknown>;
  return {
    ...experimentDefinition.parse({
      ...config,
      id: r.id,
      name: r.name,
      kind: r.kind,
      holdout: r.holdout,
      variants: JSON.parse(r.variants),
      windowDays: r.window_days,
    }),
    status: r.status === 'stopped' ? 'stopped' : 'running',
  };
}

/**
 * The arm for a customer. Holdouts and A/B variants: a pure hash of (experiment, customer).
 * Bandits: the holdout share is hashed the same way; treated customers get the arm Thompson
 * sampling picks from `posteriors` with the caller's seeded `random` (a new customer only — a
 * customer already exposed keeps their arm: `recordExposure` returns it).
 */
export function assignArm(
  experiment: Pick<Experiment, 'id' | 'kind' | 'holdout' | 'variants'>,
  customerId: string,
  bandit?: { readonly posteriors: readonly ArmPosterior[]; readonly random: Random },
): string {
  if (experiment.kind === 'global_control') {
    return isInGlobalControl(customerId, experiment.holdout)
      ? CONTROL
      : (experiment.variants[0]?.name ?? 'treatment');
  }
  const spec = { salt: experiment.id, holdout: experiment.holdout, variants: experiment.variants };
  const hashed = assignVariant(spec, customerId);
  if (experiment.kind !== 'bandit' || hashed === CONTROL) return hashed;
  if (!bandit)
    throw new Error(
      `experiment ${experiment.id} is a bandit: pass its posteriors and a seeded random source`,
    );
  const known = new Map(bandit.posteriors.map((p) => [p.arm, p]));
  const arms = experiment.variants.map((v) => known.get(v.name) ?? { arm: v.name, pulls: 0, successes: 0 });
  return thompsonChoose(arms, bandit.random);
}

/** The current Beta-Bernoulli posteriors (pulls, successes) of a bandit's arms. */
export async function banditPosteriors(db: Tx, experimentId: string): Promise<ArmPosterior[]> {
  const rows = await db
    .selectFrom('bandit_arms')
    .selectAll()
    .where('experiment_id', '=', experimentId)
    .execute();
  return rows.map((r) => ({ arm: r.arm, pulls: r.pulls, successes: r.successes }));
}

export interface ExposureInput {
  readonly experimentId: string;
  readonly customerId: string;
  readonly variant: string;
  /** ISO 8601 time of the decision; outcomes in [at, at + window) are attributed to it. */
  readonly at: string;
  /** Whether the customer was at risk of churning then (for the save rate). */
  readonly atRisk?: boolean;
  /** The outbox message that carried the treatment, if any. */
  readonly messageId?: string | null;
}

/**
 * Records the customer's first exposure to the experiment; later calls change nothing and return
 * the arm of the first one (so a retry or a second trigger never moves a customer between arms).
 */
export async function recordExposure(db: Tx, e: ExposureInput): Promise<{ variant: string; first: boolean }> {
  const inserted = await db
    .insertInto('experiment_exposures')
    .values({
      experiment_id: e.experimentId,
      customer_id: e.customerId,
      variant: e.variant,
      exposed_at: new Date(e.at).toISOString(),
      at_risk: e.atRisk ? 1 : 0,
      message_id: e.messageId ?? null,
    })
    .onConflict((oc) => oc.columns(['experiment_id', 'customer_id']).doNothing())
    .returning('variant')
    .executeTakeFirst();
  if (inserted) return { variant: inserted.variant, first: true };
  const r = await db
    .selectFrom('experiment_exposures')
    .select('variant')
    .where('experiment_id', '=', e.experimentId)
    .where('customer_id', '=', e.customerId)
    .executeTakeFirstOrThrow();
  return { variant: r.variant, first: false };
}
