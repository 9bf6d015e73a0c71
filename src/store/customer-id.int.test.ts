import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { resolveCustomerId } from './customer-id.js';

const NOW = '2026-06-01T12:00:00.000Z';
const customer = (id: string, userId: string | null, mergedInto: string | null = null) => ({
  id,
  user_id: userId,
  email: null,
  phone: null,
  timezone: null,
  traits: null,
  created_at: NOW,
  merged_into: mergedInto,
});

describe.each(DATABASES)('which customer an id names, on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    await t.store.db
      .insertInto('customers')
      .values([
        customer('cus_a', 'u_a'),
        customer('cus_b', 'u_b', 'cus_c'),
        customer('cus_c', null, 'cus_d'),
        customer('cus_d', null),
      ])
      .execute();
    await t.store.db
      .insertInto('identities')
      .values([
        { key: 'user:u_a', kind: 'user', value: 'u_a', customer_id: 'cus_a', created_at: NOW },
        { key: 'user:u_b', kind: 'user', value: 'u_b', customer_id: 'cus_b', created_at: NOW },
      ])
      .execute();
  });
  afterAll(async () => t.drop());

  it('resolves a Patron id and a userId to the customer', async () => {
    expect(await resolveCustomerId(t.store.db, 'cus_a')).toBe('cus_a');
    expect(await resolveCustomerId(t.store.db, 'u_a')).toBe('cus_a');
  });

  it('follows merges to the surviving customer, from the userId or any id on the way', async () => {
    expect(await resolveCustomerId(t.store.db, 'u_b')).toBe('cus_d');
    expect(await resolveCustomerId(t.store.db, 'cus_b')).toBe('cus_d');
    expect(await resolveCustomerId(t.store.db, 'cus_c')).toBe('cus_d');
  });

  it('answers null for an id that names no one', async () => {
    expect(await resolveCustomerId(t.store.db, 'nobody')).toBeNull();
    expect(await resolveCustomerId(t.store.db, 'user:u_a')).toBeNull();
  });
});
