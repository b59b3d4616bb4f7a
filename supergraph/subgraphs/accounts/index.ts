/** accounts: owns users. */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DemoData, UserRecord } from '../seed';
import { notFound, paginate, parseIdList, parsePaging } from '../rest-support';
import { BatchStats, assertListArguments, countedLoader, forbidden, loadServiceSchema, type SubgraphService } from '../service';
import { mayReadPersonalData, viewerFrom, type Viewer } from '../viewer';

/** Personal fields of a user record: only the user, staff and `customers:pii` holders get them. */
const PERSONAL_FIELDS = ['email', 'createdAt'] as const;

/** The record as `viewer` may see it: without its personal fields unless they may read them. */
export function projectUser(user: UserRecord, viewer: Viewer): Partial<UserRecord> {
  if (mayReadPersonalData(viewer, user.id)) return user;
  const projected: Partial<UserRecord> = { ...user };
  for (const field of PERSONAL_FIELDS) delete projected[field];
  return projected;
}

function createContext(data: DemoData, stats: BatchStats, headers: IncomingHttpHeaders) {
  const viewer = viewerFrom(headers);
  return {
    viewer,
    // An API-key client is not a user, so it has no `me`.
    viewerId: viewer.userId,
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
      // The service owns who may read personal data; the gateway only checks that someone signed in.
      email: (user: UserRecord, _: unknown, ctx: Context) => {
        if (!mayReadPersonalData(ctx.viewer, user.id)) throw forbidden("Only the user themself or back-office staff may read this user's email.");
        return user.email;
      },
      createdAt: (user: UserRecord, _: unknown, ctx: Context) => {
        if (!mayReadPersonalData(ctx.viewer, user.id)) throw forbidden("Only the user themself or back-office staff may read this user's sign-up date.");
        return user.createdAt;
      },
    },
  };

  function registerRestRoutes(app: FastifyInstance): void {
    app.get<{ Querystring: Record<string, string> }>('/users', async (request) => {
      const paging = parsePaging(request.query);
      const ids = parseIdList(request.query, 'ids');
      const users = ids ? ids.flatMap((id) => data.userById.get(id) ?? []) : data.users;
      const viewer = viewerFrom(request.headers);
      const page = paginate(users, paging);
      return { ...page, items: page.items.map((user) => projectUser(user, viewer)) };
    });
    app.get<{ Params: { id: string } }>('/users/:id', async (request) => {
      const user = data.userById.get(request.params.id);
      if (!user) throw notFound('User', request.params.id);
      return projectUser(user, viewerFrom(request.headers));
    });
  }

  // User records are personal.
  return { name: 'accounts', cacheControl: 'private, max-age=10', typeDefs: loadServiceSchema('accounts'), resolvers, createContext: (headers) => createContext(data, stats, headers), registerRestRoutes, stats };
}
