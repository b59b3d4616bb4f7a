/**
 * THE request pipeline of every Portico BFF, in one place and one order:
 *
 *   request id -> authentication -> rate limit -> transform -> route
 *
 * Every BFF is built by `createBffApp`, so web, mobile and partner cannot differ in
 * ordering. Stages whose configuration a manifest leaves out are absent, never reordered.
 * Liveness, readiness and error handling wrap the pipeline and are the same everywhere.
 */
import fastifyCompress from '@fastify/compress';
import fastifyEtag from '@fastify/etag';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { BffManifest } from './manifest';
import { installErrorHandling } from './rest/error-handler';
import { clientErrorHandler } from './rest/client-errors';
import { healthPlugin } from './observability/health';
import { createLoggerOptions } from './observability/logger';
import { REQUEST_ID_HEADER, resolveRequestId } from './observability/request-id';
import { BREAKER_STATE_VALUE, createMetrics, type PorticoMetrics } from './observability/metrics';
import { createBreakerRegistry, type BreakerRegistry } from './upstream/breaker';
import { metricsPlugin } from './observability/metrics-plugin';
import { registerEdgeHeaders } from './policies/edge/edge-headers';
import { accessRulesPlugin } from './policies/edge/access-rules';
import { DEFAULT_PUBLIC_PATHS, authnPlugin } from './policies/authn/authn-plugin';
import { ipRateLimitPlugin, principalRateLimitPlugin, type RateLimitPluginOptions } from './policies/rate-limit/rate-limit-plugin';
import { createRateLimitStore, type RateLimitSettings } from './policies/rate-limit/rate-limit-settings';
import { authnPluginOptions } from './policies/authn/authn-settings';
import { createResponseCache, type ResponseCache, type ResponseCacheSettings } from './policies/response-cache/response-cache-settings';
import { injectIdentityHeadersPlugin, stripIdentityHeadersPlugin } from './policies/authn/header-hygiene-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** This BFF's metrics, for policies and upstream clients to record into. */
    metrics: PorticoMetrics;
    /** One circuit breaker per upstream. */
    breakers: BreakerRegistry;
    /** The response cache the routes consult, when the manifest turns it on. */
    responseCache: ResponseCache | undefined;
  }
}

/** The stages in order; the manifest fills each slot or leaves it out. */
export const PIPELINE_STAGES = ['request-id', 'authentication', 'rate-limit', 'transform', 'route'] as const;

export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export interface BffAppOptions<M extends BffManifest> {
  manifest: M;
  /** The `route` stage: the BFF's own routes (GraphQL gateway or REST facade). */
  routes: FastifyPluginAsync<{ manifest: M }>;
}

function responseCacheFor(app: FastifyInstance, bff: string, settings: ResponseCacheSettings): ResponseCache {
  const { metrics } = app;
  let lastLoggedAt = 0;
  const cache = createResponseCache(settings, bff, {
    onStatus: (status) => metrics.responseCache.inc({ status }),
    onEvict: () => metrics.responseCacheEvictions.inc(),
    onError: (err) => {
      metrics.responseCacheErrors.inc();
      // One line per outage-ish period, not one per request.
      const now = Date.now();
      if (now - lastLoggedAt < 10_000) return;
      lastLoggedAt = now;
      app.log.warn({ err }, 'response cache unavailable; answering without it');
    },
  });
  app.addHook('onReady', async () => cache.store.whenReady());
  app.addHook('onClose', async () => cache.store.close());
  return cache;
}

