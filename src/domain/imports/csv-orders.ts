/**
 * Maps order exports (CSV rows, already parsed into objects by header) onto Segment events, so that
 * imported orders go through exactly the same validation, identity resolution and idempotency as
 * events sent to the API. Pure: rows in, events (or a reason) out.
 *
 * Both formats allow one row per line item: consecutive rows with the same order id form one order,
 * and the order-level fields are read from the first of them.
 */
import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export type CsvRow = Readonly<Record<string, string | undefined>>;

export interface RowGroup {
  /** 1-based line numbers of the first and last row of the order. */
  readonly firstLine: number;
  readonly lastLine: number;
  readonly rows: readonly CsvRow[];
}

const blank = (v: string | undefined): boolean => v === undefined || v.trim() === '';
const val = (row: CsvRow, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = row[n];
    if (!blank(v)) return (v as string).trim();
  }
  return undefined;
};

/** Decimal strings as stores export them: "29.33", "1,299.00", "$12.50" → "29.33", "1299.00", "12.50". */
export function cleanAmount(v: string | undefined): string | undefined {
  if (blank(v)) return undefined;
  return (v as string)
    .trim()
    .replace(/[$€£¥\s]/g, '')
    .replace(/,(?=\d{3}(\D|$))/g, '');
}

/** "2024-03-01 12:34:56 -0500" (Shopify) or any ISO form → ISO 8601. Returns undefined if unparseable. */
export function parseExportTime(v: string | undefined): string | undefined {
  if (blank(v)) return undefined;
  const s = (v as string).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*(?:([+-])(\d{2}):?(\d{2})|Z|UTC)?$/.exec(s);
  if (m) {
    const offset = m[3] ? `${m[3]}${m[4]}:${m[5]}` : 'Z';
    const time = m[2]?.length === 5 ? `${m[2]}:00` : m[2];
    return `${m[1]}T${time}${offset}`;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T00:00:00Z`;
  return Number.isNaN(Date.parse(s)) ? undefined : new Date(s).toISOString();
}

// --- Patron's minimal orders CSV ---

/**
 * `orders-csv`: order_id, customer_id, created_at, total, and optionally currency, email, phone,
 * discount_total, shipping_total, tax_total, coupon, and line-item columns line_product_id,
 * line_sku, line_name, line_category, line_price, line_quantity.
 */
export const ORDERS_CSV_REQUIRED = ['order_id', 'customer_id', 'created_at', 'total'] as const;

export function ordersCsvGroupKey(row: CsvRow): string | undefined {
  return val(row, 'order_id');
}

export function ordersCsvToEvents(group: RowGroup): Result<unknown[], string> {
  const first = group.rows[0];
  if (!first) return err('empty order');
  for (const col of ORDERS_CSV_REQUIRED) if (blank(first[col])) return err(`${col}: is required`);
  const timestamp = parseExportTime(first.created_at);
  if (!timestamp) return err(`created_at: "${first.created_at}" is not a date and time`);
  const orderId = val(first, 'order_id') as string;
  const products = group.rows
    .filter((r) => !blank(r.line_product_id) || !blank(r.line_sku) || !blank(r.line_name))
    .map((r) => {
      const quantity = val(r, 'line_quantity');
      return {
        ...(val(r, 'line_product_id') ? { product_id: val(r, 'line_product_id') } : {}),
        ...(val(r, 'line_sku') ? { sku: val(r, 'line_sku') } : {}),
        ...(val(r, 'line_name') ? { name: val(r, 'line_name') } : {}),
        ...(val(r, 'line_category') ? { category: val(r, 'line_category') } : {}),
        ...(cleanAmount(r.line_price) ? { price: cleanAmount(r.line_price) } : {}),
        ...(quantity !== undefined ? { quantity: Number(quantity) } : {}),
      };
    });
  const email = val(first, 'email');
  const phone = val(first, 'phone');
  return ok([
    {
      type: 'track',
      event: 'Order Completed',
      messageId: `orders-csv:${orderId}`,
      userId: val(first, 'customer_id'),
      timestamp,
      ...(email || phone
        ? { context: { traits: { ...(email ? { email } : {}), ...(phone ? { phone } : {}) } } }
        : {}),
      properties: {
        order_id: orderId,
        total: cleanAmount(first.total),
        ...(val(first, 'currency') ? { currency: val(first, 'currency') } : {}),
        ...(cleanAmount(first.discount_total) ? { discount: cleanAmount(first.discount_total) } : {}),
        ...(cleanAmount(first.shipping_total) ? { shipping: cleanAmount(first.shipping_total) } : {}),
        ...(cleanAmount(first.tax_total) ? { tax: cleanAmount(first.tax_total) } : {}),
        ...(val(first, 'coupon') ? { coupon: val(first, 'coupon') } : {}),
        ...(products.length > 0 ? { products } : {}),
      },
    },
  ]);
}

// --- Shopify admin orders export ---

export const SHOPIFY_REQUIRED = ['Name', 'Created at', 'Total'] as const;

export function shopifyGroupKey(row: CsvRow): string | undefined {
  return val(row, 'Name');
}

/**
 * One Shopify order (its rows) → Order Completed, plus Order Cancelled when `Cancelled at` is set,
 * Order Refunded when `Refunded Amount` > 0 (timestamped at cancellation or creation: the export
 * has no refund date), and Consent Updated from `Accepts Marketing`. The customer is identified by
 * email (or phone): the export carries no customer id, so the order joins the customer who has
 * that email.
 */
export function shopifyToEvents(group: RowGroup): Result<unknown[], string> {
  const first = group.rows[0];
  if (!first) return err('empty order');
  for (const col of SHOPIFY_REQUIRED) if (blank(first[col])) return err(`${col}: is required`);
  const created = parseExportTime(first['Created at']);
  if (!created) return err(`Created at: "${first['Created at']}" is not a date and time`);
  const email = val(first, 'Email')?.toLowerCase();
  const phone = val(first, 'Phone', 'Billing Phone', 'Shipping Phone');
  if (!email && !phone) return err('Email: an order needs an Email or Phone to identify its customer');
  const orderId = val(first, 'Id') ?? (val(first, 'Name') as string);
  const currency = val(first, 'Currency');
  const identity = {
    anonymousId: `shopify:${email ?? phone}`,
    context: { traits: { ...(email ? { email } : {}), ...(phone ? { phone } : {}) } },
  };
  const products = group.rows
    .filter((r) => !blank(r['Lineitem name']) || !blank(r['Lineitem sku']))
    .map((r) => ({
      ...(val(r, 'Lineitem sku') ? { sku: val(r, 'Lineitem sku'), product_id: val(r, 'Lineitem sku') } : {}),
      ...(val(r, 'Lineitem name') ? { name: val(r, 'Lineitem name') } : {}),
      ...(cleanAmount(r['Lineitem price']) ? { price: cleanAmount(r['Lineitem price']) } : {}),
      quantity: Number(val(r, 'Lineitem quantity') ?? '1'),
      ...(val(r, 'Vendor') ? { brand: val(r, 'Vendor') } : {}),
    }));
  const events: unknown[] = [
    {
      type: 'track',
      event: 'Order Completed',
      messageId: `shopify:${orderId}:completed`,
      timestamp: created,
      ...identity,
      properties: {
        order_id: orderId,
        order_name: val(first, 'Name'),
        total: cleanAmount(first.Total),
        ...(cleanAmount(first.Subtotal) ? { subtotal: cleanAmount(first.Subtotal) } : {}),
        ...(cleanAmount(first.Shipping) ? { shipping: cleanAmount(first.Shipping) } : {}),
        ...(cleanAmount(first.Taxes) ? { tax: cleanAmount(first.Taxes) } : {}),
        ...(cleanAmount(first['Discount Amount']) ? { discount: cleanAmount(first['Discount Amount']) } : {}),
        ...(val(first, 'Discount Code') ? { coupon: val(first, 'Discount Code') } : {}),
        ...(currency ? { currency } : {}),
        products,
      },
    },
  ];
  const cancelled = parseExportTime(first['Cancelled at']);
  if (!blank(first['Cancelled at']) && !cancelled) {
    return err(`Cancelled at: "${first['Cancelled at']}" is not a date and time`);
  }
  if (cancelled) {
    events.push({
      type: 'track',
      event: 'Order Cancelled',
      messageId: `shopify:${orderId}:cancelled`,
      timestamp: cancelled,
      ...identity,
      properties: { order_id: orderId, ...(currency ? { currency } : {}) },
    });
  }
  const refunded = cleanAmount(first['Refunded Amount']);
  if (refunded !== undefined && Number(refunded) > 0) {
    events.push({
      type: 'track',
      event: 'Order Refunded',
      messageId: `shopify:${orderId}:refunded`,
      timestamp: cancelled ?? created,
      ...identity,
      properties: { order_id: orderId, total: refunded, ...(currency ? { currency } : {}) },
    });
  }
  const accepts = val(first, 'Accepts Marketing')?.toLowerCase();
  if (accepts === 'yes' || accepts === 'no' || accepts === 'true' || accepts === 'false') {
    events.push({
      type: 'track',
      event: 'Consent Updated',
      messageId: `shopify:${orderId}:consent`,
      timestamp: created,
      ...identity,
      properties: {
        channel: 'email',
        purpose: 'marketing',
        granted: accepts === 'yes' || accepts === 'true',
      },
    });
  }
  return ok(events);
}
