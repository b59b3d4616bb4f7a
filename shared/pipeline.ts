/**
 * THE request pipeline of every Portico BFF, in one place and one order (`PIPELINE`):
 *
 *   request id -> edge headers -> access rules -> identity header hygiene -> per-IP limit
 *     -> authentication -> principal limit -> transform -> response shaping -> route
 *
 * Every BFF is built by `createBffApp(manifest)`, so web, mobile and partner cannot differ
 * in ordering. A stage whose policy slice the manifest leaves out does nothing; stages are
 * never reordered. Liveness, readiness, metrics and error handling wrap the pipeline and
 * are the same everywhere.
 */
import fastifyCompress from '@fastify/compress';
import fastifyEtag from '@fastify/etag';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { BffManifest } from './manifest';
import { installErrorHandling } from './rest/error-handler';
import { clientErrorHandler } from './rest/client-errors';
import { healthPlugin } from './observability/health';
import { drainPlugin } from './drain-plugin';
import { nodeServerTimeouts } from './server-settings';
import { createLoggerOptions } from './observability/logger';
import { REQUEST_ID_HEADER, resolveRequestId } from './observability/request-id';
import { BREAKER_STATE_VALUE, createMetrics } from './observability/metrics';
import { createBreakerRegistry } from './upstream/breaker';
import { metricsPlugin } from './observability/metrics-plugin';
import { registerEdgeHeaders } from './policies/edge/edge-headers';
import { accessRulesPlugin } from './policies/edge/access-rules';
import { DEFAULT_PUBLIC_PATHS } from './policies/authn/authn-plugin';
import { registerAuthentication } from './policies/authn/authn-stage';
import { ipRateLimitPlugin, principalRateLimitPlugin, type RateLimitPluginOptions } from './policies/rate-limit/rate-limit-plugin';
import { createBffRateLimiter } from './policies/rate-limit/rate-limit-stage';
import { createBffResponseCache } from './policies/response-cache/response-cache-stage';
import { federatedGraphqlPlugin } from './graphql/federated-graphql-plugin';
import { restFacadePlugin } from './rest/rest-facade-plugin';
import { injectIdentityHeadersPlugin, stripIdentityHeadersPlugin } from './policies/authn/header-hygiene-plugin';

/** What every stage is registered with. */
interface StageContext {
  app: FastifyInstance;
  manifest: BffManifest;
  /** The BFF's rate limiter, shared by the per-IP and per-principal stages; absent without a rate-limit policy. */
  limiter: RateLimitPluginOptions | undefined;
}

interface PipelineStage {
  name: string;
  register(ctx: StageContext): Promise<void>;
}

/** The route stage: the federated GraphQL endpoint or the versioned REST facade, in its own encapsulated context. */
async function registerRoutes({ app, manifest }: StageContext): Promise<void> {
  const { routes, policies = {} } = manifest;
  if (routes.kind === 'graphql') {
    const { kind: _graphql, ...options } = routes;
    await app.register(async (scope) => federatedGraphqlPlugin(scope, options));
    return;
  }
  const { kind: _rest, ...options } = routes;
  // The OpenAPI documents describe the credentials and limits this BFF actually applies.
  const docs = {
    ...options.docs,
    apiKeys: Boolean(policies.authn?.apiKeys),
    bearerTokens: Boolean(policies.authn?.jwt || policies.authn?.introspection),
    ...(policies.rateLimit ? { rateLimit: policies.rateLimit } : {}),
  };
  await app.register(async (scope) => restFacadePlugin(scope, { ...options, bodyLimitBytes: manifest.server.bodyLimitBytes, docs }));
}

