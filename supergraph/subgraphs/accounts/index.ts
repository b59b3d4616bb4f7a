/** accounts: owns users. */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DemoData, UserRecord } from '../seed';
import { notFound, paginate, parseIdList, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, loadServiceSchema, type SubgraphService } from '../service';

/** Who `me` is when the gateway sends no identity at all (authentication off): the demo's first user. */
export const DEMO_VIEWER_ID = '1';

/**
 * The signed-in user, as the gateway asserts it in `x-user-id` (it strips any client-sent
 * copy first). An API-key client is not a user, so it has no `me`.
 */
export function viewerIdFrom(headers: IncomingHttpHeaders): string | undefined {
  const userId = headers['x-user-id'];
  if (typeof userId === 'string' && userId !== '') return userId;
  return headers['x-principal-kind'] === undefined ? DEMO_VIEWER_ID : undefined;
}

function createContext(data: DemoData, stats: BatchStats, headers: IncomingHttpHeaders) {
  return {
    viewerId: viewerIdFrom(headers),
    users: countedLoader<string, UserRecord | null>(stats, 'User', (ids) => ids.map((id) => data.userById.get(id) ?? null)),
  };
}
type Context = ReturnType<typeof createContext>;

export function createAccountsService(data: DemoData): SubgraphService {
  const stats = new BatchStats();
  const resolvers: GraphQLResolverMap<Context> = {
    Query: {
      me: (_: unknown, __: unknown, ctx: Context) => (ctx.viewerId ? ctx.users.load(ctx.viewerId) : null),
      user: (_: unknown, { id }: { id: string }, ctx: Context) => ctx.users.load(id),
      users: (_: unknown, { first, offset }: { first: number; offset: number }) => {
        assertListArguments(first, offset);
        return data.users.slice(offset, offset + first);
      },
    },
    User: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.users.load(ref.id),
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/users', async (request) => {
      const paging = parsePaging(request.query);
      const ids = parseIdList(request.query, 'ids');
      const users = ids ? ids.flatMap((id) => data.userById.get(id) ?? []) : data.users;
      return paginate(users, paging);
    });
    app.get<{ Params: { id: string } }>('/users/:id', async (request) => {
      const user = data.userById.get(request.params.id);
      if (!user) throw notFound('User', request.params.id);
      return user;
    });
  }

  // User records are personal.
  return { name: 'accounts', cacheControl: 'private, max-age=10', typeDefs: loadServiceSchema('accounts'), resolvers, createContext: (headers) => createContext(data, stats, headers), registerRestRoutes, stats };
}
