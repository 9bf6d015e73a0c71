/** The synthetic store: a seeded simulator of an online store's customers with ground truth. */
export { createSimulator, DISENGAGEMENT_RAMP_WEEKS } from './simulator.js';
export type {
  ActionOutcome,
  ActionReason,
  CustomerTruth,
  Simulator,
  SimulatorOptions,
  StoreParams,
  Treatment,
} from './simulator.js';
export { generateStore, catalogJson } from './generate.js';
export type { GeneratedStore, StoreOptions } from './generate.js';
export { writeStore } from './write-store.js';
export type { StoreSummary, WriteStoreOptions } from './write-store.js';
export {
  AT_RISK_WEEKS,
  actionTarget,
  churnDrivers,
  defaultLatentParams,
  driverShares,
  fxRatesPerUsd,
  responseRule,
  saveProbability,
} from './params.js';
export type { ActiveChurnDriver, ChurnDriver, LatentParams, RetentionAction } from './params.js';
export type { Product } from './catalog.js';
export type { SynthEvent, SynthEventName, SynthIdentify, SynthTrack } from './events.js';
export { synthEventNames } from './events.js';
