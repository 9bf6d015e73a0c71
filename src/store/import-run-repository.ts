import type { ImportRunStore } from '../app/ports.js';
import type { Store } from './database.js';

export function importRunStore(store: Store): ImportRunStore {
  return {
    async find(runId) {
      const r = await store.db
        .selectFrom('import_runs')
        .selectAll()
        .where('id', '=', runId)
        .executeTakeFirst();
      if (!r) return null;
      return {
        runId: r.id,
        path: r.path,
        format: r.format,
        fingerprint: r.fingerprint,
        linesDone: Number(r.lines_done),
        accepted: Number(r.accepted),
        duplicates: Number(r.duplicates),
        rejected: Number(r.rejected),
        status: r.status === 'done' ? 'done' : 'running',
        startedAt: r.started_at,
        updatedAt: r.updated_at,
      };
    },
    async start(run) {
      await store.db
        .insertInto('import_runs')
        .values({
          id: run.runId,
          path: run.path,
          format: run.format,
          fingerprint: run.fingerprint,
          lines_done: run.linesDone,
          accepted: run.accepted,
          duplicates: run.duplicates,
          rejected: run.rejected,
          status: run.status,
          started_at: run.startedAt,
          updated_at: run.updatedAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    async rejects(runId) {
      const rows = await store.db
        .selectFrom('import_rejects')
        .select(['line', 'reason', 'content'])
        .where('run_id', '=', runId)
        .orderBy('line')
        .execute();
      return rows.map((r) => ({ line: Number(r.line), reason: r.reason, content: r.content }));
    },
  };
}
