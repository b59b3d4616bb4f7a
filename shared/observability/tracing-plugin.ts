/**
 * The request's span, registered only when tracing is on. It opens where Fastify creates
 * the request's logger, before anything is logged, so every log line of the request
 * (`incoming request` included) carries its `trace_id` and `span_id`; it ends when the
 * response is done, named by its route and carrying the status, the BFF and the client's
 * name and version. The pipeline's stages that do work of their own (authentication, the
 * limits) get spans between hooks placed around them (`stageSpanHooks`).
 */
import { isOwnWarmUpRequest } from '../warm-up-request';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { compileAccessRules } from '../policies/edge/access-rules';
import { incomingTraceContext, SpanKind, TraceScope, type Tracing } from './tracing';

export interface RequestTracingOptions {
  tracing: Tracing;
  /** The BFF's name, on every request span. */
  bff: string;
  /** Proxies whose `traceparent` is believed (the edge policy's `trustedProxies`). Default none. */
  trustedProxies?: readonly string[];
}

/** Longest client name or version recorded, in characters: they are client-sent. */
const MAX_CLIENT_LABEL = 64;

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v ? v.slice(0, MAX_CLIENT_LABEL) : undefined;
}

/** Pure: the client a request names: Apollo's client-awareness headers (or `x-client-*`), else an API key's client id. */
export function clientOf(request: Pick<FastifyRequest, 'headers' | 'principal'>): { name?: string; version?: string } {
  const { headers } = request;
  const name = headerValue(headers['apollographql-client-name'] ?? headers['x-client-name']) ?? (request.principal?.method === 'api-key' ? request.principal.clientId : undefined);
  const version = headerValue(headers['apollographql-client-version'] ?? headers['x-client-version']);
  return { ...(name ? { name } : {}), ...(version ? { version } : {}) };
}

/** Registers the request span (call before any hook that should see `request.trace`). */
export function registerRequestTracing(app: FastifyInstance, { tracing, bff, trustedProxies }: RequestTracingOptions): void {
  const proxies = trustedProxies && trustedProxies.length > 0 ? compileAccessRules({ allow: trustedProxies }, 'policies.trustedProxies') : undefined;
  // The raw request is what the logger factory sees; the Fastify request is made from it.
  const opened = new WeakMap<IncomingMessage, TraceScope>();

  app.setChildLoggerFactory((logger, bindings, opts, raw) => {
    const req = raw as IncomingMessage;
    // The BFF's own warm-up requests are not traced.
    if (isOwnWarmUpRequest(req)) return logger.child(bindings, opts);
    const peer = req.socket?.remoteAddress;
    const trusted = proxies !== undefined && peer !== undefined && proxies.decide(peer, undefined).allowed;
    const { parent, links } = incomingTraceContext(tracing.propagator, req.headers, trusted);
    const scope = TraceScope.start(tracing, req.method ?? 'HTTP', parent, SpanKind.SERVER, { 'http.request.method': req.method ?? '_OTHER', 'url.scheme': 'http', 'portico.bff': bff }, links);
    opened.set(req, scope);
    return logger.child({ ...bindings, ...scope.ids }, opts);
  });

  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = opened.get(request.raw);
    done();
  });
  app.addHook('onError', (request, _reply, error, done) => {
    request.traceFailure = error;
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    endRequestSpan(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.trace?.span.setAttribute('portico.client_aborted', true);
    endRequestSpan(request, undefined);
    done();
  });
}

function endRequestSpan(request: FastifyRequest, reply: FastifyReply | undefined): void {
  const scope = request.trace;
  if (!scope) return;
  for (const stage of request.traceStages ?? []) stage.end(request.traceFailure ?? { code: 'REFUSED' });
  // A passthrough's call ends with the response it streamed, inside the request's span.
  request.passthroughCall?.span?.end();
  const { span } = scope;
  const route = request.routeOptions.url;
  if (route) {
    span.updateName(`${request.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  const client = clientOf(request);
  if (client.name) span.setAttribute('portico.client.name', client.name);
  if (client.version) span.setAttribute('portico.client.version', client.version);
  if (request.principal) span.setAttribute('portico.principal.kind', request.principal.kind);
  if (!reply) return scope.end('CLIENT_ABORTED');
  span.setAttribute('http.response.status_code', reply.statusCode);
  // The response cache (when the BFF has one) says HIT, MISS or BYPASS in its status header.
  const cacheStatusHeader = request.server.responseCache?.statusHeader;
  const cache = cacheStatusHeader ? reply.getHeader(cacheStatusHeader) : undefined;
  if (typeof cache === 'string') span.setAttribute('portico.cache.status', cache);
  // Server spans fail on 5xx only: a 4xx is the client's, as the HTTP conventions say.
  scope.end(reply.statusCode >= 500 ? (request.traceFailure ?? { code: String(reply.statusCode) }) : undefined);
}

/**
 * Hooks placed before and after a stage's own `onRequest` hooks: the stage's work is one
 * span. A stage that refuses the request stops the hooks after it; its span is then ended,
 * failed, with the request's.
 */
export function stageSpanHooks(name: string): { begin: onRequestHookHandler; end: onRequestHookHandler } {
  return {
    begin: (request, _reply, done) => {
      const stage = request.trace?.child(name);
      if (stage) (request.traceStages ??= []).push(stage);
      done();
    },
    end: (request, _reply, done) => {
      const stage = request.traceStages?.pop();
      stage?.end();
      done();
    },
  };
}
