/**
 * Deterministic demo data for the upstream services: the same seed always yields the
 * same users, products, stock, reviews and orders, so tests and benchmarks can compare
 * responses byte for byte across runs and processes.
 *
 * Every service builds its own copy with `createDemoData()`; the orders service mutates
 * its copy when partners place orders, which must never leak into another instance.
 */

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  email: string;
  createdAt: string;
}

export interface ProductRecord {
  upc: string;
  name: string;
  /** Price in cents. */
  price: number;
  /** Weight in grams. */
  weight: number;
  description: string;
  category: string;
  imageUrl: string;
}

export interface StockRecord {
  upc: string;
  inStock: boolean;
  quantity: number;
}

export interface ReviewRecord {
  id: string;
  body: string;
  rating: number;
  authorId: string;
  productUpc: string;
}

export const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderItemRecord {
  productUpc: string;
  quantity: number;
  /** Product price at the time of ordering, in cents. */
  unitPriceCents: number;
}

export interface OrderRecord {
  id: string;
  customerId: string;
  status: OrderStatus;
  createdAt: string;
  items: OrderItemRecord[];
  totalCents: number;
}

export interface DemoData {
  users: UserRecord[];
  products: ProductRecord[];
  stock: StockRecord[];
  reviews: ReviewRecord[];
  orders: OrderRecord[];
  userById: Map<string, UserRecord>;
  productByUpc: Map<string, ProductRecord>;
  stockByUpc: Map<string, StockRecord>;
  reviewById: Map<string, ReviewRecord>;
  reviewsByAuthor: Map<string, ReviewRecord[]>;
  reviewsByProduct: Map<string, ReviewRecord[]>;
  orderById: Map<string, OrderRecord>;
  /** Each customer's orders, most recent first. */
  ordersByCustomer: Map<string, OrderRecord[]>;
}

export interface SeedSizes {
  users: number;
  products: number;
  reviews: number;
  orders: number;
}

export const DEFAULT_SEED = 20261123;
export const DEFAULT_SIZES: SeedSizes = { users: 60, products: 40, reviews: 300, orders: 150 };

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; enough for demo data. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  return { next, int, pick };
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Linus', 'Radia', 'Ken', 'Frances', 'Dennis', 'Hedy', 'Tim', 'Katherine', 'Guido', 'Annie', 'Bjarne', 'Shafi', 'Niklaus'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds', 'Perlman', 'Thompson', 'Allen', 'Ritchie', 'Lamarr', 'Berners-Lee', 'Johnson', 'van Rossum', 'Easley', 'Stroustrup', 'Goldwasser', 'Wirth'];
const ADJECTIVES = ['Compact', 'Deluxe', 'Rugged', 'Silent', 'Smart', 'Classic', 'Portable', 'Modular', 'Solar', 'Vintage', 'Ergonomic', 'Wireless'];
const NOUNS = ['Kettle', 'Lantern', 'Desk Lamp', 'Backpack', 'Headphones', 'Chair', 'Grill', 'Notebook', 'Speaker', 'Tent', 'Blender', 'Bookshelf', 'Monitor', 'Bicycle'];
const CATEGORIES = ['kitchen', 'outdoor', 'office', 'audio', 'home', 'sports'];
const REVIEW_OPENINGS = ['Love it.', 'Does the job.', 'Not what I expected.', 'Great value.', 'Would buy again.', 'Arrived late but works.', 'Solid build quality.', 'Too expensive for what it is.'];
const REVIEW_DETAILS = ['Setup took five minutes.', 'The finish scratches easily.', 'My whole family uses it.', 'Battery life is excellent.', 'Support answered within a day.', 'Smaller than in the photos.', 'Quiet and reliable.', 'The manual is confusing.'];

const EPOCH = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

