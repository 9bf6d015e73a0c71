import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldIssues } from './field-issues.js';

describe('fieldIssues', () => {
  const schema = z.object({ tiers: z.array(z.object({ threshold: z.number().int() })), name: z.string() });

  it('names every invalid field by its dotted path', () => {
    const parsed = schema.safeParse({ tiers: [{ threshold: 1 }, { threshold: 1.5 }], name: 3 });
    expect(parsed.success).toBe(false);
    const issues = fieldIssues(parsed.error!);
    expect(issues.map((i) => i.path).sort()).toEqual(['name', 'tiers.1.threshold']);
    expect(issues.every((i) => i.message.length > 0)).toBe(true);
  });

  it('labels an issue about the whole input with the root given', () => {
    const parsed = schema.safeParse('not an object');
    expect(fieldIssues(parsed.error!, '(body)')).toEqual([{ path: '(body)', message: expect.any(String) }]);
    expect(fieldIssues(parsed.error!)[0]!.path).toBe('');
  });
});
