/**
 * Partner API v2: camelCase, nested objects, money with its currency, cursor paging.
 * Every route is an aggregate over the REST services; lookups of many products or stock
 * records are batched per request (one call per service, however many items).
 */
import { PorticoError } from '../../../shared/errors';
import { createBatchLoader } from '../../../shared/rest/batch-loader';
import type { AggregateRequest, RouteTable } from '../../../shared/rest/route-table';
import { expectOk, type UpstreamCaller } from '../../../shared/rest/upstream-caller';
import type { OrderRecord, UserRecord } from './order-detail';
import v2Examples from './examples/v2.json';
import { decodeCursor, pageOf, toCustomerV2, toOrderV2, toProductV2, type CustomerProfileData, type ProductRecordV2Input, type StockRecordInput } from './v2-shapes';

interface Page<T> {
  items: T[];
  total: number;
}

const DEFAULT_LIMIT = 20;

const pagingSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { type: 'string', minLength: 1, maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
  },
} as const;

const moneySchema = { type: 'object', required: ['amountCents', 'currency'], properties: { amountCents: { type: 'integer' }, currency: { type: 'string' } } } as const;
const nullableString = { type: ['string', 'null'] } as const;

const productSchema = {
  type: 'object',
  required: ['upc', 'name', 'category', 'imageUrl', 'price', 'stock'],
  properties: {
    upc: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string' },
    imageUrl: { type: 'string' },
    price: moneySchema,
    stock: { type: ['object', 'null'], properties: { inStock: { type: 'boolean' }, quantity: { type: 'integer' } } },
  },
} as const;

const orderSchema = {
  type: 'object',
  required: ['id', 'status', 'createdAt', 'total', 'customer', 'items'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] },
    createdAt: { type: 'string' },
    total: moneySchema,
    customer: { type: 'object', properties: { id: { type: 'string' }, username: nullableString, name: nullableString } },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          quantity: { type: 'integer' },
          unitPrice: moneySchema,
          product: { type: 'object', properties: { upc: { type: 'string' }, name: nullableString, imageUrl: nullableString, inStock: { type: ['boolean', 'null'] } } },
        },
      },
    },
  },
} as const;

const customerSchema = {
  type: 'object',
  required: ['id', 'username', 'name', 'reviews', 'recentOrders'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    name: { type: 'string' },
    reviews: {
      type: 'array',
      items: { type: 'object', required: ['id', 'rating', 'product'], properties: { id: { type: 'string' }, rating: { type: 'integer', minimum: 1, maximum: 5 }, product: { type: 'object', required: ['upc', 'name'], properties: { upc: { type: 'string' }, name: { type: 'string' } } } } },
    },
    recentOrders: {
      type: 'array',
      description: 'The five most recent, newest first.',
      items: { type: 'object', required: ['id', 'status', 'createdAt', 'total'], properties: { id: { type: 'string' }, status: orderSchema.properties.status, createdAt: { type: 'string' }, total: moneySchema } },
    },
  },
} as const;

const pageOfSchema = (item: object) =>
  ({
    type: 'object',
    required: ['data', 'page'],
    properties: { data: { type: 'array', items: item }, page: { type: 'object', properties: { limit: { type: 'integer' }, nextCursor: nullableString } } },
  }) as const;

const idParams = (name: string) => ({ type: 'object', required: [name], properties: { [name]: { type: 'string', pattern: '^[0-9]{1,12}$' } } }) as const;

function paging(query: AggregateRequest['query']): { offset: number; limit: number } {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (query.cursor === undefined) return { offset: 0, limit };
  const offset = decodeCursor(String(query.cursor));
  if (offset === undefined) throw new PorticoError('VALIDATION_FAILED', "querystring/cursor is not a cursor this API issued; pass back 'nextCursor' unchanged.");
  return { offset, limit };
}

/** One batched lookup per service for everything an aggregate touches. */
function catalogueLoaders(upstreams: UpstreamCaller) {
  return {
    products: createBatchLoader<string, ProductRecordV2Input>(async (upcs) => {
      const page = expectOk('products', await upstreams.getJson<Page<ProductRecordV2Input>>('products', '/products', { upcs: upcs.join(','), limit: '100' }));
      return new Map(page.items.map((p) => [p.upc, p]));
    }),
    stock: createBatchLoader<string, StockRecordInput>(async (upcs) => {
      const page = expectOk('inventory', await upstreams.getJson<Page<StockRecordInput>>('inventory', '/inventory', { upcs: upcs.join(','), limit: '100' }));
      return new Map(page.items.map((s) => [s.upc, s]));
    }),
  };
}

async function listProducts({ query, upstreams }: AggregateRequest) {
  const { offset, limit } = paging(query);
  const page = expectOk('products', await upstreams.getJson<Page<ProductRecordV2Input>>('products', '/products', { offset: String(offset), limit: String(limit) }));
  const loaders = catalogueLoaders(upstreams);
  const stock = await Promise.all(page.items.map((p) => loaders.stock.load(p.upc)));
  return { data: page.items.map((p, i) => toProductV2(p, stock[i])), page: pageOf(offset, limit, page.total) };
}

