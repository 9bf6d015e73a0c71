/**
 * Deterministic experiment assignment: a customer's arm is a pure function of (experiment salt,
 * customer id) — the same answer in every process, on every run, with nothing stored. The hash is
 * MurmurHash3 x86_32 (Appleby) over the UTF-8 bytes of `salt + ":" + customerId`, mapped to a
 * bucket in [0, 1) by dividing by 2^32. No `Math.random` anywhere.
 */

/** MurmurHash3 x86_32 of the UTF-8 bytes of `text` (the reference implementation's output). */
export function murmur3(text: string, seed = 0): number {
  const bytes = new TextEncoder().encode(text);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = bytes.length & 3;
  if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
  if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
  if (tail >= 1) {
    k ^= bytes[blocks] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The customer's bucket in [0, 1) for a salt: uniform over customers, fixed for each one. */
export function bucket(salt: string, customerId: string): number {
  return murmur3(`${salt}:${customerId}`) / 4294967296;
}

/** Salt of the store-wide global control group. Changing it would reshuffle the group: never do. */
export const GLOBAL_CONTROL_SALT = 'patron-global-control';
/** Share of customers in the global control group unless the store configures another. */
export const DEFAULT_GLOBAL_CONTROL_FRACTION = 0.05;

/**
 * Whether the customer is in the persistent global control group, which receives no marketing
 * messages (transactional ones still go out). Persistent because it is a pure function of the id:
 * the same customers are held out forever, so their behaviour is the baseline for every report.
 */
export function isInGlobalControl(
  customerId: string,
  fraction: number = DEFAULT_GLOBAL_CONTROL_FRACTION,
): boolean {
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`global control fraction ${fraction} not in [0, 1]`);
  return bucket(GLOBAL_CONTROL_SALT, customerId) < fraction;
}

/** One arm of an experiment with its share of the treated population. */
export interface VariantWeight {
  readonly name: string;
  /** Relative weight (> 0); weights need not sum to 1. */
  readonly weight: number;
}

/**
 * What assignment needs to know of an experiment. `holdout` is the share of customers held out
 * (variant "control", no message); the rest are split among `variants` by weight. A journey
 * holdout is an experiment with one variant ("treatment") and a holdout share; an A/B test has two
 * or more variants and usually a holdout too.
 */
export interface AssignmentSpec {
  /** Stable salt (the experiment id): changing it reshuffles everyone. */
  readonly salt: string;
  readonly holdout: number;
  readonly variants: readonly VariantWeight[];
}

export const CONTROL = 'control';

/**
 * The arm of a customer in an experiment: "control" for the holdout share, otherwise one of the
 * variants by weight. The holdout and the split use independent hashes (different seeds), so
 * changing the holdout share does not move treated customers between variants.
 */
export function assignVariant(spec: AssignmentSpec, customerId: string): string {
  if (!(spec.holdout >= 0 && spec.holdout <= 1))
    throw new RangeError(`holdout ${spec.holdout} not in [0, 1]`);
  if (bucket(spec.salt, customerId) < spec.holdout) return CONTROL;
  if (spec.variants.length === 0) throw new RangeError(`experiment ${spec.salt} has no variants`);
  const total = spec.variants.reduce((s, v) => s + v.weight, 0);
  if (!(total > 0)) throw new RangeError(`experiment ${spec.salt}: variant weights must be positive`);
  const u = (murmur3(`${spec.salt}:${customerId}`, 0x9747b28c) / 4294967296) * total;
  let acc = 0;
  for (const v of spec.variants) {
    acc += v.weight;
    if (u < acc) return v.name;
  }
  return (spec.variants[spec.variants.length - 1] as VariantWeight).name;
}