function rateLimiterOptions(app: FastifyInstance, bff: string, settings: RateLimitSettings, exemptPaths: readonly string[]): RateLimitPluginOptions {
  const { metrics } = app;
  const store = createRateLimitStore(settings.store, bff, {
    onPrimaryFailure: (err) => {
      app.log.error({ err }, 'rate-limit store unreachable; deciding locally until it recovers');
      metrics.rateLimitStoreFailures.inc();
    },
    onRecovered: () => app.log.warn('rate-limit store reachable again'),
  });
  // Decisions are shared only once the store is connected: wait for it (bounded) before listening.
  app.addHook('onReady', async () => store.whenReady?.());
  app.addHook('onClose', async () => store.close());
  return {
    store,
    settings,
    exemptPaths,
    onDecision: (scope, decision) =>
      metrics.rateLimitDecisions.inc({
        scope,
        decision: decision.allowed ? 'allowed' : 'limited',
        source: decision.source === 'primary' || decision.source === 'fallback' ? decision.source : 'memory',
      }),
  };
}

/** Builds a BFF's Fastify app (not listening). */
export async function createBffApp<M extends BffManifest>({ manifest, routes }: BffAppOptions<M>): Promise<FastifyInstance> {
  const { server } = manifest;
  const app = Fastify({
    logger: createLoggerOptions({ name: `portico-${manifest.name}`, level: server.logLevel }),
    // Stage 1, request id: chosen before anything else so every log line and error carries it.
    genReqId: (req) => resolveRequestId(req.headers[REQUEST_ID_HEADER]),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: server.bodyLimitBytes,
    requestTimeout: server.requestTimeoutMs,
    return503OnClosing: true,
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
  // Requests still in flight at shutdown answer with `Connection: close`, so the client's
  // keep-alive socket does not hold the server open after its last response.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  installErrorHandling(app);
  await app.register(healthPlugin);
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
  app.decorate('responseCache', manifest.policies?.responseCache ? responseCacheFor(app, manifest.name, manifest.policies.responseCache) : undefined);

  const policies = manifest.policies ?? {};
  // Browser edge: security headers on every answer, CORS preflights answered before any credential is asked for.
  await registerEdgeHeaders(app, policies.cors);

  // Denied clients are turned away before any token or limiter work.
  if (policies.accessRules) await app.register(accessRulesPlugin, { rules: policies.accessRules, onDenied: (rule) => metrics.accessDenied.inc({ rule }) });

  // Before any stage reads a header: client-sent identity headers are gone.
  await app.register(stripIdentityHeadersPlugin, {
    extraIdentityHeaders: policies.extraIdentityHeaders ?? [],
    onStripped: (count) => metrics.identityHeadersStripped.inc(count),
  });

  const limiter = policies.rateLimit ? rateLimiterOptions(app, manifest.name, policies.rateLimit, policies.authn?.publicPaths ?? DEFAULT_PUBLIC_PATHS) : undefined;
  // Before authentication: the coarse per-IP limit, so floods are cut before any token work.
  if (limiter) await app.register(ipRateLimitPlugin, limiter);

  // Stage 2, authentication.
  if (policies.authn) {
    const options = authnPluginOptions(
      policies.authn,
      (code) => metrics.authFailures.inc({ reason: code }),
      {
        onReady: (task) => app.addHook('onReady', task),
        onClose: (task) => app.addHook('onClose', task),
      },
      {
        onCall: (outcome) => metrics.introspectionRequests.inc({ outcome }),
        onCache: (result) => metrics.introspectionCache.inc({ result }),
        // Refused client credentials are a gateway misconfiguration: the log says which.
        onEndpointFailure: (outcome, err) => app.log.error({ err, outcome }, `token introspection failed: ${err.message}`),
      },
    );
    await app.register(authnPlugin, { ...options, ...(policies.principalKinds ? { principalKinds: policies.principalKinds } : {}) });
  }

  // Stage 3, rate limit, keyed by the verified principal.
  if (limiter) await app.register(principalRateLimitPlugin, limiter);

  // Stage 4, transform: the verified identity becomes the upstream headers.
  await app.register(injectIdentityHeadersPlugin);

  // Response shaping for metered networks, around the routes.
  if (server.compress) await app.register(fastifyCompress, { global: true, threshold: 1_024, encodings: ['br', 'gzip'] });
  if (server.etag) await app.register(fastifyEtag);

  // Stage 5, route.
  await app.register(routes, { manifest });
  return app;
}
