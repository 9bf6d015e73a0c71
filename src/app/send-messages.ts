/**
 * The sender worker: claims due messages from the outbox, renders, sends through the message's
 * channel, records the attempt, and retries with backoff or dead-letters. Many workers can run at
 * once (PostgreSQL: the claim is `FOR UPDATE SKIP LOCKED`; SQLite: a lease column under the single
 * writer). A worker that dies leaves its messages leased; the lease expires and another worker (or
 * the same one restarted) takes them over.
 *
 * What is guaranteed (and what cannot be):
 * - A message is never lost: it stays `queued` until a send was acknowledged, or it is dead-lettered
 *   (`dead`, with every attempt recorded) after `maxAttempts` or a permanent failure.
 * - A message is marked `sent` immediately after the channel acknowledges it, in one transaction
 *   with its attempt record. Two workers never hold one message at the same time while the lease
 *   holds; the lease (`leaseMs`) must outlast the sends of one claimed batch (checked at start-up).
 * - Exactly once *at the receiver* is impossible in general: if the process dies after the SMTP
 *   server's "250 OK" and before the commit, the message is sent again after the lease expires.
 *   It then carries the same `Message-ID` (email) / `Idempotency-Key` (webhook), derived from the
 *   idempotency key, so the receiver can drop it. Such a message shows as an attempt with no
 *   recorded outcome (`attempts` > recorded attempts) — only those can have been duplicated.
 */
