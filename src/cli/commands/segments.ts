/** `patron segments compute|refresh|transitions`, `patron advocacy compute|top`, `patron timing compute`. */
import { computeAdvocacy, listAdvocates } from '../../app/advocacy.js';
import { computeSegmentsRun, refreshSegments, transitionsSince } from '../../app/segments.js';
import { computeTiming } from '../../app/timing.js';
import type { Store } from '../../store/database.js';
import { advocacyStore } from '../../store/advocacy-repository.js';
import { customerSignalSource } from '../../store/customer-signals-repository.js';
import { segmentStore } from '../../store/segment-repository.js';
import { timingStore } from '../../store/timing-repository.js';
import { print, UsageError } from '../context.js';

const n = (v: number): string => v.toLocaleString('en-US');

export async function runSegmentsCompute(
  store: Store,
  flags: { asOf?: string; seed?: number; json?: boolean },
): Promise<void> {
  const r = await computeSegmentsRun(customerSignalSource(store), segmentStore(store), {
    ...(flags.asOf !== undefined ? { asOf: flags.asOf } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    now: new Date(),
  });
  if (!r.ok) {
    if (r.error.type === 'InvalidDate') throw new UsageError(r.error.message);
    throw new Error(r.error.message);
  }
  const s = r.value;
  if (flags.json) return print(JSON.stringify(s, null, 2));
  print(
    `Segmented ${n(s.customers)} customers as of ${s.asOf} (run ${s.runId}); ${n(s.transitions)} transitions recorded.`,
  );
  for (const g of s.segments) print(`  ${g.segment.padEnd(20)} ${n(g.customers).padStart(9)}`);
  print(
    `Clusters: k = ${s.k} (silhouette ${s.silhouettes.map((x) => `k${x.k} ${x.silhouette.toFixed(3)}`).join(', ')})`,
  );
  for (const c of s.clusters)
    print(`  ${String(c.cluster).padStart(2)} ${n(c.size).padStart(9)}  ${c.description}`);
}

export async function runSegmentsRefresh(
  store: Store,
  flags: { asOf?: string; json?: boolean },
): Promise<void> {
  const r = await refreshSegments(segmentStore(store), {
    ...(flags.asOf !== undefined ? { asOf: flags.asOf } : {}),
    now: new Date(),
  });
  if (!r.ok) {
    if (r.error.type === 'InvalidDate') throw new UsageError(r.error.message);
    throw new Error(r.error.message);
  }
  const s = r.value;
  if (flags.json) return print(JSON.stringify(s, null, 2));
  print(
    `Refreshed ${n(s.customers)} memberships as of ${s.asOf}: ${n(s.transitions)} time-driven transitions.`,
  );
  for (const m of s.moves.slice(0, 15)) print(`  ${m.from} → ${m.to}: ${n(m.customers)}`);
}

export async function runSegmentsTransitions(
  store: Store,
  flags: { since: string; from?: string; to?: string; limit?: number; json?: boolean },
): Promise<void> {
  const r = await transitionsSince(segmentStore(store), flags);
  if (!r.ok) throw new UsageError(r.error.message);
  if (flags.json) return print(JSON.stringify(r.value));
  for (const t of r.value)
    print(
      `${t.at}  ${t.customer_id}  ${t.from_segment ?? '(new)'} → ${t.to_segment}  (${t.cause}${t.cause_event ? ` ${t.cause_event}` : ''})`,
    );
}

export async function runAdvocacyCompute(store: Store, flags: { json?: boolean }): Promise<void> {
  const s = await computeAdvocacy(customerSignalSource(store), advocacyStore(store), { now: new Date() });
  if (flags.json) return print(JSON.stringify(s));
  print(
    `Scored ${n(s.customers)} customers: mean advocacy ${s.meanScore.toFixed(1)}, ${n(s.advocates)} score 50 or more.`,
  );
}

export async function runAdvocacyTop(store: Store, flags: { limit: number; json?: boolean }): Promise<void> {
  const list = await listAdvocates(advocacyStore(store), flags.limit);
  if (flags.json) return print(JSON.stringify(list));
  for (const a of list)
    print(
      `${a.score.toFixed(1).padStart(5)}  ${(a.userId ?? a.customerId).padEnd(14)} ${a.reasons.join('; ')}`,
    );
}

export async function runTimingCompute(store: Store, flags: { json?: boolean }): Promise<void> {
  const s = await computeTiming(customerSignalSource(store), timingStore(store), { now: new Date() });
  if (flags.json) return print(JSON.stringify(s, null, 2));
  print(
    `Send times for ${n(s.customers)} customers (${n(s.withResponses)} with opens or clicks); prior strength ${s.priorStrength.toFixed(1)} pseudo-responses; store-wide best ${s.storeBest.weekday} ${s.storeBest.hour}:00 local.`,
  );
  print(
    `  preferred channel: ${Object.entries(s.channels)
      .map(([c, k]) => `${c} ${n(k)}`)
      .join(', ')}`,
  );
  print(`  review requests: ${n(s.reviewRequests)} delivered orders; time-to-value (days):`);
  for (const c of s.timeToValue)
    print(
      `    ${c.category.padEnd(12)} ${c.days.toFixed(1).padStart(5)}  (${n(c.reviews)} reviews, median ${c.medianDays === null ? '—' : c.medianDays.toFixed(1)}, default ${c.defaultDays})`,
    );
}
