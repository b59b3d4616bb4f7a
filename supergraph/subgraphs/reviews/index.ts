/** reviews: owns reviews and the lists of reviews per user and per product. */
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DemoData, ReviewRecord } from '../seed';
import { notFound, optionalParam, paginate, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, loadServiceSchema, type SubgraphService } from '../service';

function createContext(data: DemoData, stats: BatchStats) {
  return {
    reviews: countedLoader<string, ReviewRecord | null>(stats, 'Review', (ids) => ids.map((id) => data.reviewById.get(id) ?? null)),
    reviewsByAuthor: countedLoader<string, ReviewRecord[]>(stats, 'User.reviews', (ids) => ids.map((id) => data.reviewsByAuthor.get(id) ?? [])),
    reviewsByProduct: countedLoader<string, ReviewRecord[]>(stats, 'Product.reviews', (upcs) => upcs.map((upc) => data.reviewsByProduct.get(upc) ?? [])),
  };
}
type Context = ReturnType<typeof createContext>;

export function createReviewsService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Query: {
      review: (_: unknown, { id }: { id: string }, ctx: Context) => ctx.reviews.load(id),
      reviews: (_: unknown, { first, offset }: { first: number; offset: number }) => {
        assertListArguments(first, offset);
        return data.reviews.slice(offset, offset + first);
      },
    },
    Review: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.reviews.load(ref.id),
      author: (review: ReviewRecord) => ({ __typename: 'User', id: review.authorId }),
      product: (review: ReviewRecord) => ({ __typename: 'Product', upc: review.productUpc }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ref,
      reviews: (user: { id: string }, _: unknown, ctx: Context) => ctx.reviewsByAuthor.load(user.id),
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => ref,
      reviews: (product: { upc: string }, _: unknown, ctx: Context) => ctx.reviewsByProduct.load(product.upc),
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/reviews', async (request) => {
      const paging = parsePaging(request.query);
      const productUpc = optionalParam(request.query, 'productUpc');
      const authorId = optionalParam(request.query, 'authorId');
      let reviews = data.reviews;
      if (productUpc !== undefined) reviews = data.reviewsByProduct.get(productUpc) ?? [];
      if (authorId !== undefined) reviews = reviews.filter((r) => r.authorId === authorId);
      return paginate(reviews, paging);
    });
    app.get<{ Params: { id: string } }>('/reviews/:id', async (request) => {
      const review = data.reviewById.get(request.params.id);
      if (!review) throw notFound('Review', request.params.id);
      return review;
    });
  }

  // Reviews are public and change slowly.
  return { name: 'reviews', cacheControl: 'public, max-age=30', typeDefs: loadServiceSchema('reviews'), resolvers, createContext: () => createContext(data, stats), registerRestRoutes, stats };
}
