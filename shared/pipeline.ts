/**
 * THE request pipeline of every Portico BFF, in one place and one order (`PIPELINE`):
 *
 *   request id -> edge headers -> access rules -> identity header hygiene -> per-IP limit
 *     -> authentication -> principal limit -> transform -> response shaping
 *     -> response cache -> circuit breakers -> route
 *
 * Every BFF is built by `createBffApp(manifest)`, so web, mobile and partner cannot differ
 * in ordering. A stage whose policy slice the manifest leaves out does nothing; stages are
 * never reordered. Each policy stage comes from its policy's folder (`*-policy.ts`); the
 * manifest schema, the environment variables and the configuration reference are composed
 * from the policies listed here, so a new policy is its folder plus one line below. Liveness, readiness, metrics and error handling wrap the pipeline and
 * are the same everywhere.
 */
import fastifyCompress from '@fastify/compress';
import fastifyEtag from '@fastify/etag';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { BffManifest } from './manifest';
import { isOwnWarmUpRequest, isWarmUpRequest, takeWarmUpMarker, WARM_UP_REQUEST_HEADER } from './warm-up-request';
import { PorticoError, errorBody } from './errors';
import { installErrorHandling } from './rest/error-handler';
import { clientErrorHandler } from './rest/client-errors';
import { healthPlugin, recordReadiness } from './observability/health';
import { drainPlugin } from './drain-plugin';
import { nodeServerTimeouts } from './server-settings';
import { createLoggerOptions } from './observability/logger';
import { REQUEST_ID_HEADER, resolveRequestId } from './observability/request-id';
import { createMetrics } from './observability/metrics';
import { metricsPlugin } from './observability/metrics-plugin';
import { startTracing } from './observability/tracing';
import { registerRequestTracing, stageSpanHooks } from './observability/tracing-plugin';
import type { PipelineStage, PolicyDefinition, StageContext } from './policies/policy';
import { accessRulesStage, edgeHeadersStage, edgePolicy } from './policies/edge/edge-policy';
import { authenticationStage, authnPolicy, identityHeaderHygieneStage, transformStage } from './policies/authn/authn-policy';
import { perIpRateLimitStage, principalRateLimitStage, rateLimitPolicy } from './policies/rate-limit/rate-limit-policy';
import { responseCacheStage } from './policies/response-cache/response-cache-policy';
import { circuitBreakersStage } from './upstream/breaker-policy';
import { restFacadePlugin } from './rest/rest-facade-plugin';
import { createPassthroughFastPath, type FastPathParts, type FastPathHandler, type KnownRoute } from './rest/passthrough-fast-path';

/** Compression and ETags for metered networks, around the routes (server settings, every BFF). */
const responseShapingStage: PipelineStage = {
  name: 'response shaping',
  register: async (_settings, { app, server }) => {
    if (server.compress) await app.register(fastifyCompress, { global: true, threshold: 1_024, encodings: ['br', 'gzip'] });
    if (server.etag) await app.register(fastifyEtag);
  },
};

/** The route stage: the federated GraphQL endpoint or the versioned REST facade, in its own encapsulated context. */
const routeStage: PipelineStage = {
  name: 'route',
  register: async (_settings, { app, server, routes, settingsOf }) => {
    if (routes.kind === 'graphql') {
      const { kind: _graphql, ...options } = routes;
      // Required here, not imported at the top: a REST BFF never loads Apollo Server and Apollo Gateway for it.
      const { federatedGraphqlPlugin } = require('./graphql/federated-graphql-plugin') as typeof import('./graphql/federated-graphql-plugin');
      await app.register(async (scope) => federatedGraphqlPlugin(scope, options));
      return;
    }
    const { kind: _rest, ...options } = routes;
    const { authn, principalKinds } = settingsOf(authnPolicy);
    const { rateLimit } = settingsOf(rateLimitPolicy);
    const { accessRules } = settingsOf(edgePolicy);
    // The OpenAPI documents describe the credentials, limits and refusals this BFF actually applies.
    const docs = {
      ...options.docs,
      apiKeys: Boolean(authn?.apiKeys),
      bearerTokens: Boolean(authn?.jwt || authn?.introspection),
      bearerKinds: { jwt: Boolean(authn?.jwt), introspection: Boolean(authn?.introspection) },
      principalKinds: principalKinds !== undefined,
      accessRules: accessRules !== undefined,
      ...(rateLimit ? { rateLimit } : {}),
    };
    await app.register(async (scope) => restFacadePlugin(scope, { ...options, bodyLimitBytes: server.bodyLimitBytes, docs }));
  },
};

