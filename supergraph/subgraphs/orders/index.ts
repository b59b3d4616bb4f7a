/**
 * orders: owns orders. Partners place orders through `POST /orders`; the unit price is
 * the catalogue price at that moment (the demo shares the seed catalogue instead of
 * calling products, to stay a single hop).
 */
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { addOrder, orderTotal, type DemoData, type OrderItemRecord, type OrderRecord } from '../seed';
import { RestError, notFound, optionalParam, paginate, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, forbidden, loadServiceSchema, type SubgraphService } from '../service';
import { mayReadAllOrders, mayReadOrdersOf, viewerFrom, type Viewer } from '../viewer';
import type { IncomingHttpHeaders } from 'node:http';

/** Most line items one order may carry. */
export const MAX_ORDER_ITEMS = 50;
/** Most units of one product per line. */
export const MAX_ITEM_QUANTITY = 1_000;

function createContext(data: DemoData, stats: BatchStats, headers: IncomingHttpHeaders) {
  return {
    viewer: viewerFrom(headers),
    orders: countedLoader<string, OrderRecord | null>(stats, 'Order', (ids) => ids.map((id) => data.orderById.get(id) ?? null)),
    ordersByCustomer: countedLoader<string, OrderRecord[]>(stats, 'User.orders', (ids) => ids.map((id) => data.ordersByCustomer.get(id) ?? [])),
  };
}
type Context = ReturnType<typeof createContext>;

interface NewOrderBody {
  customerId: string;
  items: Array<{ productUpc: string; quantity: number }>;
}

export const newOrderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'items'],
  properties: {
    customerId: { type: 'string', minLength: 1, maxLength: 64 },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ORDER_ITEMS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['productUpc', 'quantity'],
        properties: {
          productUpc: { type: 'string', minLength: 1, maxLength: 64 },
          quantity: { type: 'integer', minimum: 1, maximum: MAX_ITEM_QUANTITY },
        },
      },
    },
  },
} as const;

/** The order when `viewer` may read it; someone else's order is FORBIDDEN. */
function ownOrder(order: OrderRecord | null, viewer: Viewer): OrderRecord | null {
  if (order && !mayReadOrdersOf(viewer, order.customerId)) throw forbidden("Only the order's customer or back-office staff may read this order.");
  return order;
}

/** REST: someone else's orders are 403. */
function assertMayReadOrdersOf(viewer: Viewer, customerId: string): void {
  if (!mayReadOrdersOf(viewer, customerId)) throw new RestError(403, 'FORBIDDEN', "Only the customer themself, back-office staff or a client granted 'orders:read' may read these orders.");
}

export function createOrdersService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Query: {
      order: async (_: unknown, { id }: { id: string }, ctx: Context) => ownOrder(await ctx.orders.load(id), ctx.viewer),
      orders: (_: unknown, { first, offset }: { first: number; offset: number }, ctx: Context) => {
        if (!mayReadAllOrders(ctx.viewer)) throw forbidden('Only back-office staff may list every order.');
        assertListArguments(first, offset);
        return data.orders.slice(offset, offset + first);
      },
    },
    Order: {
      __resolveReference: async (ref: { id: string }, ctx: Context) => ownOrder(await ctx.orders.load(ref.id), ctx.viewer),
      customer: (order: OrderRecord) => ({ __typename: 'User', id: order.customerId }),
    },
    OrderItem: {
      product: (item: OrderItemRecord) => ({ __typename: 'Product', upc: item.productUpc }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ref,
      orders: async (user: { id: string }, { first }: { first: number }, ctx: Context) => {
        if (!mayReadOrdersOf(ctx.viewer, user.id)) throw forbidden("Only the customer themself or back-office staff may read this customer's orders.");
        assertListArguments(first);
        return (await ctx.ordersByCustomer.load(user.id)).slice(0, first);
      },
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/orders', async (request) => {
      const paging = parsePaging(request.query);
      const customerId = optionalParam(request.query, 'customerId');
      const viewer = viewerFrom(request.headers);
      if (customerId === undefined && !mayReadAllOrders(viewer)) throw new RestError(403, 'FORBIDDEN', "Only back-office staff or a client granted 'orders:read' may list every order.");
      if (customerId !== undefined) assertMayReadOrdersOf(viewer, customerId);
      const orders = customerId === undefined ? data.orders : (data.ordersByCustomer.get(customerId) ?? []);
      return paginate(orders, paging);
    });
    app.get<{ Params: { id: string } }>('/orders/:id', async (request) => {
      const order = data.orderById.get(request.params.id);
      if (!order) throw notFound('Order', request.params.id);
      assertMayReadOrdersOf(viewerFrom(request.headers), order.customerId);
      return order;
    });
    app.post<{ Body: NewOrderBody }>('/orders', { schema: { body: newOrderSchema } }, async (request, reply) => {
      const { customerId, items } = request.body;
      if (!data.userById.has(customerId)) throw new RestError(422, 'UNKNOWN_CUSTOMER', `Customer '${customerId}' does not exist.`);
      const lines: OrderItemRecord[] = [];
      for (const item of items) {
        const product = data.productByUpc.get(item.productUpc);
        if (!product) throw new RestError(422, 'UNKNOWN_PRODUCT', `Product '${item.productUpc}' does not exist.`);
        if (lines.some((line) => line.productUpc === item.productUpc)) {
          throw new RestError(422, 'DUPLICATE_ITEM', `Product '${item.productUpc}' appears on more than one line.`);
        }
        lines.push({ productUpc: product.upc, quantity: item.quantity, unitPriceCents: product.price });
      }
      const order = addOrder(data, { customerId, status: 'PENDING', createdAt: new Date().toISOString(), items: lines, totalCents: orderTotal(lines) });
      return reply.code(201).header('location', `/orders/${order.id}`).send(order);
    });
  }

  // Orders are personal and change.
  return { name: 'orders', cacheControl: 'private, no-store', typeDefs: loadServiceSchema('orders'), resolvers, createContext: (headers) => createContext(data, stats, headers), registerRestRoutes, stats };
}
