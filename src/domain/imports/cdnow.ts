/**
 * The CDNOW transaction logs (Fader, Hardie & Lee 2005), as distributed with the `lifetimes`
 * library: whitespace-separated, `CDNOW_sample.txt` without a header
 * (`master_id sample_id YYYYMMDD cds dollars`, customer = sample id) and `CDNOW_master.txt` with one
 * (`customer_id YYYYMMDD cds dollars`). Each row is one order in USD.
 */
import type { Result } from '../result.js';
import { err, ok } from '../result.js';

export function cdnowLineToEvents(line: string, lineNo: number): Result<unknown[] | null, string> {
  const cols = line.trim().split(/\s+/);
  if (cols.length === 4 && cols[0] === 'customer_id') return ok(null); // the master file's header
  if (cols.length !== 4 && cols.length !== 5) return err(`expected 4 or 5 columns, found ${cols.length}`);
  const [customer, date, cds, dollars] = cols.length === 5 ? cols.slice(1) : cols;
  if (!/^\d{8}$/.test(date ?? '')) return err(`date: "${date}" is not YYYYMMDD`);
  if (!/^\d+(\.\d+)?$/.test(dollars ?? '')) return err(`dollar value: "${dollars}" is not an amount`);
  const d = date as string;
  const userId = `cdnow_${Number(customer)}`;
  return ok([
    {
      type: 'track',
      event: 'Order Completed',
      messageId: `cdnow:${userId}:${lineNo}`,
      userId,
      timestamp: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`,
      properties: {
        order_id: `cdnow-${userId}-${lineNo}`,
        total: dollars,
        currency: 'USD',
        products: [{ product_id: 'cd', category: 'music', quantity: Number(cds) }],
      },
    },
  ]);
}
