/**
 * A seeded pseudo-random source for the pure core (models, simulators, samplers).
 * xoshiro128** (Blackman & Vigna 2018), seeded through splitmix32 so that any integer seed
 * gives a well-mixed state. Deterministic across platforms: only 32-bit integer arithmetic.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(mean?: number, sd?: number): number;
  /** Gamma(shape, rate) — Marsaglia & Tsang (2000); shape < 1 via the boost u^(1/shape). */
  gamma(shape: number, rate?: number): number;
  /** Beta(a, b) from two gammas. */
  beta(a: number, b: number): number;
  /** Exponential with the given rate. */
  exponential(rate: number): number;
  /** Poisson(lambda): Knuth for small lambda, normal approximation above 500. */
  poisson(lambda: number): number;
  /** Bernoulli(p). */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new independent stream derived from this one (for per-entity streams). */
  fork(label?: number): Random;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Create a seeded random source. The same seed always gives the same sequence. */
export function createRandom(seed: number): Random {
  const sm = splitmix32(Math.floor(seed) ^ 0x5bd1e995);
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  if ((a | b | c | d) === 0) a = 1;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };

  let spareNormal: number | undefined;

  const rnd: Random = {
    next: () => nextU32() / 4294967296,
    int: (n) => Math.floor((nextU32() / 4294967296) * n),
    normal(mean = 0, sd = 1) {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + sd * z;
      }
      let u = 0;
      while (u === 0) u = rnd.next();
      const v = rnd.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    gamma(shape, rate = 1) {
      if (!(shape > 0) || !(rate > 0)) throw new RangeError(`gamma needs shape > 0 and rate > 0`);
      if (shape < 1) {
        let u = 0;
        while (u === 0) u = rnd.next();
        return rnd.gamma(shape + 1, rate) * Math.pow(u, 1 / shape);
      }
      const dd = shape - 1 / 3;
      const cc = 1 / Math.sqrt(9 * dd);
      for (;;) {
        let x: number;
        let v: number;
        do {
          x = rnd.normal();
          v = 1 + cc * x;
        } while (v <= 0);
        v = v * v * v;
        const u = rnd.next();
        if (u < 1 - 0.0331 * x * x * x * x) return (dd * v) / rate;
        if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return (dd * v) / rate;
      }
    },
    beta(a, b) {
      const x = rnd.gamma(a);
      const y = rnd.gamma(b);
      return x / (x + y);
    },
    exponential(rate) {
      let u = 0;
      while (u === 0) u = rnd.next();
      return -Math.log(u) / rate;
    },
    poisson(lambda) {
      if (lambda <= 0) return 0;
      if (lambda > 500) return Math.max(0, Math.round(rnd.normal(lambda, Math.sqrt(lambda))));
      const l = Math.exp(-lambda);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= rnd.next();
      } while (p > l);
      return k - 1;
    },
    chance: (p) => rnd.next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[rnd.int(items.length)] as T;
    },
    fork(label = 0) {
      return createRandom((nextU32() ^ Math.imul(label + 1, 0x27d4eb2d)) >>> 0);
    },
  };
  return rnd;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
