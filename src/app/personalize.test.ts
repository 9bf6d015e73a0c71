import { describe, expect, it } from 'vitest';
import { becauseClause } from '../store/message-context-repository.js';
import { personalize, type PersonalizeDeps } from './personalize.js';

const NOW = new Date('2025-03-05T12:00:00Z');

function deps(calls: string[]): PersonalizeDeps {
  return {
    context: async (id) => {
      calls.push(`context:${id}`);
      return {
        firstName: 'Ada',
        points: { balance: 1200, pending: 50, expiring: 200, expiresAt: '2025-03-20T00:00:00.000Z' },
        tier: { current: 'Silver', next: 'Gold', progress: 0.8 },
      };
    },
    recommendations: async (id, limit) => {
      calls.push(`recs:${id}:${limit}`);
      return [{ id: 'p1', name: 'Filters', reason: 'it is often bought with Kettle' }];
    },
  };
}

describe('personalize', () => {
  it('adds the name, points, tier and recommendations the template shows', async () => {
    const calls: string[] = [];
    const v = await personalize(
      deps(calls),
      { customerId: 'c1', templateId: 'cross_sell', variables: {} },
      NOW,
    );
    expect(v).toMatchObject({
      firstName: 'Ada',
      points: { balance: 1200, expiring: 200 },
      tier: { current: 'Silver', next: 'Gold' },
      recommendations: [{ name: 'Filters' }],
    });
    expect(calls).toEqual(['context:c1', 'recs:c1:4']);
  });

  it('keeps what the decision stored and asks for no recommendations a template does not show', async () => {
    const calls: string[] = [];
    const stored = { firstName: 'Grace', offer: { description: '10 % off' } };
    const v = await personalize(
      deps(calls),
      { customerId: 'c2', templateId: 'delay_notice', variables: stored },
      NOW,
    );
    expect(v.firstName).toBe('Grace');
    expect(v.offer).toEqual({ description: '10 % off' });
    expect(v.recommendations).toBeUndefined();
    expect(calls).toEqual(['context:c2']);
  });

  it('puts the recommender’s reasons in the templates’ “because …” form', () => {
    expect(becauseClause({ type: 'bought', text: 'because you bought Kettle' })).toBe('you bought Kettle');
    expect(becauseClause({ type: 'bought_with', text: 'often bought with Kettle' })).toBe(
      'it is often bought with Kettle',
    );
    expect(becauseClause({ type: 'running_low', text: 'running low on Beans' })).toBe(
      'you may be running low on Beans',
    );
  });
});
