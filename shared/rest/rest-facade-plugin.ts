/**
 * The partner BFF's versioned REST facade: registers every route of every route table.
 * Passthrough routes use @fastify/http-proxy (streams bodies both ways, keeps status,
 * headers and query strings); aggregate routes call upstreams through pooled clients.
 */
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from 'undici';
import { API_KEY_HEADER } from '../policies/authn/api-key';
import { PorticoError } from '../errors';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import { upstreamError } from '../upstream/upstream-errors';
import { createUpstreamPool, DEFAULT_UPSTREAM_POOL_OPTIONS } from '../upstream/upstream-pool';
import { createUpstreamProbe } from '../upstream/upstream-probe';
import { sendError } from './error-handler';
import { stripHopByHopHeaders } from './hop-by-hop';
import { unsafePathReason } from './path-safety';
import { buildOpenApiDocument, type OpenApiOptions } from './openapi';
import { createOperationExecutor, type OperationExecutor } from '../graphql/operation-executor';
import { docsPage } from './docs-page';
import { apiIndex, versionIndexEntry } from './api-index';
import { validateRouteTables, type VersionDeprecation, type AggregateRoute, type PassthroughRoute, type RestFacadeOptions, type RestUpstream } from './route-table';
import { createPassthroughCache } from './passthrough-cache';
import { sendUpstreamResponse, type UpstreamResponse } from './upstream-response';
import { createUpstreamCaller, type UpstreamCallerDeps } from './upstream-caller';
import { createRetryBudget, type RetryBudget } from '../upstream/retry';
import { createUpstreamObserver, type UpstreamObserver } from '../upstream/upstream-observer';
import type { UpstreamBreaker } from '../policies/breaker/upstream-breaker';
import { TARGET_OVERRIDE_HEADER } from '../upstream/target-set';
import { createTargetsRegistry, type UpstreamTargets } from '../upstream/upstream-targets';
import { passthroughTargetRouting, settleTargetLeases } from './passthrough-targets';

const DEFAULT_METHODS: PassthroughRoute['methods'] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const DEFAULT_HEALTH_PATH = '/healthz';

export interface RestFacadePluginOptions extends RestFacadeOptions {
  /** Largest proxied request body, in bytes (checked against Content-Length). */
  bodyLimitBytes: number;
  /** Documentation: the API's title, whether API keys are required, the rate limits. */
  docs?: Omit<OpenApiOptions, 'title'> & { title?: string };
}

/**
 * What a passthrough sends upstream: the client's end-to-end headers minus credentials
 * (the API key never, Authorization only when the route opts in), plus the request id and
 * the verified identity from the transform stage.
 */
function upstreamRequestHeaders(request: FastifyRequest, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = stripHopByHopHeaders(headers);
  delete out[API_KEY_HEADER];
  // Only Portico acts on the target override; upstreams never see it.
  delete out[TARGET_OVERRIDE_HEADER];
  if (!request.routeOptions.config?.forwardAuthorization) delete out.authorization;
  Object.assign(out, request.upstreamHeaders);
  out[REQUEST_ID_HEADER] = request.id;
  return out;
}

