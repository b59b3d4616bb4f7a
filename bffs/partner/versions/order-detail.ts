/**
 * Pure shaping of the v1 order detail: upstream records in, the flat snake_case body
 * partners receive out. Missing joined records degrade to nulls rather than failing,
 * since the order itself is the resource.
 */

export interface OrderRecord {
  id: string;
  customerId: string;
  status: string;
  createdAt: string;
  items: Array<{ productUpc: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
}

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  email: string;
}

export interface ProductRecord {
  upc: string;
  name: string;
  imageUrl: string;
}

export interface InventoryRecord {
  upc: string;
  inStock: boolean;
}

export interface OrderDetailV1 {
  order_id: string;
  status: string;
  created_at: string;
  total_cents: number;
  customer_id: string;
  customer_username: string | null;
  customer_name: string | null;
  customer_email: string | null;
  items: Array<{
    upc: string;
    product_name: string | null;
    image_url: string | null;
    in_stock: boolean | null;
    quantity: number;
    unit_price_cents: number;
  }>;
}

export function toOrderDetailV1(order: OrderRecord, customer: UserRecord | undefined, products: ProductRecord[], inventory: InventoryRecord[]): OrderDetailV1 {
  const productByUpc = new Map(products.map((p) => [p.upc, p]));
  const stockByUpc = new Map(inventory.map((i) => [i.upc, i.inStock]));
  return {
    order_id: order.id,
    status: order.status,
    created_at: order.createdAt,
    total_cents: order.totalCents,
    customer_id: order.customerId,
    customer_username: customer?.username ?? null,
    customer_name: customer?.name ?? null,
    customer_email: customer?.email ?? null,
    items: order.items.map((item) => ({
      upc: item.productUpc,
      product_name: productByUpc.get(item.productUpc)?.name ?? null,
      image_url: productByUpc.get(item.productUpc)?.imageUrl ?? null,
      in_stock: stockByUpc.get(item.productUpc) ?? null,
      quantity: item.quantity,
      unit_price_cents: item.unitPriceCents,
    })),
  };
}
