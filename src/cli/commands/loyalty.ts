/**
 * `patron loyalty …`: run (events → points, then the release/expiry jobs), reconcile, balance,
 * token create, secret show, config show|set. Thin: the same use cases as the HTTP API.
 */
import fs from 'node:fs';
import { processLoyaltyEvents, type LoyaltyHooks } from '../../app/loyalty-events.js';
import { memberBalance, runLedgerJobs, type ReconcileReport } from '../../app/loyalty-ledger.js';
import { newLoyaltySecret, signCustomerToken } from '../../app/loyalty-token.js';
import { programmeConfigSchema } from '../../domain/loyalty/config.js';
import type { Store } from '../../store/database.js';
import { loyaltyEventSource } from '../../store/loyalty-events-repository.js';
import { ledgerIds, loyaltySecretStore, loyaltyStore } from '../../store/loyalty-repository.js';
import { print, UsageError } from '../context.js';

export interface LoyaltyRunSummary {
  readonly events: number;
  readonly entries: number;
  readonly points: number;
  /** Members whose tiers were re-evaluated after their events (with the programme's hooks). */
  readonly tiersEvaluated: number;
  readonly released: number;
  readonly expired: number;
  readonly birthdays: number;
  readonly notices: number;
  readonly seconds: number;
}

export async function runLoyalty(
  store: Store,
  o: { json?: boolean; quiet?: boolean; now?: Date; hooks?: LoyaltyHooks },
): Promise<LoyaltyRunSummary> {
  const started = Date.now();
  const ledger = loyaltyStore(store);
  const now = o.now ? () => o.now as Date : () => new Date();
  const events = await processLoyaltyEvents(ledger, loyaltyEventSource(store), ledgerIds, {
    now,
    ...(o.hooks ? { hooks: o.hooks } : {}),
  });
  const jobs = await runLedgerJobs(ledger, ledgerIds, now().toISOString());
  const summary = {
    events: events.events,
    entries: events.entries,
    points: events.points,
    tiersEvaluated: events.membersTouched,
    ...jobs,
    seconds: Number(((Date.now() - started) / 1000).toFixed(2)),
  };
  if (o.json) print(JSON.stringify(summary));
  else if (!o.quiet) {
    print(
      `Loyalty: ${summary.events.toLocaleString('en-US')} events turned into ${summary.entries.toLocaleString('en-US')} entries (${summary.points.toLocaleString('en-US')} points net), re-evaluated ${summary.tiersEvaluated.toLocaleString('en-US')} members' tiers; released ${summary.released}, expired ${summary.expired} lots, ${summary.birthdays} birthday bonuses, ${summary.notices} expiry notices, in ${summary.seconds} s.`,
    );
  }
  return summary;
}

export function printReconcile(r: ReconcileReport): void {
  print(
    `${r.ok ? 'OK' : 'MISMATCH'}: ${r.members.toLocaleString('en-US')} members, ${r.entries.toLocaleString('en-US')} entries, ${r.postings.toLocaleString('en-US')} postings, ${r.lots.toLocaleString('en-US')} lots.`,
  );
  print(
    `  members' balances: pending ${r.totals.pending}, available ${r.totals.available}, owed ${r.totals.debt}`,
  );
  print(
    `  accounts over all postings: ${Object.entries(r.accounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (sum ${r.sumOfAllAccounts})`,
  );
  for (const m of r.mismatches) {
    print(`  ${m.customerId}: ${m.what}: cached ${m.cached}, from postings ${m.fromPostings}`);
  }
  if (r.mismatchCount > r.mismatches.length) print(`  … and ${r.mismatchCount - r.mismatches.length} more`);
}

export async function runReconcile(store: Store, o: { json?: boolean }): Promise<void> {
  const r = await loyaltyStore(store).reconcile();
  if (o.json) print(JSON.stringify(r));
  else printReconcile(r);
  if (!r.ok) process.exitCode = 1;
}

