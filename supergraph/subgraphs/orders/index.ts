/**
 * orders: owns orders. Partners place orders through `POST /orders`; the unit price is
 * the catalogue price at that moment (the demo shares the seed catalogue instead of
 * calling products, to stay a single hop).
 */
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { addOrder, orderTotal, type DemoData, type OrderItemRecord, type OrderRecord } from '../seed';
import { RestError, notFound, optionalParam, paginate, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, loadServiceSchema, type SubgraphService } from '../service';

/** Most line items one order may carry. */
export const MAX_ORDER_ITEMS = 50;
/** Most units of one product per line. */
export const MAX_ITEM_QUANTITY = 1_000;

function createContext(data: DemoData, stats: BatchStats) {
  return {
    orders: countedLoader<string, OrderRecord | null>(stats, 'Order', (ids) => ids.map((id) => data.orderById.get(id) ?? null)),
    ordersByCustomer: countedLoader<string, OrderRecord[]>(stats, 'User.orders', (ids) => ids.map((id) => data.ordersByCustomer.get(id) ?? [])),
  };
}
type Context = ReturnType<typeof createContext>;

interface NewOrderBody {
  customerId: string;
  items: Array<{ productUpc: string; quantity: number }>;
}

const newOrderSchema = {
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

export function createOrdersService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Query: {
      order: (_: unknown, { id }: { id: string }, ctx: Context) => ctx.orders.load(id),
      orders: (_: unknown, { first, offset }: { first: number; offset: number }) => {
        assertListArguments(first, offset);
        return data.orders.slice(offset, offset + first);
      },
    },
    Order: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.orders.load(ref.id),
      customer: (order: OrderRecord) => ({ __typename: 'User', id: order.customerId }),
    },
    OrderItem: {
      product: (item: OrderItemRecord) => ({ __typename: 'Product', upc: item.productUpc }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ref,
      orders: async (user: { id: string }, { first }: { first: number }, ctx: Context) => {
        assertListArguments(first);
        return (await ctx.ordersByCustomer.load(user.id)).slice(0, first);
      },
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/orders', async (request) => {
      const paging = parsePaging(request.query);
      const customerId = optionalParam(request.query, 'customerId');
      const orders = customerId === undefined ? data.orders : (data.ordersByCustomer.get(customerId) ?? []);
      return paginate(orders, paging);
    });
    app.get<{ Params: { id: string } }>('/orders/:id', async (request) => {
      const order = data.orderById.get(request.params.id);
      if (!order) throw notFound('Order', request.params.id);
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
  return { name: 'orders', cacheControl: 'private, no-store', typeDefs: loadServiceSchema('orders'), resolvers, createContext: () => createContext(data, stats), registerRestRoutes, stats };
}
