/**
 * The HTTP server every demo upstream service runs: its federation subgraph at
 * `/graphql` (POST, and GET for queries), its REST routes, `/healthz`, and batch
 * counters at `/__stats`. Errors answer `{ statusCode, code, error, message }`.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { createGraphqlExecutor, type GraphqlRequestBody } from './graphql-endpoint';
import { RestError } from './rest-support';
import type { SubgraphService } from './service';

export interface SubgraphServerOptions {
  /** pino log level; 'silent' (the default) keeps test and benchmark output clean. */
  logLevel?: string;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** A public JWKS to serve at `/.well-known/jwks.json` (the accounts service, as the demo's identity provider). */
  jwks?: object;
}

/** The service's error body: the gateway's error shape, with the request id the gateway forwarded. */
function errorPayload(statusCode: number, code: string, message: string, requestId: string) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message, requestId };
}

/** Operational and GraphQL routes: never given the service's REST caching policy. */
const NO_CACHE_PATHS = new Set(['/graphql', '/healthz', '/__stats']);

export function createSubgraphServer(service: SubgraphService, options: SubgraphServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger: { level: options.logLevel ?? 'silent' }, bodyLimit: options.bodyLimit ?? 1_048_576,
    // Unknown body fields are an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // The gateway's request id is this request's id, so errors and logs match across the hop.
    requestIdHeader: 'x-request-id',
  });
  const schema = buildSubgraphSchema({ typeDefs: service.typeDefs, resolvers: service.resolvers });
  const run = createGraphqlExecutor(schema);

  app.setErrorHandler((err: FastifyError | RestError, request, reply) => {
    if (err instanceof RestError) return reply.code(err.statusCode).send(errorPayload(err.statusCode, err.code, err.message, request.id));
    if ((err as FastifyError).validation) return reply.code(400).send(errorPayload(400, 'VALIDATION_FAILED', err.message, request.id));
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : (err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'INVALID_JSON' : 'BAD_REQUEST';
      return reply.code(status).send(errorPayload(status, code, err.message, request.id));
    }
    app.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorPayload(500, 'INTERNAL_ERROR', 'The service failed to handle the request.', request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorPayload(404, 'NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} does not exist.`, request.id));
  });

  // REST reads carry the service's caching policy too, so gateways in front may cache them as the service allows.
  app.addHook('onSend', async (request, reply) => {
    if (request.method === 'GET' && reply.statusCode === 200 && !reply.hasHeader('cache-control') && !NO_CACHE_PATHS.has(request.url.split('?')[0] ?? '')) {
      reply.header('cache-control', service.cacheControl);
    }
  });

  app.post<{ Body: GraphqlRequestBody }>('/graphql', async (request, reply) => {
    service.stats.recordRequest();
    const outcome = await run(request.body ?? {}, service.createContext(request.headers), 'POST');
    if (outcome.status === 200 && !outcome.body.errors) reply.header('cache-control', service.cacheControl);
    return reply.code(outcome.status).send(outcome.body);
  });
  app.get<{ Querystring: Record<string, string> }>('/graphql', async (request, reply) => {
    service.stats.recordRequest();
    let variables: unknown;
    try {
      variables = request.query.variables ? JSON.parse(request.query.variables) : undefined;
    } catch {
      throw new RestError(400, 'INVALID_JSON', "Query parameter 'variables' is not valid JSON.");
    }
    const outcome = await run({ query: request.query.query, variables, operationName: request.query.operationName }, service.createContext(request.headers), 'GET');
    return reply.code(outcome.status).send(outcome.body);
  });

  const jwks = options.jwks;
  if (jwks) app.get('/.well-known/jwks.json', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(jwks));

  app.get('/healthz', async () => ({ status: 'ok', service: service.name }));
  app.get('/__stats', async () => service.stats.snapshot());
  app.post('/__stats/reset', async (_request, reply) => {
    service.stats.reset();
    return reply.code(204).send();
  });

  service.registerRestRoutes(app);
  return app;
}
