/** Runs the simulator over its whole horizon, in memory (tests, notebooks, small stores). */
import type { Product } from './catalog.js';
import type { SynthEvent } from './events.js';
import { createSimulator, type CustomerTruth, type SimulatorOptions, type StoreParams } from './simulator.js';

export type StoreOptions = SimulatorOptions;

export interface GeneratedStore {
  readonly catalog: readonly Product[];
  readonly params: StoreParams;
  /** Every event, sorted by timestamp. */
  readonly events: readonly SynthEvent[];
  readonly groundTruth: readonly CustomerTruth[];
}

/** Generates a whole store in memory. For large stores, stream with `writeStore` or `createSimulator`. */
export function generateStore(options: StoreOptions): GeneratedStore {
  const sim = createSimulator(options);
  const events: SynthEvent[] = [];
  while (!sim.done) for (const ev of sim.step()) events.push(ev);
  return { catalog: sim.catalog, params: sim.params, events, groundTruth: sim.groundTruth() };
}

/** The catalog as written to `catalog.json`: prices in USD minor units and as a decimal. */
export function catalogJson(catalog: readonly Product[]): unknown[] {
  return catalog.map((p) => ({ ...p, currency: 'USD', price: p.priceMinor / 100 }));
}