/** The stages, in request order. */
export const PIPELINE: readonly PipelineStage[] = [
  // Browser edge: security headers on every answer, CORS preflights answered before any credential is asked for.
  { name: 'edge headers', register: async ({ app, manifest }) => registerEdgeHeaders(app, manifest.policies?.cors) },
  // Denied clients are turned away before any token or limiter work.
  {
    name: 'access rules',
    register: async ({ app, manifest }) => {
      const rules = manifest.policies?.accessRules;
      if (rules) await app.register(accessRulesPlugin, { rules, onDenied: (rule) => app.metrics.accessDenied.inc({ rule }) });
    },
  },
  // Before any stage reads a header: client-sent identity headers are gone.
  {
    name: 'identity header hygiene',
    register: async ({ app, manifest }) => {
      await app.register(stripIdentityHeadersPlugin, { extraIdentityHeaders: manifest.policies?.extraIdentityHeaders ?? [], onStripped: (count) => app.metrics.identityHeadersStripped.inc(count) });
    },
  },
  // The coarse per-IP limit, so floods are cut before any token work.
  {
    name: 'per-IP rate limit',
    register: async ({ app, limiter }) => {
      if (limiter) await app.register(ipRateLimitPlugin, limiter);
    },
  },
  {
    name: 'authentication',
    register: async ({ app, manifest }) => {
      if (manifest.policies?.authn) await registerAuthentication(app, manifest.policies.authn, manifest.policies.principalKinds);
    },
  },
  // Keyed by the verified principal.
  {
    name: 'principal rate limit',
    register: async ({ app, limiter }) => {
      if (limiter) await app.register(principalRateLimitPlugin, limiter);
    },
  },
  // The verified identity becomes the upstream headers.
  {
    name: 'transform',
    register: async ({ app }) => {
      await app.register(injectIdentityHeadersPlugin);
    },
  },
  // Compression and ETags for metered networks, around the routes.
  {
    name: 'response shaping',
    register: async ({ app, manifest }) => {
      if (manifest.server.compress) await app.register(fastifyCompress, { global: true, threshold: 1_024, encodings: ['br', 'gzip'] });
      if (manifest.server.etag) await app.register(fastifyEtag);
    },
  },
  { name: 'route', register: registerRoutes },
];

/** Builds a BFF's Fastify app (not listening). */
export async function createBffApp(manifest: BffManifest): Promise<FastifyInstance> {
  const { server } = manifest;
  const app = Fastify({
    logger: createLoggerOptions({ name: `portico-${manifest.name}`, level: server.logLevel }),
    // Stage 1, request id: chosen before anything else so every log line and error carries it.
    genReqId: (req) => resolveRequestId(req.headers[REQUEST_ID_HEADER]),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: server.bodyLimitBytes,
    requestTimeout: server.requestTimeoutMs,
    // Node takes the headers timeout and its check interval only at creation; its defaults (60 s, checked every 30 s) outlast the request timeout.
    http: nodeServerTimeouts(server),
    // The drain plugin answers requests after the listener closes with the catalogue's SHUTTING_DOWN.
    return503OnClosing: false,
    // Requests the HTTP parser refuses still get a catalogue body with a request id.
    clientErrorHandler,
    // Unknown fields in validated input are an error the client should hear about, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // Idle keep-alive sockets are closed at shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
    // request.ip is the client: X-Forwarded-For is believed only from configured proxies.
    trustProxy: manifest.policies?.trustedProxies?.length ? [...manifest.policies.trustedProxies] : false,
  });
  // Hooks with no asynchronous work are written callback-style: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  installErrorHandling(app);
  await app.register(healthPlugin);
  // Shutdown: out of the rotation first, then `Connection: close` and SHUTTING_DOWN, never a reset.
  await app.register(drainPlugin);
  const metrics = createMetrics({ bff: manifest.name });
  app.decorate('metrics', metrics);
  await app.register(metricsPlugin, { metrics, host: server.host, ...(server.metrics ? { access: server.metrics } : {}) });
  // Upstream calls (route stage) go through one breaker per upstream.
  const breakers = createBreakerRegistry(manifest.policies?.breakers, (upstream, state) => {
    app.log.warn({ upstream, state }, 'circuit breaker state changed');
    metrics.breakerState.set({ upstream }, BREAKER_STATE_VALUE[state]);
    metrics.breakerTransitions.inc({ upstream, to: state });
  });
  app.decorate('breakers', breakers);
  app.addHook('onClose', async () => breakers.shutdown());
  // Consulted in the route stage only, so every cached answer has passed authentication and limits first.
  app.decorate('responseCache', manifest.policies?.responseCache ? createBffResponseCache(app, manifest.name, manifest.policies.responseCache) : undefined);

  const policies = manifest.policies ?? {};
  const limiter = policies.rateLimit ? createBffRateLimiter(app, manifest.name, policies.rateLimit, policies.authn?.publicPaths ?? DEFAULT_PUBLIC_PATHS) : undefined;
  for (const stage of PIPELINE) await stage.register({ app, manifest, limiter });
  return app;
}