import { randomBytes } from 'node:crypto';
import { afterFailure, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/messaging/retry.js';
import type { MessageChannel, OutboxMessage, TemplateId, MessageVariables } from './outbox.js';
import { stableMessageId } from './outbox.js';

/** A message rendered for its channel. */
export interface RenderedContent {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** One or two sentences for SMS and push. */
  readonly short: string;
}

/** What a channel is given to send. */
export interface OutgoingMessage {
  /** The outbox id (`msg_…`). */
  readonly id: string;
  /** Stable across attempts: the email Message-ID, the webhook Idempotency-Key. */
  readonly stableId: string;
  readonly customerId: string;
  readonly channel: MessageChannel;
  readonly purpose: OutboxMessage['purpose'];
  readonly actionId: string;
  readonly templateId: TemplateId;
  readonly to: { readonly email: string | null; readonly phone: string | null };
  readonly content: RenderedContent;
  readonly unsubscribeUrl: string | null;
  readonly variables: MessageVariables;
}

export type SendOutcome =
  | { readonly type: 'sent'; readonly providerId: string | null }
  | { readonly type: 'failed'; readonly retryable: boolean; readonly error: string };

/** One way out (src/channels/): SMTP email, a signed webhook, files for the demo. */
export interface Channel {
  readonly name: string;
  send(message: OutgoingMessage, signal: AbortSignal): Promise<SendOutcome>;
  close?(): Promise<void>;
}

/** Renders a template for a channel; throws on a template error (a permanent failure). */
export interface Renderer {
  render(
    templateId: TemplateId,
    variables: MessageVariables,
    extra: { readonly unsubscribeUrl: string | null },
  ): Promise<RenderedContent>;
}

/** A claimed message with what sending needs about its customer. */
export interface ClaimedMessage extends OutboxMessage {
  readonly email: string | null;
  readonly phone: string | null;
  /** The customer withdrew consent for this channel and purpose. */
  readonly consentWithdrawn: boolean;
}

export interface AttemptRecord {
  readonly messageId: string;
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: 'sent' | 'retry' | 'dead' | 'suppressed';
  readonly error: string | null;
}

/** What the worker needs from storage (src/store/outbox-repository.ts). */
export interface OutboxWorkerStore {
  /** Leases up to `limit` due, unleased (or lease-expired) queued messages; counts the attempt. */
  claim(worker: string, limit: number, now: string, leaseUntil: string): Promise<ClaimedMessage[]>;
  markSent(m: ClaimedMessage, providerId: string | null, attempt: AttemptRecord): Promise<void>;
  markRetry(m: ClaimedMessage, nextAttemptAt: string, attempt: AttemptRecord): Promise<void>;
  markFinal(
    m: ClaimedMessage,
    status: 'dead' | 'suppressed',
    reason: string,
    attempt: AttemptRecord,
  ): Promise<void>;
}

export interface SenderOptions {
  /** Identifies the worker in leases and attempt records (default a random id). */
  readonly workerId?: string;
  /** Messages claimed per round trip. */
  readonly batchSize?: number;
  /** Sends in flight at once. */
  readonly concurrency?: number;
  /** A send that takes longer is abandoned (and retried). */
  readonly sendTimeoutMs?: number;
  /** How long a claim holds; must exceed the time one batch can take (checked). */
  readonly leaseMs?: number;
  readonly retry?: RetryPolicy;
  /** Builds the unsubscribe link of a marketing message; null for none. */
  readonly unsubscribeUrl?: (m: ClaimedMessage) => string | null;
  /** Domain of the Message-ID (`<hash@domain>`). */
  readonly messageIdDomain?: string;
  readonly now?: () => Date;
  /** Uniform [0, 1) draws for the backoff jitter. */
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export interface SenderDeps {
  readonly outbox: OutboxWorkerStore;
  readonly channels: Partial<Record<MessageChannel, Channel>>;
  readonly renderer: Renderer;
  /** Adds what is current at send time (name, points, tier, recommendations); app/personalize.ts. */
  readonly personalize?: (m: {
    readonly customerId: string;
    readonly templateId: TemplateId;
    readonly variables: MessageVariables;
  }) => Promise<MessageVariables>;
}

export interface SendSummary {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
  suppressed: number;
}

export class SenderConfigError extends Error {}

interface Resolved {
  workerId: string;
  batchSize: number;
  concurrency: number;
  sendTimeoutMs: number;
  leaseMs: number;
  retry: RetryPolicy;
  unsubscribeUrl: (m: ClaimedMessage) => string | null;
  messageIdDomain: string;
  now: () => Date;
  random: () => number;
  log: (line: string) => void;
}

export function resolveSenderOptions(o: SenderOptions = {}): Resolved {
  const r: Resolved = {
    workerId: o.workerId ?? `wrk_${randomBytes(6).toString('hex')}`,
    batchSize: o.batchSize ?? 64,
    concurrency: o.concurrency ?? 8,
    sendTimeoutMs: o.sendTimeoutMs ?? 30_000,
    leaseMs: o.leaseMs ?? 10 * 60_000,
    retry: o.retry ?? DEFAULT_RETRY_POLICY,
    unsubscribeUrl: o.unsubscribeUrl ?? (() => null),
    messageIdDomain: o.messageIdDomain ?? 'patron.local',
    now: o.now ?? (() => new Date()),
    random: o.random ?? Math.random,
    log: o.log ?? (() => {}),
  };
  if (!(r.batchSize >= 1 && r.concurrency >= 1))
    throw new SenderConfigError('batch size and concurrency must be at least 1');
  // The last message of a batch may wait for ceil(batch / concurrency) sends before it, each up to
  // the send timeout; the lease must outlast that, or a second worker could take it over mid-send.
  const worst = Math.ceil(r.batchSize / r.concurrency) * r.sendTimeoutMs;
  if (r.leaseMs < worst * 1.5) {
    throw new SenderConfigError(
      `lease ${r.leaseMs} ms is too short: a batch of ${r.batchSize} at concurrency ${r.concurrency} with a ${r.sendTimeoutMs} ms send timeout can take ${worst} ms; use a lease of at least ${Math.ceil(worst * 1.5)} ms`,
    );
  }
  return r;
}

/** Claims one batch of due messages and sends them; returns what happened. */
export async function sendDueMessages(deps: SenderDeps, options: SenderOptions = {}): Promise<SendSummary> {
  return sendBatch(deps, resolveSenderOptions(options));
}

async function sendBatch(deps: SenderDeps, o: Resolved): Promise<SendSummary> {
  const now = o.now();
  const claimed = await deps.outbox.claim(
    o.workerId,
    o.batchSize,
    now.toISOString(),
    new Date(now.getTime() + o.leaseMs).toISOString(),
  );
  const summary: SendSummary = { claimed: claimed.length, sent: 0, retried: 0, dead: 0, suppressed: 0 };
  let next = 0;
  const slot = async (): Promise<void> => {
    while (next < claimed.length) {
      const m = claimed[next++] as ClaimedMessage;
      const outcome = await sendOne(deps, o, m);
      summary[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, claimed.length) }, slot));
  return summary;
}

function addressFor(m: ClaimedMessage): string | null {
  if (m.channel === 'email') return m.email;
  if (m.channel === 'sms') return m.phone;
  return 'n/a';
}

async function sendOne(
  deps: SenderDeps,
  o: Resolved,
  m: ClaimedMessage,
): Promise<'sent' | 'retried' | 'dead' | 'suppressed'> {
  const startedAt = o.now().toISOString();
  const record = (outcome: AttemptRecord['outcome'], error: string | null): AttemptRecord => ({
    messageId: m.id,
    attempt: m.attempts,
    worker: o.workerId,
    startedAt,
    finishedAt: o.now().toISOString(),
    outcome,
    error,
  });
  const final = async (status: 'dead' | 'suppressed', reason: string) => {
    await deps.outbox.markFinal(m, status, reason, record(status, reason));
    o.log(`${m.id}: ${status} (${reason})`);
    return status;
  };
  if (m.consentWithdrawn) return final('suppressed', `consent withdrawn for ${m.channel} ${m.purpose}`);
  if (addressFor(m) === null)
    return final('dead', `the customer has no ${m.channel === 'sms' ? 'phone number' : 'email address'}`);
  const channel = deps.channels[m.channel];
  let outcome: SendOutcome;
  if (!channel) {
    outcome = { type: 'failed', retryable: true, error: `no channel is configured for ${m.channel}` };
  } else {
    const unsubscribeUrl = m.purpose === 'marketing' ? o.unsubscribeUrl(m) : null;
    let content: RenderedContent;
    let variables = m.variables;
    if (deps.personalize) {
      try {
        variables = await deps.personalize(m);
      } catch (e) {
        // A lookup that fails leaves the message as it was queued (still a correct message).
        o.log(`${m.id}: sent without personalisation (${(e as Error).message})`);
      }
    }
    try {
      content = await deps.renderer.render(m.templateId, variables, { unsubscribeUrl });
    } catch (e) {
      return final('dead', `template ${m.templateId} failed to render: ${(e as Error).message}`);
    }
    outcome = await sendWithTimeout(
      channel,
      {
        id: m.id,
        stableId: stableMessageId(m.idempotencyKey, o.messageIdDomain),
        customerId: m.customerId,
        channel: m.channel,
        purpose: m.purpose,
        actionId: m.actionId,
        templateId: m.templateId,
        to: { email: m.email, phone: m.phone },
        content,
        unsubscribeUrl,
        variables,
      },
      o.sendTimeoutMs,
    );
  }
  if (outcome.type === 'sent') {
    await deps.outbox.markSent(m, outcome.providerId, record('sent', null));
    return 'sent';
  }
  const decision = afterFailure(m.attempts, outcome.retryable, o.retry, o.random());
  if (decision.type === 'dead') {
    return final(
      'dead',
      `${outcome.retryable ? `gave up after ${m.attempts} attempts` : 'permanent failure'}: ${outcome.error}`,
    );
  }
  const nextAt = new Date(o.now().getTime() + decision.delayMs).toISOString();
  await deps.outbox.markRetry(m, nextAt, record('retry', outcome.error));
  o.log(`${m.id}: attempt ${m.attempts} failed (${outcome.error}); next at ${nextAt}`);
  return 'retried';
}

async function sendWithTimeout(
  channel: Channel,
  message: OutgoingMessage,
  timeoutMs: number,
): Promise<SendOutcome> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<SendOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ type: 'failed', retryable: true, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      channel.send(message, controller.signal).catch((e: unknown): SendOutcome => ({
        type: 'failed',
        retryable: true,
        error: e instanceof Error ? e.message : String(e),
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunSenderOptions extends SenderOptions {
  /** Stop when no message is due (instead of polling). */
  readonly untilEmpty?: boolean;
  /** Wait between polls when nothing is due. */
  readonly pollMs?: number;
  /** Stops the loop after the current batch. */
  readonly signal?: AbortSignal;
  readonly onBatch?: (s: SendSummary) => void;
}

/** Runs the sender until `signal` aborts (or, with `untilEmpty`, until nothing is due). */
export async function runSender(deps: SenderDeps, options: RunSenderOptions = {}): Promise<SendSummary> {
  const o = resolveSenderOptions(options);
  const total: SendSummary = { claimed: 0, sent: 0, retried: 0, dead: 0, suppressed: 0 };
  while (!options.signal?.aborted) {
    const s = await sendBatch(deps, o);
    for (const k of Object.keys(total) as Array<keyof SendSummary>) total[k] += s[k];
    options.onBatch?.(s);
    if (s.claimed === 0) {
      if (options.untilEmpty) break;
      await sleep(options.pollMs ?? 1000, options.signal);
    }
  }
  return total;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