async function registerPassthrough(app: FastifyInstance, route: PassthroughRoute, upstream: RestUpstream, bodyLimitBytes: number, targets: UpstreamTargets | undefined): Promise<void> {
  const breaker = app.breakers.get(route.upstream);
  const observe = createUpstreamObserver(app.metrics);
  const pool = { ...DEFAULT_UPSTREAM_POOL_OPTIONS, ...upstream.pool };
  const routing = targets ? passthroughTargetRouting(targets, observe) : undefined;
  const cache = app.responseCache && route.cache !== false ? createPassthroughCache(app.responseCache) : undefined;
  await app.register(httpProxy, {
    upstream: routing ? routing.upstream : upstream.origin,
    prefix: route.prefix,
    rewritePrefix: route.rewritePrefix,
    httpMethods: route.methods ?? DEFAULT_METHODS,
    config: { auth: route.auth, forwardAuthorization: route.forwardAuthorization },
    // The proxy streams bodies without buffering them, so the body limit is enforced
    // on the declared length before anything is sent upstream.
    preHandler: async (request, reply) => {
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > bodyLimitBytes) throw new PorticoError('PAYLOAD_TOO_LARGE');
      const unsafe = unsafePathReason(request.url.slice(route.prefix.length));
      if (unsafe) throw new PorticoError('BAD_REQUEST', `This path is not allowed: ${unsafe}.`);
      // A fresh cached answer is served even while the upstream's circuit is open.
      if (cache && (await cache.serveCached(request, reply))) return reply;
      trackThroughBreaker(request, breaker, observe);
      routing?.choose(request);
    },
    undici: routing ? routing.dispatcher : {
      connections: pool.connections,
      connect: { timeout: pool.connectTimeoutMs },
      headersTimeout: pool.headersTimeoutMs,
      bodyTimeout: pool.bodyTimeoutMs,
      keepAliveTimeout: pool.keepAliveTimeoutMs,
    },
    replyOptions: {
      ...(routing ? { getUpstream: (request) => routing.getUpstream(request as FastifyRequest) } : {}),
      // reply-from has already removed the client's Connection header and the names it lists.
      rewriteRequestHeaders: (request, headers) => upstreamRequestHeaders(request as FastifyRequest, headers),
      rewriteHeaders: (headers) => stripHopByHopHeaders(headers),
      onResponse: (request, reply, response) => {
        const upstreamResponse = response as unknown as UpstreamResponse;
        if (cache) cache.sendAndStore(request as FastifyRequest, reply as FastifyReply, upstreamResponse);
        else sendUpstreamResponse(request as FastifyRequest, reply as FastifyReply, upstreamResponse);
      },
      onError: (reply, { error }) => {
        reply.request.log.warn({ err: error, upstream: route.upstream }, 'passthrough failed');
        void sendError(reply.request as FastifyRequest, reply as FastifyReply, upstreamError(route.upstream, error));
      },
    },
  });
}

function registerAggregate(app: FastifyInstance, route: AggregateRoute, deps: UpstreamCallerDeps, executor: OperationExecutor | undefined): void {
  app.route({
    method: route.method,
    url: route.path,
    config: { auth: route.auth },
    ...(route.schema || route.response ? { schema: { ...route.schema, ...(route.response ? { response: { 200: route.response } } : {}) } } : {}),
    handler: async (request) =>
      route.handler({
        params: request.params as Record<string, string>,
        query: request.query as Record<string, string | string[] | undefined>,
        upstreams: createUpstreamCaller(deps, request.id, request.upstreamHeaders, deps.targets && request.headers[TARGET_OVERRIDE_HEADER]),
        graphql: async <T>(name: string, variables: Record<string, unknown>) => {
          if (!executor) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error('this facade has no GraphQL operations') });
          return executor.execute<T>(name, variables, { requestId: request.id, forwardHeaders: request.upstreamHeaders ?? {}, ...(request.principal ? { principal: request.principal } : {}) });
        },
      }),
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Settles the breaker call of a streamed passthrough once its response status is known (undefined: client went away). */
    settlePassthrough?: (status: number | undefined) => void;
  }
}

/**
 * A passthrough streams, so it cannot be wrapped in a promise like other calls: the
 * breaker call is opened here and settled by the response hooks below (5xx, including
 * mapped transport failures, is a failure; an aborted client is not the upstream's fault).
 * An open circuit throws before anything is sent upstream.
 */
function trackThroughBreaker(request: FastifyRequest, breaker: UpstreamBreaker, observe: UpstreamObserver): void {
  try {
    breaker.assertNotOpen();
  } catch (err) {
    observe(breaker.upstream, performance.now(), { error: err });
    throw err;
  }
  const startedAt = performance.now();
  let settle: (failed: boolean) => void = () => undefined;
  const outcome = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  request.settlePassthrough = (status) => {
    if (status !== undefined) observe(breaker.upstream, startedAt, { status });
    settle(status !== undefined && status >= 500);
  };
  // Failures are counted by the breaker; the streamed response itself is the proxy's.
  void breaker.run(() => outcome, (failed) => failed).catch(() => undefined);
}

