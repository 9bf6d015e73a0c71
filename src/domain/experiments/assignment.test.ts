import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignVariant, bucket, CONTROL, isInGlobalControl, murmur3 } from './assignment.js';

describe('murmur3', () => {
  // Published test vectors of MurmurHash3 x86_32 (SMHasher / the mmh3 package docs).
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['abc', 0, 0xb3dd93fa],
    ['aaaa', 0x9747b28c, 0x5a97808a],
  ])('hashes %j with seed %d to the reference value', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });
});

describe('assignment', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `cus_${i.toString(16).padStart(8, '0')}`);

  it('puts about 5 % of customers in the global control group (within 4 standard errors)', () => {
    const n = ids.filter((id) => isInGlobalControl(id)).length;
    const se = Math.sqrt(ids.length * 0.05 * 0.95);
    expect(Math.abs(n - ids.length * 0.05)).toBeLessThan(4 * se);
  });

  it('gives the same arm for the same customer and experiment every time', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (salt, id) => {
        const spec = {
          salt,
          holdout: 0.2,
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 1 },
          ],
        };
        expect(assignVariant(spec, id)).toBe(assignVariant(spec, id));
        expect(bucket(salt, id)).toBeGreaterThanOrEqual(0);
        expect(bucket(salt, id)).toBeLessThan(1);
      }),
    );
  });

  it('splits by the holdout share and the weights (each arm within 4 standard errors)', () => {
    const spec = {
      salt: 'exp_ab',
      holdout: 0.1,
      variants: [
        { name: 'a', weight: 3 },
        { name: 'b', weight: 1 },
      ],
    };
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(assignVariant(spec, id), (counts.get(assignVariant(spec, id)) ?? 0) + 1);
    const expected = { [CONTROL]: 0.1, a: 0.9 * 0.75, b: 0.9 * 0.25 };
    for (const [arm, p] of Object.entries(expected)) {
      const se = Math.sqrt(ids.length * p * (1 - p));
      expect(Math.abs((counts.get(arm) ?? 0) - ids.length * p)).toBeLessThan(4 * se);
    }
  });

  it('keeps treated customers in their variant when the holdout share grows', () => {
    const variants = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ];
    for (const id of ids.slice(0, 2000)) {
      const wide = assignVariant({ salt: 'x', holdout: 0.3, variants }, id);
      if (wide !== CONTROL) expect(assignVariant({ salt: 'x', holdout: 0.1, variants }, id)).toBe(wide);
    }
  });

  it('assigns independently across experiments (control in one says nothing of another)', () => {
    const spec = (salt: string) => ({ salt, holdout: 0.5, variants: [{ name: 't', weight: 1 }] });
    let both = 0;
    for (const id of ids)
      if (assignVariant(spec('e1'), id) === CONTROL && assignVariant(spec('e2'), id) === CONTROL) both++;
    const p = 0.25;
    expect(Math.abs(both - ids.length * p)).toBeLessThan(4 * Math.sqrt(ids.length * p * (1 - p)));
  });

  it('refuses a holdout share outside [0, 1]', () => {
    expect(() => assignVariant({ salt: 's', holdout: 1.5, variants: [] }, 'c')).toThrow(/holdout/);
  });
});