function isoDay(random: ReturnType<typeof createRandom>, withinDays: number): string {
  return new Date(EPOCH + random.int(0, withinDays) * DAY_MS + random.int(0, DAY_MS - 1)).toISOString();
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Builds a fresh, independent copy of the demo data. */
export function createDemoData(seed = DEFAULT_SEED, sizes: SeedSizes = DEFAULT_SIZES): DemoData {
  const random = createRandom(seed);

  const users: UserRecord[] = [];
  for (let i = 1; i <= sizes.users; i++) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const username = `${first}${last}`.toLowerCase().replace(/[^a-z]/g, '') + i;
    users.push({ id: String(i), username, name: `${first} ${last}`, email: `${username}@example.com`, createdAt: isoDay(random, 365) });
  }

  const products: ProductRecord[] = [];
  const stock: StockRecord[] = [];
  for (let i = 1; i <= sizes.products; i++) {
    const upc = String(i);
    const name = `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`;
    const category = random.pick(CATEGORIES);
    // Roughly one product in eight is expensive enough (> 1000.00) to ship free.
    const price = random.next() < 0.125 ? random.int(100_001, 250_000) : random.int(499, 99_999);
    const weight = random.int(50, 20_000);
    products.push({
      upc,
      name,
      price,
      weight,
      description: `${name} for ${category} use, ${(weight / 1000).toFixed(1)} kg.`,
      category,
      imageUrl: `https://img.portico.dev/products/${upc}.jpg`,
    });
    const inStock = random.next() < 0.8;
    stock.push({ upc, inStock, quantity: inStock ? random.int(1, 500) : 0 });
  }

  const reviews: ReviewRecord[] = [];
  for (let i = 0; i < sizes.reviews; i++) {
    // The first rounds give every user two reviews and every product three; the rest is random.
    const author = i < sizes.users * 2 ? users[i % sizes.users] : random.pick(users);
    const product = i < sizes.products * 3 ? products[i % sizes.products] : random.pick(products);
    reviews.push({
      id: String(i + 1),
      body: `${random.pick(REVIEW_OPENINGS)} ${random.pick(REVIEW_DETAILS)}`,
      rating: random.int(1, 5),
      authorId: (author as UserRecord).id,
      productUpc: (product as ProductRecord).upc,
    });
  }

  const orders: OrderRecord[] = [];
  for (let i = 0; i < sizes.orders; i++) {
    const customer = i < sizes.users ? users[i] : random.pick(users);
    const items: OrderItemRecord[] = [];
    const lineCount = random.int(1, 4);
    for (let line = 0; line < lineCount; line++) {
      const product = random.pick(products);
      if (items.some((item) => item.productUpc === product.upc)) continue;
      items.push({ productUpc: product.upc, quantity: random.int(1, 5), unitPriceCents: product.price });
    }
    orders.push({
      id: String(i + 1),
      customerId: (customer as UserRecord).id,
      status: random.pick(ORDER_STATUSES),
      createdAt: isoDay(random, 600),
      items,
      totalCents: orderTotal(items),
    });
  }

  return indexDemoData({ users, products, stock, reviews, orders });
}

export function orderTotal(items: readonly OrderItemRecord[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

function byRecency(a: OrderRecord, b: OrderRecord): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : Number(b.id) - Number(a.id);
}

function indexDemoData(base: Pick<DemoData, 'users' | 'products' | 'stock' | 'reviews' | 'orders'>): DemoData {
  const ordersByCustomer = groupBy(base.orders, (o) => o.customerId);
  for (const list of ordersByCustomer.values()) list.sort(byRecency);
  return {
    ...base,
    userById: new Map(base.users.map((u) => [u.id, u])),
    productByUpc: new Map(base.products.map((p) => [p.upc, p])),
    stockByUpc: new Map(base.stock.map((s) => [s.upc, s])),
    reviewById: new Map(base.reviews.map((r) => [r.id, r])),
    reviewsByAuthor: groupBy(base.reviews, (r) => r.authorId),
    reviewsByProduct: groupBy(base.reviews, (r) => r.productUpc),
    orderById: new Map(base.orders.map((o) => [o.id, o])),
    ordersByCustomer,
  };
}

/** Adds an order to the data and its indexes (the orders service's write path). */
export function addOrder(data: DemoData, order: Omit<OrderRecord, 'id'>): OrderRecord {
  const created: OrderRecord = { ...order, id: String(data.orders.length + 1) };
  data.orders.push(created);
  data.orderById.set(created.id, created);
  const list = data.ordersByCustomer.get(created.customerId) ?? [];
  list.push(created);
  list.sort(byRecency);
  data.ordersByCustomer.set(created.customerId, list);
  return created;
}