function settleHooks(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.settlePassthrough?.(reply.statusCode);
    request.settlePassthrough = undefined;
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.settlePassthrough?.(undefined);
    request.settlePassthrough = undefined;
    done();
  });
}

/** Pure: the headers announcing a deprecated version (RFC 9745 Deprecation, RFC 8594 Sunset, successor Link). */
export function deprecationHeaders(deprecation: VersionDeprecation): Record<string, string> {
  return {
    deprecation: `@${Math.floor(Date.parse(deprecation.since) / 1000)}`,
    sunset: new Date(deprecation.sunset).toUTCString(),
    link: `<${deprecation.successor}>; rel="successor-version"`,
  };
}

/** Registers the facade; needs the health plugin registered before it. */
export async function restFacadePlugin(app: FastifyInstance, opts: RestFacadePluginOptions): Promise<void> {
  const problems = validateRouteTables(opts);
  if (problems.length > 0) throw new Error(`Invalid route tables:\n  - ${problems.join('\n  - ')}`);

  settleHooks(app);
  const pools = new Map<string, Pool>();
  const retryBudgets = new Map<string, RetryBudget>();
  const targets = createTargetsRegistry(
    { metrics: app.metrics, log: app.log, onReady: (task) => app.addHook('onReady', task), onClose: (task) => app.addHook('onClose', task) },
    opts.upstreamTargets,
    (name) => opts.upstreams[name]?.pool,
  );
  if (targets.size > 0) settleTargetLeases(app);
  const deps: UpstreamCallerDeps = { pools, ...(targets.size > 0 ? { targets } : {}), breakers: app.breakers, retryBudgets, observe: createUpstreamObserver(app.metrics) };
  for (const [name, upstream] of Object.entries(opts.upstreams)) {
    retryBudgets.set(name, createRetryBudget());
    // Several targets: endpoints, pools and readiness come from them, not from the origin.
    const several = targets.get(name);
    if (several) {
      app.readiness.add(`upstream:${name}`, () => several.readiness());
      continue;
    }
    const pool = createUpstreamPool(upstream.origin, upstream.pool);
    pools.set(name, pool);
    app.readiness.add(`upstream:${name}`, createUpstreamProbe({ pool, kind: 'http', path: upstream.healthPath ?? DEFAULT_HEALTH_PATH }));
  }
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pools.values()].map((p) => p.close()));
  });

  const executor = opts.graphql ? await createOperationExecutor(app, opts.graphql) : undefined;
  const docsOptions: OpenApiOptions = { title: 'Partner API', apiKeys: false, ...opts.docs };
  for (const table of opts.versions) {
    const document = buildOpenApiDocument(table, docsOptions);
    app.get(`/${table.version}/openapi.json`, { config: { auth: { public: true } } }, async () => document);
  }
  app.get('/docs', { config: { auth: { public: true } } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(docsOptions.title, opts.versions.map((t) => t.version))),
  );
  const index = apiIndex(docsOptions.title, opts.versions);
  app.get('/', { config: { auth: { public: true } } }, async () => index);

  for (const table of opts.versions) {
    // Each version in its own context, so its response headers (deprecation) stay its own.
    await app.register(async (versionApp) => {
      if (table.deprecation) {
        const headers = deprecationHeaders(table.deprecation);
        versionApp.addHook('onSend', (_request, reply, payload, done) => {
          reply.headers(headers);
          done(null, payload);
        });
      }
      const entry = { ...versionIndexEntry(table), docs: index.docs };
      versionApp.get(`/${table.version}`, { config: { auth: { public: true } } }, async () => entry);
      for (const route of table.routes) {
        if (route.kind === 'passthrough') {
          await registerPassthrough(versionApp, route, opts.upstreams[route.upstream] as RestUpstream, opts.bodyLimitBytes, targets.get(route.upstream));
        } else {
          registerAggregate(versionApp, route, deps, executor);
        }
      }
    });
  }
}
