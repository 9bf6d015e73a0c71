/**
 * The synthetic store the benchmarks share: generated once into `dir` (events.jsonl plus its
 * ground truth) and imported once into `dir/patron.db`; later runs reuse both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { importFile } from '../../src/app/import-file.js';
import { openStore, type Store } from '../../src/store/database.js';
import { eventStore } from '../../src/store/event-repository.js';
import { importRunStore } from '../../src/store/import-run-repository.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { writeStore } from '../../src/synth/index.js';

/** The rates the synthetic store's EUR and GBP orders are converted at. */
export const SYNTH_RATES = { EUR: 1.087, GBP: 1.266 };

/** Opens (generating and importing first when missing) the synthetic store kept in `dir`. */
export async function openSyntheticStore(o: {
  dir: string;
  customers: number;
  seed: number;
}): Promise<Store> {
  const db = path.join(o.dir, 'patron.db');
  if (!fs.existsSync(db)) {
    await writeStore(o.dir, { customers: o.customers, seed: o.seed });
    const s = openStore(`sqlite:${db}`);
    await migrateToLatest(s);
    await importFile({
      path: path.join(o.dir, 'events.jsonl'),
      format: 'events-jsonl',
      events: eventStore(s),
      runs: importRunStore(s),
      currency: { baseCurrency: 'USD', rates: SYNTH_RATES },
      now: () => new Date(),
    });
    await s.close();
  }
  const store = openStore(`sqlite:${db}`);
  await migrateToLatest(store);
  return store;
}
