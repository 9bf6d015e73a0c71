/** The synthetic store's catalog: products with price, margin, replenishment cycle and a latent quality. */
import type { Random } from '../domain/random.js';

export interface Product {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  /** List price in USD minor units (cents). */
  readonly priceMinor: number;
  /** Gross margin as a share of the price, 0–1. */
  readonly margin: number;
  readonly consumable: boolean;
  /** Days one unit lasts for a consumable; null for durable goods. */
  readonly replenishmentDays: number | null;
  /** Latent quality, 0–1: low quality means more defects, returns and bad reviews. */
  readonly quality: number;
  /** Relative popularity within its category. */
  readonly popularity: number;
}

interface CategorySpec {
  readonly name: string;
  readonly code: string;
  readonly count: number;
  readonly price: readonly [number, number];
  readonly margin: readonly [number, number];
  readonly replenishmentDays: number | null;
  readonly adjectives: readonly string[];
  readonly nouns: readonly string[];
}

export const categorySpecs: readonly CategorySpec[] = [
  {
    name: 'coffee',
    code: 'COF',
    count: 34,
    price: [9, 32],
    margin: [0.35, 0.55],
    replenishmentDays: 30,
    adjectives: ['Ethiopia', 'Colombia', 'Sumatra', 'House', 'Espresso', 'Decaf', 'Guatemala', 'Kenya'],
    nouns: ['Whole Bean 250g', 'Whole Bean 1kg', 'Ground 500g', 'Capsules 20pk', 'Cold Brew Pack'],
  },
  {
    name: 'tea',
    code: 'TEA',
    count: 24,
    price: [6, 24],
    margin: [0.45, 0.65],
    replenishmentDays: 45,
    adjectives: ['Sencha', 'Earl Grey', 'Assam', 'Chamomile', 'Rooibos', 'Jasmine', 'Oolong'],
    nouns: ['Loose Leaf 100g', 'Tea Bags 40ct', 'Matcha Tin', 'Sampler Box'],
  },
  {
    name: 'skincare',
    code: 'SKN',
    count: 34,
    price: [12, 68],
    margin: [0.55, 0.75],
    replenishmentDays: 50,
    adjectives: ['Hydrating', 'Vitamin C', 'Retinol', 'Gentle', 'Barrier', 'Overnight', 'Clarifying'],
    nouns: ['Serum 30ml', 'Moisturiser 50ml', 'Cleanser 150ml', 'Eye Cream', 'Face Mask'],
  },
  {
    name: 'supplements',
    code: 'SUP',
    count: 26,
    price: [15, 52],
    margin: [0.5, 0.7],
    replenishmentDays: 60,
    adjectives: ['Magnesium', 'Omega-3', 'Vitamin D3', 'Probiotic', 'Collagen', 'Zinc', 'Ashwagandha'],
    nouns: ['Capsules 60ct', 'Gummies 90ct', 'Powder 300g', 'Softgels 120ct'],
  },
  {
    name: 'pet food',
    code: 'PET',
    count: 20,
    price: [18, 72],
    margin: [0.25, 0.4],
    replenishmentDays: 28,
    adjectives: ['Grain-Free', 'Salmon', 'Chicken', 'Senior', 'Puppy', 'Kitten', 'Lamb'],
    nouns: ['Dry Food 2kg', 'Dry Food 6kg', 'Wet Food 12pk', 'Treats 500g'],
  },
  {
    name: 'apparel',
    code: 'APP',
    count: 38,
    price: [19, 120],
    margin: [0.45, 0.65],
    replenishmentDays: null,
    adjectives: ['Merino', 'Organic Cotton', 'Linen', 'Fleece', 'Recycled', 'Classic', 'Relaxed'],
    nouns: ['T-Shirt', 'Hoodie', 'Socks 3-Pack', 'Chinos', 'Sweater', 'Rain Jacket', 'Beanie'],
  },
  {
    name: 'accessories',
    code: 'ACC',
    count: 26,
    price: [9, 95],
    margin: [0.5, 0.7],
    replenishmentDays: null,
    adjectives: ['Leather', 'Canvas', 'Travel', 'Minimal', 'Insulated', 'Bamboo'],
    nouns: ['Tote Bag', 'Wallet', 'Water Bottle', 'Travel Mug', 'Backpack', 'Card Holder'],
  },
  {
    name: 'home',
    code: 'HOM',
    count: 30,
    price: [12, 150],
    margin: [0.4, 0.6],
    replenishmentDays: null,
    adjectives: ['Ceramic', 'Stoneware', 'Glass', 'Oak', 'Cast Iron', 'Linen', 'Copper'],
    nouns: ['Pour-Over Set', 'Mug Set', 'Teapot', 'Candle', 'Throw Blanket', 'Grinder', 'Kettle'],
  },
];

/** Draws the catalog: 232 products over 8 categories, names unique, prices ending in .99. */
export function drawCatalog(rng: Random): Product[] {
  const products: Product[] = [];
  let n = 0;
  for (const spec of categorySpecs) {
    const names: string[] = [];
    for (const adj of spec.adjectives) for (const noun of spec.nouns) names.push(`${adj} ${noun}`);
    shuffle(names, rng);
    for (let i = 0; i < spec.count; i++) {
      n++;
      const [lo, hi] = spec.price;
      const dollars = Math.max(
        1,
        Math.round(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo)))),
      );
      const consumable = spec.replenishmentDays !== null;
      products.push({
        productId: `prod_${String(n).padStart(4, '0')}`,
        sku: `${spec.code}-${String(i + 1).padStart(3, '0')}`,
        name: names[i % names.length] + (i >= names.length ? ' II' : ''),
        category: spec.name,
        priceMinor: dollars * 100 - 1,
        margin: round2(spec.margin[0] + rng.next() * (spec.margin[1] - spec.margin[0])),
        consumable,
        replenishmentDays: spec.replenishmentDays,
        quality: round2(rng.beta(7, 1.5)),
        popularity: round2(0.05 + rng.gamma(0.8, 1)),
      });
    }
  }
  return products;
}

function shuffle<T>(items: T[], rng: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Picks products by popularity; built once per catalog. */
export interface CatalogIndex {
  readonly products: readonly Product[];
  readonly byId: ReadonlyMap<string, Product>;
  readonly categories: readonly string[];
  pick(rng: Random, category?: string): Product;
}

export function indexCatalog(products: readonly Product[]): CatalogIndex {
  const byCategory = new Map<string, { items: Product[]; cumulative: number[] }>();
  for (const p of products) {
    let entry = byCategory.get(p.category);
    if (!entry) byCategory.set(p.category, (entry = { items: [], cumulative: [] }));
    const last = entry.cumulative[entry.cumulative.length - 1] ?? 0;
    entry.items.push(p);
    entry.cumulative.push(last + p.popularity);
  }
  const categories = [...byCategory.keys()];
  return {
    products,
    byId: new Map(products.map((p) => [p.productId, p])),
    categories,
    pick(rng, category) {
      const entry = byCategory.get(category ?? rng.pick(categories));
      if (!entry) throw new RangeError(`no category ${category}`);
      const total = entry.cumulative[entry.cumulative.length - 1] ?? 0;
      const u = rng.next() * total;
      let lo = 0;
      let hi = entry.cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((entry.cumulative[mid] ?? 0) > u) hi = mid;
        else lo = mid + 1;
      }
      return entry.items[lo] as Product;
    },
  };
}
