/**
 * Checked-in, timestamped migrations, listed here in order (a static list works from source and
 * from the compiled package alike). Never edit a migration once it has landed: add a new one.
 */
import { Migrator, sql, type Migration, type MigrationResultSet } from 'kysely';
import type { Store } from './database.js';
import * as m20261124180000 from './migrations/2026-11-24T18-00-00-init.js';
import * as m20261124190000 from './migrations/2026-11-24T19-00-00-clv-scores.js';
import * as m20261124193000 from './migrations/2026-11-24T19-30-00-churn.js';
import * as m20261201201000 from './migrations/2026-12-01T20-10-00-segments.js';
import * as m20261201202000 from './migrations/2026-12-01T20-20-00-recommendations.js';
import * as m20261201203000 from './migrations/2026-12-01T20-30-00-text.js';
import * as m20261201205000 from './migrations/2026-12-01T20-50-00-loyalty-programme.js';
import * as m20261201204000 from './migrations/2026-12-01T20-40-00-loyalty-ledger.js';
import * as m20261201210000 from './migrations/2026-12-01T21-00-00-outbox.js';
import * as m20261201211000 from './migrations/2026-12-01T21-10-00-decisions.js';
import * as m20261202003000 from './migrations/2026-12-02T00-30-00-decision-events.js';
import * as m20261202050000 from './migrations/2026-12-02T05-00-00-loyalty-indexes.js';
import * as m20261202070000 from './migrations/2026-12-02T07-00-00-churn-last-seen.js';
import * as m20261202073000 from './migrations/2026-12-02T07-30-00-loyalty-partial-indexes.js';

export const migrations: Record<string, Migration> = {
  '2026-11-24T18-00-00-init': m20261124180000,
  '2026-11-24T19-00-00-clv-scores': m20261124190000,
  '2026-11-24T19-30-00-churn': m20261124193000,
  '2026-12-01T20-10-00-segments': m20261201201000,
  '2026-12-01T20-20-00-recommendations': m20261201202000,
  '2026-12-01T20-30-00-text': m20261201203000,
  '2026-12-01T20-50-00-loyalty-programme': m20261201205000,
  '2026-12-01T20-40-00-loyalty-ledger': m20261201204000,
  '2026-12-01T21-00-00-outbox': m20261201210000,
  '2026-12-01T21-10-00-decisions': m20261201211000,
  '2026-12-02T00-30-00-decision-events': m20261202003000,
  '2026-12-02T05-00-00-loyalty-indexes': m20261202050000,
  '2026-12-02T07-00-00-churn-last-seen': m20261202070000,
  '2026-12-02T07-30-00-loyalty-partial-indexes': m20261202073000,
};

/** Brings the schema up to date. Creates the PostgreSQL schema named in the URL if needed. */
export async function migrateToLatest(store: Store): Promise<MigrationResultSet> {
  const schema = store.dialect === 'postgres' ? new URL(store.url).searchParams.get('schema') : null;
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(store.db);
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    // Branches land migrations in any order; each is independent of the ones beside it.
    allowUnorderedMigrations: true,
    // Kysely looks for its own tables across all schemas unless told which one is ours; another
    // Patron schema in the same database would otherwise make it skip creating them here.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    throw result.error instanceof Error ? result.error : new Error(String(result.error));
  }
  return result;
}