/** The stages, in request order. A policy's stages read its slice of `manifest.policies`; the manifest schema is composed from their policies. */
export const PIPELINE = [
  // Browser edge: security headers on every answer, CORS preflights answered before any credential is asked for.
  edgeHeadersStage,
  // Denied clients are turned away before any token or limiter work.
  accessRulesStage,
  // Before any stage reads a header: client-sent identity headers are gone.
  identityHeaderHygieneStage,
  // The coarse per-IP limit, so floods are cut before any token work.
  perIpRateLimitStage,
  authenticationStage,
  // Keyed by the verified principal.
  principalRateLimitStage,
  // The verified identity becomes the upstream headers.
  transformStage,
  responseShapingStage,
  // Consulted by the routes only, after authentication and limits.
  responseCacheStage,
  // One breaker per upstream, around every upstream call the routes make.
  circuitBreakersStage,
  routeStage,
] as const;

type SettingsOf<T> = T extends PipelineStage<infer S> ? S : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** `manifest.policies`: every slice of every policy in the pipeline. */
export type PipelinePolicySettings = Intersection<SettingsOf<(typeof PIPELINE)[number]>>;

/** The policies of the pipeline, each once, in the order their first stage runs. */
export const PIPELINE_POLICIES: readonly PolicyDefinition[] = [...new Set(PIPELINE.flatMap((stage) => ('policy' in stage && stage.policy ? [stage.policy as PolicyDefinition] : [])))];

/**
 * Whether a request is one of the BFF's own warm-up requests, which are not logged. Fastify's
 * log controller is handed its request or the raw one; once the pipeline has run, the marker
 * header is gone and the request says it itself.
 */
function isWarmUpLogged(req: object): boolean {
  if (!('raw' in req)) return isOwnWarmUpRequest(req as IncomingMessage);
  const request = req as FastifyRequest;
  return request.warmUp || isOwnWarmUpRequest(request.raw);
}

/** Why a BFF serves no request on the passthrough fast path: settings it does not implement (they need the whole pipeline). */
function fastPathOffReasons(manifest: BffManifest, tracing: boolean): string[] {
  const { server, routes } = manifest;
  const off: string[] = [];
  if (routes.kind !== 'rest') off.push('no passthrough routes');
  if (server.passthroughFastPath === false) off.push('PASSTHROUGH_FAST_PATH=off');
  if (tracing) off.push('tracing');
  if (server.compress) off.push('compression');
  if (server.etag) off.push('etags');
  return off;
}

/**
 * Puts the fast path in front of Fastify's request handler: a request it does not take
 * (returns false) goes to Fastify unchanged.
 */
function serveFastPathFirst(app: FastifyInstance, fastPath: FastPathHandler): void {
  const server = app.server;
  const [fastify, ...others] = server.listeners('request') as ((req: IncomingMessage, res: import('node:http').ServerResponse) => void)[];
  if (!fastify || others.length > 0) throw new Error('the passthrough fast path expects Fastify as the only request listener');
  server.removeListener('request', fastify);
  server.on('request', (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    let taken: boolean;
    try {
      taken = fastPath(req, res);
    } catch (err) {
      // A fault of the fast path's own is answered, never a crash: the catalogue's 500, logged.
      app.log.error({ err }, 'passthrough fast path failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(errorBody(new PorticoError('INTERNAL_ERROR'))));
      } else res.destroy();
      return;
    }
    if (!taken) fastify(req, res);
  });
}

