/**
 * The store's implicit feedback as typed columns, the input of every recommendation model:
 * purchase lines (one entry per order and product, quantities summed) and product views.
 * Items and customers are dense indices; `products` says which product each item index is.
 */

export interface CatalogItem {
  readonly productId: string;
  readonly name: string | null;
  readonly category: string | null;
  /** Latest list price seen, base-currency minor units; null when never seen. */
  readonly priceMinor: number | null;
}

export interface InteractionLog {
  readonly products: readonly CatalogItem[];
  readonly customerIds: readonly string[];
  /** Purchase lines sorted by customer, then day, then order. */
  readonly purchases: PurchaseColumns;
  /** Product views sorted by customer, then day. */
  readonly views: ViewColumns;
  /** Order id of each order index in `purchases.order`. */
  readonly orderIds: readonly string[];
}

export interface PurchaseColumns {
  readonly customer: Int32Array;
  /** Order index (into `orderIds`). */
  readonly order: Int32Array;
  readonly item: Int32Array;
  /** UTC day number of the order. */
  readonly day: Int32Array;
  readonly quantity: Int32Array;
}

export interface ViewColumns {
  readonly customer: Int32Array;
  readonly item: Int32Array;
  readonly day: Int32Array;
}

/** Entry index ranges per customer for columns sorted by customer (`start[c] … start[c + 1]`). */
export function customerRanges(customer: Int32Array, customerCount: number): Int32Array {
  const start = new Int32Array(customerCount + 1);
  for (let e = 0; e < customer.length; e++) start[(customer[e] as number) + 1]!++;
  for (let c = 0; c < customerCount; c++) start[c + 1]! += start[c] as number;
  return start;
}
