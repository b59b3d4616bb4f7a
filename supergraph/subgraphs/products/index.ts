/** products: owns the catalogue (names, prices, weights, images). */
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DemoData, ProductRecord } from '../seed';
import { notFound, optionalParam, paginate, parseIdList, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, loadServiceSchema, type SubgraphService } from '../service';

function createContext(data: DemoData, stats: BatchStats) {
  return {
    products: countedLoader<string, ProductRecord | null>(stats, 'Product', (upcs) => upcs.map((upc) => data.productByUpc.get(upc) ?? null)),
  };
}
type Context = ReturnType<typeof createContext>;

export function createProductsService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Query: {
      topProducts: (_: unknown, { first }: { first: number }) => {
        assertListArguments(first);
        return data.products.slice(0, first);
      },
      product: (_: unknown, { upc }: { upc: string }, ctx: Context) => ctx.products.load(upc),
      products: (_: unknown, { first, offset, category }: { first: number; offset: number; category?: string | null }) => {
        assertListArguments(first, offset);
        const matching = category ? data.products.filter((p) => p.category === category) : data.products;
        return matching.slice(offset, offset + first);
      },
    },
    Product: {
      __resolveReference: (ref: { upc: string }, ctx: Context) => ctx.products.load(ref.upc),
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/products', async (request) => {
      const paging = parsePaging(request.query);
      const upcs = parseIdList(request.query, 'upcs');
      const category = optionalParam(request.query, 'category');
      let products = upcs ? upcs.flatMap((upc) => data.productByUpc.get(upc) ?? []) : data.products;
      if (category) products = products.filter((p) => p.category === category);
      return paginate(products, paging);
    });
    app.get<{ Params: { upc: string } }>('/products/:upc', async (request) => {
      const product = data.productByUpc.get(request.params.upc);
      if (!product) throw notFound('Product', request.params.upc);
      return product;
    });
  }

  // The catalogue changes rarely.
  return { name: 'products', cacheControl: 'public, max-age=60', typeDefs: loadServiceSchema('products'), resolvers, createContext: () => createContext(data, stats), registerRestRoutes, stats };
}
