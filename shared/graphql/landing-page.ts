/**
 * The GraphQL IDE (Apollo Sandbox) for development: a browser opening `/graphql` gets the
 * page without credentials, so nobody is locked out of the tool that would let them paste
 * a token. Only the page is public: it is rendered from a request stripped of any
 * operation, and every operation the page then sends is authenticated as usual.
 */
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';

/** What the IDE's Authorization header starts as: where to get a token. */
export const LANDING_PAGE_AUTHORIZATION_HINT = 'Bearer <paste a token: `npm run -s token`, also printed by `npm start`>';

/** A first query to run once a token is pasted. */
export const LANDING_PAGE_DOCUMENT = '# Paste a token in the Authorization header below (npm run -s token), then run:\nquery Me {\n  me {\n    id\n    name\n  }\n}\n';

/** Media types a GraphQL request can prefer; the IDE is served only when HTML wins among them. */
const MEDIA_TYPES = ['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html'];

/** Pure: a browser navigation to the GraphQL URL (GET preferring HTML over JSON), as Apollo Server decides it. */
export function isLandingPageRequest(request: Pick<FastifyRequest, 'method' | 'headers'>): boolean {
  const accept = request.headers.accept;
  if (request.method !== 'GET' || !accept) return false;
  return new Negotiator({ headers: { accept } }).mediaType(MEDIA_TYPES) === 'text/html';
}

/**
 * Answers with the landing page from a request that carries no operation and no client
 * headers but `accept`: whatever Apollo decides, nothing can execute.
 */
export async function sendLandingPage<C extends BaseContext>(apollo: ApolloServer<C>, request: FastifyRequest, reply: FastifyReply, context: C): Promise<string> {
  const headers = new HeaderMap();
  headers.set('accept', String(request.headers.accept));
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'GET', headers, search: '', body: undefined },
    context: async () => context,
  });
  for (const [name, value] of response.headers) reply.header(name, value);
  reply.code(response.status ?? 200);
  return response.body.kind === 'complete' ? response.body.string : '';
}
