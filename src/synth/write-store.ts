/**
 * Writes a synthetic store to a folder: the adapter around the pure simulator. Events are streamed
 * week by week, so memory stays flat whatever the number of customers.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { catalogJson, type StoreOptions } from './generate.js';
import { createSimulator } from './simulator.js';

export interface WriteStoreOptions extends StoreOptions {
  /** Called after each simulated week with (weeks done, total weeks). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface StoreSummary {
  readonly customers: number;
  readonly events: number;
  readonly orders: number;
  /** The folder written. */
  readonly path: string;
}

/**
 * Writes `events.jsonl`, `ground-truth.jsonl`, `ground-truth-params.json` and `catalog.json` into `dir`
 * (created if missing; existing files are replaced).
 */
export async function writeStore(dir: string, options: WriteStoreOptions): Promise<StoreSummary> {
  const sim = createSimulator(options);
  await mkdir(dir, { recursive: true });
  const file = await open(path.join(dir, 'events.jsonl'), 'w');
  let events = 0;
  let orders = 0;
  try {
    while (!sim.done) {
      const week = sim.step();
      const lines: string[] = [];
      for (const ev of week) {
        lines.push(JSON.stringify(ev));
        if (ev.type === 'track' && ev.event === 'Order Completed') orders++;
      }
      events += week.length;
      if (lines.length > 0) await file.write(lines.join('\n') + '\n');
      options.onProgress?.(sim.week, sim.params.weeks);
    }
  } finally {
    await file.close();
  }
  const truth = sim.groundTruth();
  await writeFile(
    path.join(dir, 'ground-truth.jsonl'),
    truth.map((t) => JSON.stringify(t)).join('\n') + '\n',
  );
  await writeFile(path.join(dir, 'ground-truth-params.json'), JSON.stringify(sim.params, null, 2) + '\n');
  await writeFile(path.join(dir, 'catalog.json'), JSON.stringify(catalogJson(sim.catalog), null, 2) + '\n');
  return { customers: truth.length, events, orders, path: dir };
}
