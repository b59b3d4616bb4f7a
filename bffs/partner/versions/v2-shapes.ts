/**
 * Partner API v2 shapes, pure: camelCase, nested objects, money as `{ amountCents, currency }`,
 * cursor paging. Upstream records in, v2 bodies out.
 */
import type { InventoryRecord, OrderRecord, ProductRecord, UserRecord } from './order-detail';

export const CURRENCY = 'USD';

export interface Money {
  amountCents: number;
  currency: string;
}

export interface ProductRecordV2Input extends ProductRecord {
  price: number;
  category: string;
}

export interface StockRecordInput extends InventoryRecord {
  quantity: number;
}

export function money(amountCents: number): Money {
  return { amountCents, currency: CURRENCY };
}

export function toProductV2(product: ProductRecordV2Input, stock: StockRecordInput | undefined) {
  return {
    upc: product.upc,
    name: product.name,
    category: product.category,
    imageUrl: product.imageUrl,
    price: money(product.price),
    stock: stock ? { inStock: stock.inStock, quantity: stock.quantity } : null,
  };
}

export function toOrderV2(order: OrderRecord, customer: UserRecord | undefined, productOf: (upc: string) => ProductRecord | undefined, stockOf: (upc: string) => InventoryRecord | undefined) {
  return {
    id: order.id,
    status: order.status,
    createdAt: order.createdAt,
    total: money(order.totalCents),
    customer: customer ? { id: customer.id, username: customer.username, name: customer.name } : { id: order.customerId, username: null, name: null },
    items: order.items.map((item) => {
      const product = productOf(item.productUpc);
      return {
        quantity: item.quantity,
        unitPrice: money(item.unitPriceCents),
        product: { upc: item.productUpc, name: product?.name ?? null, imageUrl: product?.imageUrl ?? null, inStock: stockOf(item.productUpc)?.inStock ?? null },
      };
    }),
  };
}

export interface CustomerProfileData {
  user: {
    id: string;
    username: string;
    name: string;
    reviews: Array<{ id: string; rating: number; product: { upc: string; name: string } }>;
    orders: Array<{ id: string; status: string; createdAt: string; totalCents: number }> | null;
  } | null;
}

export function toCustomerV2(user: NonNullable<CustomerProfileData['user']>) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    reviews: user.reviews.map((r) => ({ id: r.id, rating: r.rating, product: { upc: r.product.upc, name: r.product.name } })),
    recentOrders: (user.orders ?? []).map((o) => ({ id: o.id, status: o.status, createdAt: o.createdAt, total: money(o.totalCents) })),
  };
}

/** Opaque cursors: clients pass them back unchanged; the offset inside is an implementation detail. */
export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

/** The offset a cursor points at; undefined when it is not a cursor this API issued. */
export function decodeCursor(cursor: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    return Number.isInteger(parsed.o) && (parsed.o as number) >= 0 && (parsed.o as number) <= 1_000_000 ? (parsed.o as number) : undefined;
  } catch {
    return undefined;
  }
}

/** The page block of a v2 list: the next cursor while more items remain. */
export function pageOf(offset: number, limit: number, total: number): { limit: number; nextCursor: string | null } {
  return { limit, nextCursor: offset + limit < total ? encodeCursor(offset + limit) : null };
}
