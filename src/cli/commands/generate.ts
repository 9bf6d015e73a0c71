import path from 'node:path';
import { writeStore } from '../../synth/index.js';
import { print } from '../context.js';
import { progressBar } from '../progress.js';

export interface GenerateOptions {
  customers: number;
  seed: number;
  weeks?: number;
  /** First day of the history (UTC), default the simulator's 2025-01-06. */
  start?: string;
  out: string;
}

/** Writes a synthetic store; returns the path of its events file. */
export async function runGenerate(o: GenerateOptions, quiet = false): Promise<string> {
  const bar = progressBar('generate');
  const summary = await Promise.resolve(
    writeStore(o.out, {
      customers: o.customers,
      seed: o.seed,
      ...(o.weeks !== undefined ? { weeks: o.weeks } : {}),
      ...(o.start !== undefined ? { start: o.start } : {}),
      onProgress: (done: number, total: number) => bar.update(done, total),
    }),
  ).finally(() => bar.stop());
  if (!quiet) {
    print(
      `Generated ${summary.customers.toLocaleString('en-US')} customers, ${summary.events.toLocaleString('en-US')} events, ` +
        `${summary.orders.toLocaleString('en-US')} orders (seed ${o.seed}) in ${o.out}`,
    );
    print(
      `Events: ${path.join(o.out, 'events.jsonl')}; ground truth: ${path.join(o.out, 'ground-truth.jsonl')} (see docs/SYNTH.md)`,
    );
  }
  return path.join(o.out, 'events.jsonl');
}
