/**
 * The decisioning engine's wiring to the outbox and the experiments module (the outbox
 * engineer's contracts in app/outbox.ts and app/experiments.ts): messages are enqueued exactly
 * once per idempotency key in the decisions' own transaction, displaced ones are deferred or
 * cancelled in the outbox, and every journey has a holdout experiment whose exposures are
 * recorded beside the decision.
 */
import type { Store } from '../store/database.js';
import type { Tx } from '../store/transaction.js';
import { writeTransaction } from '../store/transaction.js';
import type { DecisioningConfig } from '../domain/decisioning/plan.js';
import type { Recommendation } from '../domain/decisioning/state.js';
import type { DecideDeps, Exposure, OutgoingMessage } from './decide.js';
import {
  assignArm,
  defineExperiment,
  DEFAULT_GLOBAL_CONTROL_FRACTION,
  GLOBAL_CONTROL_EXPERIMENT_ID,
  isInGlobalControl,
  loadExperiment,
  recordExposure,
  type Experiment,
} from './experiments.js';
import {
  cancelMessage,
  deferMessage,
  enqueueMessage,
  MESSAGE_TEMPLATES,
  type EnqueueMessageInput,
  type MessageChannel,
  type TemplateId,
} from './outbox.js';
import { messageRecommendations } from './personalize.js';

const TEMPLATES = new Set<string>(MESSAGE_TEMPLATES);

/** The outbox message for a decision's outgoing message. */
export function toOutboxInput(
  m: OutgoingMessage,
  arm?: { experimentId: string; variant: string },
): EnqueueMessageInput {
  if (!TEMPLATES.has(m.template))
    throw new Error(`action ${m.actionId}: template "${m.template}" is not an outbox template`);
  const data = m.data as {
    trigger?: Record<string, unknown>;
    incentivePercent?: number;
    incentiveMinor?: number;
    reasons?: string[];
    recommendations?: Recommendation[];
  };
  const orderId = typeof data.trigger?.orderId === 'string' ? data.trigger.orderId : undefined;
  return {
    idempotencyKey: m.idempotencyKey,
    customerId: m.customerId,
    channel: m.channel as MessageChannel,
    purpose: m.consentPurpose === 'transactional' ? 'transactional' : 'marketing',
    actionId: m.actionId,
    templateId: m.template as TemplateId,
    notBefore: m.sendAt,
    valueMinor: m.valueMinor,
    decisionId: m.decisionId,
    variables: {
      ...(orderId ? { order: { id: orderId } } : {}),
      ...(data.incentivePercent
        ? {
            offer: {
              description: `${data.incentivePercent} % off your next order`,
              percentOff: data.incentivePercent,
              ...(data.incentiveMinor ? { valueMinor: data.incentiveMinor } : {}),
            },
          }
        : {}),
      ...(data.reasons && data.reasons.length > 0 ? { reasons: data.reasons } : {}),
      ...(data.recommendations && data.recommendations.length > 0
        ? { recommendations: messageRecommendations(data.recommendations) }
        : {}),
    },
    ...(arm ? { experimentId: arm.experimentId, variant: arm.variant } : {}),
  };
}

export interface WiringOptions {
  readonly globalControlFraction?: number;
  /**
   * Overrides of the store's `config.experiments` (share of each journey held out, attribution
   * window, retained days); absent, the store's settings decide.
   */
  readonly journeyHoldout?: number;
  readonly windowDays?: number;
  readonly retainedDays?: number;
  readonly now: Date;
}

export const journeyExperimentId = (purpose: string): string => `exp_journey_${purpose}`;

/**
 * Defines the global control and one holdout experiment per marketing journey of the catalog
 * (idempotent: an existing experiment keeps its definition) and returns the outbox and holdout
 * ports of the decide use case.
 */
export async function outboxWiring(
  store: Store,
  config: DecisioningConfig,
  options: WiringOptions,
): Promise<Pick<DecideDeps<Tx>, 'outbox' | 'holdouts' | 'isInGlobalControl'>> {
  const fraction = options.globalControlFraction ?? DEFAULT_GLOBAL_CONTROL_FRACTION;
  const holdout = options.journeyHoldout ?? config.experiments.journeyHoldout;
  const windowDays = options.windowDays ?? config.experiments.windowDays;
  const retainedDays = options.retainedDays ?? config.experiments.retainedDays ?? undefined;
  const purposes = [
    ...new Set(config.catalog.filter((a) => a.consentPurpose === 'marketing').map((a) => a.purpose)),
  ];
  const experiments = new Map<string, Experiment>();
  await writeTransaction(store, async (tx) => {
    await defineExperiment(
      tx,
      {
        id: GLOBAL_CONTROL_EXPERIMENT_ID,
        name: 'Global control group',
        kind: 'global_control',
        holdout: fraction,
        windowDays,
        ...(retainedDays !== undefined ? { retainedDays } : {}),
      },
      options.now,
    );
    if (holdout <= 0) return;
    for (const p of purposes) {
      const e = await defineExperiment(
        tx,
        {
          id: journeyExperimentId(p),
          name: `Journey holdout: ${p}`,
          kind: 'holdout',
          holdout,
          windowDays,
          ...(retainedDays !== undefined ? { retainedDays } : {}),
        },
        options.now,
      );
      experiments.set(p, e);
    }
  });
  for (const [p, e] of experiments) {
    const stored = await loadExperiment(store.db, e.id);
    if (stored) experiments.set(p, stored);
  }
  return {
    isInGlobalControl: (id) => isInGlobalControl(id, fraction),
    outbox: {
      async enqueue(tx, messages, now) {
        for (const m of messages) {
          const e = experiments.get(m.purpose);
          const arm =
            e && e.status === 'running'
              ? { experimentId: e.id, variant: assignArm(e, m.customerId) }
              : undefined;
          const out = await enqueueMessage(tx, toOutboxInput(m, arm), now, {
            globalControlFraction: fraction,
          });
          if (out.type !== 'held_out') {
            await tx
              .updateTable('decisions')
              .set({ message_id: out.messageId })
              .where('id', '=', m.decisionId)
              .execute();
          }
        }
      },
      async move(tx, moves, now) {
        for (const mv of moves) {
          const msg = await tx
            .selectFrom('outbox_messages')
            .select('id')
            .where('idempotency_key', '=', mv.idempotencyKey)
            .executeTakeFirst();
          if (!msg) continue;
          if (mv.sendAt === null) await cancelMessage(tx, msg.id, `displaced by ${mv.by}`, now);
          else await deferMessage(tx, msg.id, mv.sendAt, now);
        }
      },
    },
    holdouts: {
      armOf(purpose, customerId) {
        const e = experiments.get(purpose);
        if (!e || e.status !== 'running') return null;
        return { experimentId: e.id, variant: assignArm(e, customerId) };
      },
      async expose(tx, exposures: readonly Exposure[]) {
        for (const x of exposures) {
          await recordExposure(tx, {
            experimentId: x.experimentId,
            customerId: x.customerId,
            variant: x.variant,
            at: x.at,
            atRisk: x.atRisk,
          });
        }
      },
    },
  };
}
