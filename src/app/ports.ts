/**
 * What the use cases need from the outside world. `src/store` implements these over Kysely;
 * tests may implement them over anything.
 */
import type { NormalizedEvent } from '../domain/events/normalize.js';
import type { CurrencySettings } from '../domain/money/money.js';
import type { IdentityKey, IdentityState, Resolution } from '../domain/profile/identity.js';
import type { SegmentWriteTx } from './segments.js';

export interface ProfileFields {
  readonly email: string | null;
  readonly phone: string | null;
  readonly timezone: string | null;
  /** Traits as stored (JSON text), parsed only when an identify call changes them. */
  readonly traitsJson: string | null;
}

export interface CustomerRowUpdate extends ProfileFields {
  readonly id: string;
}

/** Everything one batch of fresh events writes, in one transaction. */
export interface BatchWrite {
  readonly events: ReadonlyArray<{ readonly event: NormalizedEvent; readonly customerId: string }>;
  readonly resolution: Resolution;
  /** Profile fields of new customers and changed fields of known ones. */
  readonly profiles: readonly CustomerRowUpdate[];
  readonly receivedAt: string;
}

export interface EventBatchWriter {
  existingMessageIds(messageIds: readonly string[]): Promise<Set<string>>;
  loadIdentities(keys: readonly IdentityKey[]): Promise<{
    state: IdentityState;
    profiles: ReadonlyMap<string, ProfileFields>;
  }>;
  write(batch: BatchWrite): Promise<void>;
  /**
   * Segment memberships inside this transaction, so that the customers whose orders or refunds the
   * batch changed are re-scored with it (app/segments.ts `updateSegmentsAfterEvents`).
   */
  segments?(): SegmentWriteTx;
  /** Records an import's progress and rejected lines in the same transaction as its events. */
  recordImportChunk(progress: ImportProgress, rejects: readonly ImportReject[]): Promise<void>;
}

export interface ImportProgress {
  readonly runId: string;
  readonly linesDone: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly status: 'running' | 'done';
  readonly updatedAt: string;
}

export interface ImportReject {
  readonly line: number;
  readonly reason: string;
  readonly content: string;
}

export interface ImportRun extends ImportProgress {
  readonly path: string;
  readonly format: string;
  readonly fingerprint: string;
  readonly startedAt: string;
}

export interface ImportRunStore {
  find(runId: string): Promise<ImportRun | null>;
  start(run: ImportRun): Promise<void>;
  rejects(runId: string): Promise<ImportReject[]>;
}

export interface EventStore {
  /** Runs `fn` in one write transaction serialised with every other event writer. */
  inWriteTransaction<T>(fn: (w: EventBatchWriter) => Promise<T>): Promise<T>;
}

export interface SettingsStore {
  currencySettings(): Promise<CurrencySettings>;
}