/** Builds a BFF's Fastify app (not listening). */
export async function createBffApp(manifest: BffManifest): Promise<FastifyInstance> {
  const { server, routes } = manifest;
  const policies = (manifest.policies ?? {}) as Record<string, unknown>;
  const settingsOf = <S extends object>(_policy: PolicyDefinition<S>): S => policies as S;
  const { trustedProxies } = settingsOf(edgePolicy);
  const app = Fastify({
    logger: createLoggerOptions({ name: `portico-${manifest.name}`, level: server.logLevel }),
    // Stage 1, request id: chosen before anything else so every log line and error carries it.
    genReqId: (req) => resolveRequestId(req.headers[REQUEST_ID_HEADER]),
    requestIdHeader: false,
    // The BFF's own warm-up requests are not logged (warm-up-request.ts).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: isWarmUpLogged }),
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
    trustProxy: trustedProxies?.length ? [...trustedProxies] : false,
  });
  // Tracing off: no SDK loaded, no hook registered (`app.tracing` undefined).
  const tracing = server.tracing ? startTracing(server.tracing, `portico-${manifest.name}`) : undefined;
  app.decorate('tracing', tracing);
  if (tracing) {
    registerRequestTracing(app, { tracing, bff: manifest.name, ...(trustedProxies ? { trustedProxies } : {}) });
    app.addHook('onClose', async () => tracing.shutdown());
  }
  // Each stage leaves its core here as it registers; the fast path is assembled once every route is known.
  const fastPathParts: FastPathParts = { off: fastPathOffReasons(manifest, tracing !== undefined), ...(trustedProxies?.length ? { trustedProxies } : {}) };
  app.decorate('fastPathParts', fastPathParts);
  const knownRoutes: KnownRoute[] = [];
  if (fastPathParts.off.length === 0) app.addHook('onRoute', (route) => void knownRoutes.push({ method: route.method, url: route.url, config: route.config as Record<string, unknown> | undefined }));
  // Hooks with no asynchronous work are written callback-style: no promise per request.
  app.decorateRequest('warmUp', false);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (request.headers[WARM_UP_REQUEST_HEADER] !== undefined && isWarmUpRequest(request.raw)) {
      request.warmUp = true;
      // Its headers, without the marker, are shaped as a client's from here on (warm-up-request.ts).
      takeWarmUpMarker(request.raw);
    }
    done();
  });
  installErrorHandling(app);
  await app.register(healthPlugin);
  // Shutdown: out of the rotation first, then `Connection: close` and SHUTTING_DOWN, never a reset.
  await app.register(drainPlugin);
  const metrics = createMetrics({ bff: manifest.name });
  app.decorate('metrics', metrics);
  recordReadiness(app.readiness, metrics);
  await app.register(metricsPlugin, { metrics, host: server.host, ...(server.metrics ? { access: server.metrics } : {}) });
  const ctx: StageContext = { app, bff: manifest.name, server, routes, settingsOf };
  for (const stage of PIPELINE) {
    // A stage's own onRequest hooks run between these two: its work is one span.
    const spans = tracing && 'traced' in stage && stage.traced?.(policies as never) ? stageSpanHooks(stage.name) : undefined;
    if (spans) app.addHook('onRequest', spans.begin);
    await stage.register(policies as never, ctx);
    if (spans) app.addHook('onRequest', spans.end);
  }
  if (fastPathParts.off.length === 0) {
    app.addHook('onReady', (done) => {
      const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength, useSemicolonDelimiter } = app.initialConfig as Record<string, never>;
      const fastPath = createPassthroughFastPath(knownRoutes, { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength, useSemicolonDelimiter }, { parts: fastPathParts, drain: app.drain, log: app.log });
      if (fastPath) serveFastPathFirst(app, fastPath);
      done();
    });
  }
  return app;
}
