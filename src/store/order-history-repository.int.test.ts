import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASES, type TestDatabase } from '../../test/support/databases.js';
import { dayNumber, latestOrderDay, loadOrderHistory } from './order-history-repository.js';

const order = (order_id: string, customer_id: string, placed_at: string, base_total_minor: number) => ({
  order_id,
  customer_id,
  message_id: `m-${order_id}`,
  placed_at,
  currency: 'USD',
  total_minor: base_total_minor,
  base_total_minor,
  revenue_minor: null,
  discount_minor: 0,
  base_discount_minor: 0,
  shipping_minor: 0,
  tax_minor: 0,
  coupon: null,
  item_count: 1,
});

const update = (message_id: string, order_id: string, kind: string, base_amount_minor: number | null) => ({
  message_id,
  order_id,
  customer_id: 'cus_a',
  kind,
  at: '2025-03-10T00:00:00.000Z',
  amount_minor: base_amount_minor,
  currency: 'USD',
  base_amount_minor,
  reason: null,
});

describe.each(DATABASES)('order history read on %s', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    await t.store.db
      .insertInto('orders')
      .values([
        order('o1', 'cus_a', '2025-03-01T23:59:59.000Z', 1000),
        order('o2', 'cus_a', '2025-03-05T08:00:00.000Z', 2000),
        order('o3', 'cus_a', '2025-03-06T08:00:00.000Z', 3000), // cancelled
        order('o4', 'cus_b', '2025-03-02T00:00:00.000Z', 500),
        order('o5', 'cus_b', '2025-03-09T00:00:00.000Z', 800),
      ])
      .execute();
    await t.store.db
      .insertInto('order_updates')
      .values([
        update('u1', 'o3', 'cancelled', null),
        update('u2', 'o2', 'refunded', 1500),
        update('u3', 'o2', 'refunded', 900),
      ])
      .execute();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('returns purchases sorted by customer and day, without cancelled orders, with gross amounts', async () => {
    const h = await loadOrderHistory(t.store);
    expect(h.customerIds).toEqual(['cus_a', 'cus_b']);
    expect(Array.from(h.customer)).toEqual([0, 0, 1, 1]);
    expect(Array.from(h.day)).toEqual(
      ['2025-03-01', '2025-03-05', '2025-03-02', '2025-03-09'].map(dayNumber),
    );
    expect(Array.from(h.amount)).toEqual([1000, 2000, 500, 800]);
  });

  it('includes the whole through-day (UTC) and nothing after it', async () => {
    const h = await loadOrderHistory(t.store, { throughDay: '2025-03-01' });
    expect(h.customerIds).toEqual(['cus_a']);
    expect(Array.from(h.amount)).toEqual([1000]);
  });

  it('subtracts refunds, floored at zero, when asked for net amounts', async () => {
    const h = await loadOrderHistory(t.store, { amounts: 'net' });
    expect(Array.from(h.amount)).toEqual([1000, 0, 500, 800]);
  });

  it('finds the day of the latest non-cancelled order', async () => {
    expect(await latestOrderDay(t.store)).toBe('2025-03-09');
  });
});