async function getProduct({ params, upstreams }: AggregateRequest) {
  const upc = params.upc ?? '';
  const [product, stock] = await Promise.all([
    upstreams.getJson<ProductRecordV2Input>('products', `/products/${encodeURIComponent(upc)}`),
    upstreams.getJson<StockRecordInput>('inventory', `/inventory/${encodeURIComponent(upc)}`),
  ]);
  if (product.statusCode === 404) throw new PorticoError('NOT_FOUND', `Product '${upc}' was not found.`);
  return toProductV2(expectOk('products', product), stock.statusCode === 404 ? undefined : expectOk('inventory', stock));
}

async function shapeOrders(orders: OrderRecord[], upstreams: UpstreamCaller, customers: Map<string, UserRecord | undefined>) {
  const loaders = catalogueLoaders(upstreams);
  const upcs = [...new Set(orders.flatMap((o) => o.items.map((i) => i.productUpc)))];
  const [products, stock] = await Promise.all([Promise.all(upcs.map((u) => loaders.products.load(u))), Promise.all(upcs.map((u) => loaders.stock.load(u)))]);
  const productByUpc = new Map(upcs.map((u, i) => [u, products[i]]));
  const stockByUpc = new Map(upcs.map((u, i) => [u, stock[i]]));
  return orders.map((o) => toOrderV2(o, customers.get(o.customerId), (u) => productByUpc.get(u), (u) => stockByUpc.get(u)));
}

async function getOrder({ params, upstreams }: AggregateRequest) {
  const id = params.id ?? '';
  const response = await upstreams.getJson<OrderRecord>('orders', `/orders/${encodeURIComponent(id)}`);
  if (response.statusCode === 404) throw new PorticoError('NOT_FOUND', `Order '${id}' was not found.`);
  const order = expectOk('orders', response);
  const customer = await upstreams.getJson<UserRecord>('accounts', `/users/${encodeURIComponent(order.customerId)}`);
  const [shaped] = await shapeOrders([order], upstreams, new Map([[order.customerId, customer.statusCode === 404 ? undefined : expectOk('accounts', customer)]]));
  return shaped;
}

/** A customer's orders, each with its items' products and stock: one call per service for the whole page. */
async function listCustomerOrders({ params, query, upstreams }: AggregateRequest) {
  const id = params.id ?? '';
  const { offset, limit } = paging(query);
  const [customer, page] = await Promise.all([
    upstreams.getJson<UserRecord>('accounts', `/users/${encodeURIComponent(id)}`),
    upstreams.getJson<Page<OrderRecord>>('orders', '/orders', { customerId: id, offset: String(offset), limit: String(limit) }),
  ]);
  if (customer.statusCode === 404) throw new PorticoError('NOT_FOUND', `Customer '${id}' was not found.`);
  const orders = expectOk('orders', page);
  const data = await shapeOrders(orders.items, upstreams, new Map([[id, expectOk('accounts', customer)]]));
  return { data, page: pageOf(offset, limit, orders.total) };
}

/** Backed by the registered CustomerProfile query (accounts, reviews, products, orders in one plan). */
async function getCustomer({ params, graphql }: AggregateRequest) {
  const id = params.id ?? '';
  const { user } = await graphql<CustomerProfileData>('CustomerProfile', { id });
  if (!user) throw new PorticoError('NOT_FOUND', `Customer '${id}' was not found.`);
  return toCustomerV2(user);
}

export const v2Routes: RouteTable = {
  version: 'v2',
  // Real answers of the demo services to these requests (test/integration/partner-docs.test.ts replays them).
  examples: v2Examples,
  routes: [
    { kind: 'aggregate', method: 'GET', path: '/v2/products', description: 'Products with price and stock, cursor-paged.', handler: listProducts, schema: { querystring: pagingSchema }, response: pageOfSchema(productSchema) },
    { kind: 'aggregate', method: 'GET', path: '/v2/products/:upc', description: 'One product with price and stock.', handler: getProduct, schema: { params: idParams('upc') }, response: productSchema },
    { kind: 'aggregate', method: 'GET', path: '/v2/orders/:id', description: 'An order with its customer, and each item with its product and stock.', handler: getOrder, schema: { params: idParams('id') }, response: orderSchema, auth: { scopes: ['orders:read'] } },
    {
      kind: 'aggregate',
      method: 'GET',
      path: '/v2/customers/:id',
      description: 'A customer with their reviews and five most recent orders (one federated query).',
      handler: getCustomer,
      operation: 'CustomerProfile',
      // A customer's profile and their orders: both scopes, as the routes serving each alone ask.
      auth: { scopes: ['customers:read', 'orders:read'] },
      schema: { params: idParams('id') },
      response: customerSchema,
    },
    {
      kind: 'aggregate',
      method: 'GET',
      path: '/v2/customers/:id/orders',
      description: "A customer's orders, most recent first, each item with its product and stock; cursor-paged.",
      handler: listCustomerOrders,
      auth: { scopes: ['orders:read'] },
      schema: { params: idParams('id'), querystring: pagingSchema },
      response: pageOfSchema(orderSchema),
    },
  ],
};
