/**
 * Partner API v1: passthrough to the REST services, plus the order detail aggregate
 * that joins an order with its customer and the products it contains.
 */
import { PorticoError } from '../../../shared/errors';
import type { AggregateRequest, RouteTable } from '../../../shared/rest/route-table';
import { expectOk } from '../../../shared/rest/upstream-caller';
import { toOrderDetailV1, type OrderRecord, type ProductRecord, type InventoryRecord, type UserRecord } from './order-detail';
import { migrationNotesV1ToV2 } from './migration';
import { inventoryDocs, orderDetailV1Schema, ordersReadDocs, ordersWriteDocs, productsDocs, reviewsDocs, usersDocs } from './v1-schemas';
import v1Examples from './examples/v1.json';

interface Page<T> {
  items: T[];
}

/** GET /v1/orders/:id: order, customer, products and stock fetched concurrently, shaped for v1. */
async function orderDetail({ params, upstreams }: AggregateRequest): Promise<unknown> {
  const id = params.id ?? '';
  const orderResponse = await upstreams.getJson<OrderRecord>('orders', `/orders/${encodeURIComponent(id)}`);
  if (orderResponse.statusCode === 404) throw new PorticoError('NOT_FOUND', `Order '${id}' was not found.`);
  const order = expectOk('orders', orderResponse);
  const upcs = [...new Set(order.items.map((item) => item.productUpc))].join(',');
  // One call per service for the whole order, issued together.
  const [customer, products, inventory] = await Promise.all([
    upstreams.getJson<UserRecord>('accounts', `/users/${encodeURIComponent(order.customerId)}`),
    upstreams.getJson<Page<ProductRecord>>('products', '/products', { upcs, limit: '100' }),
    upstreams.getJson<Page<InventoryRecord>>('inventory', '/inventory', { upcs, limit: '100' }),
  ]);
  return toOrderDetailV1(
    order,
    customer.statusCode === 404 ? undefined : expectOk('accounts', customer),
    expectOk('products', products).items,
    expectOk('inventory', inventory).items,
  );
}

export const v1Routes: RouteTable = {
  version: 'v1',
  // v2 is the successor: v1 keeps working until its sunset, and says so on every response.
  deprecation: { since: '2026-11-01', sunset: '2027-06-30', successor: '/v2', migrationNotes: migrationNotesV1ToV2 },
  // Real answers of the demo services to these requests (test/integration/partner-docs.test.ts replays them).
  examples: v1Examples,
  routes: [
    // Customers are personal data: listing them needs its scope; their email and sign-up date
    // are projected out by accounts unless the key also holds `customers:pii`.
    { kind: 'passthrough', prefix: '/v1/users', upstream: 'accounts', rewritePrefix: '/users', methods: ['GET', 'HEAD'], auth: { scopes: ['customers:read'] }, docs: usersDocs },
    { kind: 'passthrough', prefix: '/v1/products', upstream: 'products', rewritePrefix: '/products', methods: ['GET', 'HEAD'], docs: productsDocs },
    { kind: 'passthrough', prefix: '/v1/inventory', upstream: 'inventory', rewritePrefix: '/inventory', methods: ['GET', 'HEAD'], docs: inventoryDocs },
    { kind: 'passthrough', prefix: '/v1/reviews', upstream: 'reviews', rewritePrefix: '/reviews', methods: ['GET', 'HEAD'], docs: reviewsDocs },
    // Orders are the partner's own business data: reading and placing them need their scopes.
    { kind: 'passthrough', prefix: '/v1/orders', upstream: 'orders', rewritePrefix: '/orders', methods: ['GET', 'HEAD'], auth: { scopes: ['orders:read'] }, docs: ordersReadDocs },
    { kind: 'passthrough', prefix: '/v1/orders', upstream: 'orders', rewritePrefix: '/orders', methods: ['POST'], auth: { scopes: ['orders:write'] }, docs: ordersWriteDocs },
    {
      kind: 'aggregate',
      method: 'GET',
      path: '/v1/orders/:id',
      description: 'An order with its customer and line items joined with product names and stock.',
      handler: orderDetail,
      auth: { scopes: ['orders:read'] },
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,12}$' } } } },
      response: orderDetailV1Schema,
    },
  ],
};
