/** inventory: owns stock levels and shipping estimates (which need price and weight from products). */
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DemoData, StockRecord } from '../seed';
import { notFound, paginate, parseIdList, parsePaging } from '../rest-support';
import { BatchStats, countedLoader, loadServiceSchema, type SubgraphService } from '../service';

/** Orders above this price (in cents) ship free. */
export const FREE_SHIPPING_ABOVE_CENTS = 100_000;

export function shippingEstimate(priceCents: number, weightGrams: number): number {
  return priceCents > FREE_SHIPPING_ABOVE_CENTS ? 0 : Math.ceil(weightGrams * 0.5);
}

function createContext(data: DemoData, stats: BatchStats) {
  return {
    stock: countedLoader<string, StockRecord | null>(stats, 'Stock', (upcs) => upcs.map((upc) => data.stockByUpc.get(upc) ?? null)),
  };
}
type Context = ReturnType<typeof createContext>;

interface ProductReference {
  upc: string;
  price?: number;
  weight?: number;
}

interface ProductWithStock extends ProductReference {
  stock: StockRecord | null;
}

export function createInventoryService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Product: {
      __resolveReference: async (ref: ProductReference, ctx: Context): Promise<ProductWithStock> => ({ ...ref, stock: await ctx.stock.load(ref.upc) }),
      // A product inventory has never heard of is simply not stocked.
      inStock: (product: ProductWithStock) => product.stock?.inStock ?? false,
      quantity: (product: ProductWithStock) => product.stock?.quantity ?? 0,
      shippingEstimate: (product: ProductWithStock) => shippingEstimate(product.price ?? 0, product.weight ?? 0),
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/inventory', async (request) => {
      const paging = parsePaging(request.query);
      const upcs = parseIdList(request.query, 'upcs');
      const stock = upcs ? upcs.flatMap((upc) => data.stockByUpc.get(upc) ?? []) : data.stock;
      return paginate(stock, paging);
    });
    app.get<{ Params: { upc: string } }>('/inventory/:upc', async (request) => {
      const stock = data.stockByUpc.get(request.params.upc);
      if (!stock) throw notFound('Inventory record', request.params.upc);
      return stock;
    });
  }

  // Stock moves quickly.
  return { name: 'inventory', cacheControl: 'public, max-age=5', typeDefs: loadServiceSchema('inventory'), resolvers, createContext: () => createContext(data, stats), registerRestRoutes, stats };
}