export async function runBalance(store: Store, customer: string): Promise<void> {
  const ledger = loyaltyStore(store);
  const id = await ledger.customerIdFor(customer);
  if (!id) throw new UsageError(`no customer with id or userId "${customer}"`);
  const now = new Date().toISOString();
  print(
    JSON.stringify(
      { ...(await memberBalance(ledger, id, now)), entries: await ledger.history(id, 20) },
      null,
      2,
    ),
  );
}

export async function runTokenCreate(
  store: Store,
  o: { customer: string; ttl: number; json?: boolean },
): Promise<void> {
  const now = new Date();
  const secret = await loyaltySecretStore(store).getOrCreate(now.toISOString(), newLoyaltySecret);
  const t = signCustomerToken(secret, { subject: o.customer, now, ttlSeconds: o.ttl });
  if (o.json) print(JSON.stringify(t));
  else {
    print(t.token);
    process.stderr.write(`(customer ${o.customer}, expires ${t.expiresAt})\n`);
  }
}

export async function runSecretShow(store: Store): Promise<void> {
  const secret = await loyaltySecretStore(store).getOrCreate(new Date().toISOString(), newLoyaltySecret);
  print(secret);
}

export async function runConfigShow(store: Store): Promise<void> {
  const ledger = loyaltyStore(store);
  const active = await ledger.activeConfig(new Date().toISOString());
  print(JSON.stringify(active, null, 2));
}

/** `config set --file new.json`: a shallow merge over the active version, validated, activated now. */
export async function runConfigSet(store: Store, o: { file: string; note?: string }): Promise<void> {
  let changes: unknown;
  try {
    changes = JSON.parse(fs.readFileSync(o.file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--file: ${(e as Error).message}`);
  }
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new UsageError('--file: the configuration must be a JSON object');
  }
  const ledger = loyaltyStore(store);
  const now = new Date().toISOString();
  const active = await ledger.activeConfig(now);
  const parsed = programmeConfigSchema.safeParse({ ...active.config, ...changes });
  if (!parsed.success) {
    throw new UsageError(
      `the configuration is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const v = await ledger.activateConfig({
    config: parsed.data,
    now,
    by: 'cli',
    ...(o.note ? { note: o.note } : {}),
  });
  print(`Programme version ${v.version} is active from ${v.activatedAt}.`);
}

/** The demo's loyalty paragraph: what the synthetic store's customers earned, and one member explained. */
export async function printLoyaltyDemo(store: Store, run: LoyaltyRunSummary): Promise<void> {
  const ledger = loyaltyStore(store);
  const r = await ledger.reconcile();
  print(
    `Loyalty: ${r.members.toLocaleString('en-US')} members earned points in ${r.entries.toLocaleString('en-US')} ledger entries (${run.events.toLocaleString('en-US')} events processed, ${run.released} lots released, ${run.expired} expired). Now available ${r.totals.available.toLocaleString('en-US')}, pending ${r.totals.pending.toLocaleString('en-US')}, owed after refunds ${r.totals.debt.toLocaleString('en-US')}; reconcile ${r.ok ? 'OK: every balance equals its postings' : `found ${r.mismatchCount} mismatches`}.`,
  );
  const top = await store.db
    .selectFrom('loyalty_accounts')
    .select(['customer_id', 'available', 'pending'])
    .orderBy('available', 'desc')
    .orderBy('customer_id')
    .limit(1)
    .executeTakeFirst();
  if (!top) return;
  const user = await store.db
    .selectFrom('customers')
    .select('user_id')
    .where('id', '=', top.customer_id)
    .executeTakeFirst();
  const history = await ledger.history(top.customer_id, 3);
  print(
    `  ${user?.user_id ?? top.customer_id}: ${Number(top.available).toLocaleString('en-US')} points available, ${Number(top.pending).toLocaleString('en-US')} pending. Latest:`,
  );
  for (const e of history) print(`    ${e.explanation}`);
}
