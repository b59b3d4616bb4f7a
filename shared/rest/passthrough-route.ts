/**
 * One passthrough route: @fastify/http-proxy streams bodies both ways, keeps status and
 * query strings; around it, Portico's rules for what goes through, in request order:
 *
 *   body limit (declared, then while streaming) -> path safety -> response cache ->
 *   breaker -> endpoint choice -> request headers rebuilt -> upstream -> response allowlist
 *
 * Everything a request needs from the route (header sets, limits) is compiled here once.
 */
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { API_KEY_HEADER } from '../policies/authn/api-key';
import { PorticoError } from '../errors';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import { TARGET_OVERRIDE_HEADER } from '../upstream/target-set';
import type { Upstream } from '../upstream/upstream';
import { sendError } from './error-handler';
import { unsafePathReason } from './path-safety';
import type { PassthroughRoute, RestUpstream } from './route-table';
import { createPassthroughCache } from './passthrough-cache';
import { sendUpstreamResponse } from './upstream-response';
import { passthroughTargetRouting } from './passthrough-targets';
import { allowedResponseHeaders, compilePassthroughHeaderRules, upstreamRequestHeaders, type ForwardingFacts } from './passthrough-headers';
import { bodyLeftUnread, openPassthroughCall, upstreamAnswered, upstreamCallFailed } from './passthrough-outcome';
import { declaredBody, limitStreamedBody, payloadTooLarge } from './streaming-body-limit';
import { FAST_PASSTHROUGH_CONFIG, type FastPassthroughRoute } from './passthrough-fast-path';

export const DEFAULT_PASSTHROUGH_METHODS: NonNullable<PassthroughRoute['methods']> = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Headers Portico acts on itself: never sent upstream, whatever the route says. */
const PORTICO_REQUEST_HEADERS = [API_KEY_HEADER, TARGET_OVERRIDE_HEADER];

/** The connection as Fastify resolved it through the trusted proxies (`trustProxy`); without any, just the peer. */
function forwardingFacts(request: FastifyRequest): ForwardingFacts {
  // `ips` exists only with trustProxy: the peer first, then each trusted hop, the client last.
  const ips = (request as { ips?: string[] }).ips;
  return {
    chain: ips && ips.length > 1 ? ips.slice().reverse() : [request.ip],
    proto: request.protocol,
    host: request.host || undefined,
  };
}

/** Answers with a client's error; a body still arriving is not read on: the connection closes after the answer. */
function refuse(request: FastifyRequest, reply: FastifyReply, error: PorticoError): void {
  if (bodyLeftUnread(request)) reply.header('connection', 'close');
  void sendError(request, reply, error);
}

/**
 * The proxy hands the client's body stream to undici as is, so the limit is enforced here:
 * on the declared length before anything is read, and on a chunked body as it streams.
 */
function bodyLimitHook(limitBytes: number): preParsingHookHandler {
  return (request, reply, payload, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done(null, payload);
    const body = declaredBody(request.headers['content-length'], request.headers['transfer-encoding']);
    if (body.kind === 'length' && body.bytes > limitBytes) {
      reply.header('connection', 'close');
      return done(payloadTooLarge(limitBytes));
    }
    if (body.kind === 'chunked') return done(null, limitStreamedBody(payload, limitBytes));
    return done(null, payload);
  };
}

/**
 * Registers one passthrough route in its own context (its body-limit hook stays its own).
 * `upstream` is the route's upstream client: the proxy dispatches through its pool (or its
 * endpoints' pools), and its breaker and observer settle each call.
 */
export async function registerPassthrough(app: FastifyInstance, route: PassthroughRoute, config: RestUpstream, upstream: Upstream, bodyLimitBytes: number, versionHeaders?: Readonly<Record<string, string>>): Promise<void> {
  const routing = upstream.targets ? passthroughTargetRouting(upstream, upstream.targets) : undefined;
  const rules = compilePassthroughHeaderRules(route, PORTICO_REQUEST_HEADERS);
  const cache = app.responseCache && route.cache !== false ? createPassthroughCache(app.responseCache, rules) : undefined;

  const methods = route.methods ?? DEFAULT_PASSTHROUGH_METHODS;
  // validateRouteTables refuses an upstream with neither origin nor targets before this runs.
  const target = routing ? routing.upstream : config.origin;
  if (target === undefined) throw new Error(`upstream '${route.upstream}' has no origin`);
  // The fast path serves GETs of a route with one origin, no cache, credentials required and a prefix without parameters.
  const fast: FastPassthroughRoute | undefined =
    !routing && !cache && methods.includes('GET') && !route.auth?.public && !route.auth?.publicWhen && !route.prefix.includes(':') && !route.rewritePrefix?.includes(':')
      ? { prefix: route.prefix, rewritePrefix: route.rewritePrefix ?? '', upstreamHost: new URL(target).host, upstream, rules, scopes: route.auth?.scopes, versionHeaders }
      : undefined;
  await app.register(async (scope) => {
    // Read-only routes (GET, HEAD: Fastify never reads their bodies) need no body hook at all.
    if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) scope.addHook('preParsing', bodyLimitHook(bodyLimitBytes));

    await scope.register(httpProxy, {
      upstream: target,
      prefix: route.prefix,
      rewritePrefix: route.rewritePrefix,
      httpMethods: methods,
      config: { auth: route.auth, forwardAuthorization: route.forwardAuthorization, ...(fast ? { [FAST_PASSTHROUGH_CONFIG]: fast } : {}) },
      preHandler: async (request, reply) => {
        const unsafe = unsafePathReason(request.url.slice(route.prefix.length));
        if (unsafe) throw new PorticoError('BAD_REQUEST', `This path is not allowed: ${unsafe}.`);
        // A fresh cached answer is served even while the upstream's circuit is open.
        if (cache && (await cache.serveCached(request, reply))) return reply;
        openPassthroughCall(request, upstream);
        routing?.choose(request);
      },
      // The upstream's own pool: passthroughs and aggregates share its keep-alive sockets; the registry closes it.
      undici: upstream.dispatcher,
      // Fastify's own two lines per request are the request log; the proxy's two more at info say nothing they do not.
      disableRequestLogging: true,
      replyOptions: {
        ...(routing ? { getUpstream: (request) => routing.getUpstream(request as FastifyRequest) } : {}),
        // An upstream's 503 goes to the client with its Retry-After and counts on the breaker; it is not retried behind the client's back.
        retryDelay: () => null,
        rewriteRequestHeaders: (req, headers) => {
          const request = req as FastifyRequest;
          const out = upstreamRequestHeaders(headers as IncomingHttpHeaders, rules, {
            identity: request.upstreamHeaders,
            requestIdHeader: REQUEST_ID_HEADER,
            requestId: request.id,
            forwarding: forwardingFacts(request),
          });
          // Written last, in place of the client's: the upstream's parent is Portico's span.
          const span = request.passthroughCall?.span;
          if (span) {
            delete out.tracestate;
            span.inject(out);
          }
          return out;
        },
        // Runs after the proxy has rewritten Location into the facade's path space.
        rewriteHeaders: (headers) => allowedResponseHeaders(headers, rules),
        onResponse: (req, rep, response) => {
          const request = req as FastifyRequest;
          // reply-from calls the body `stream`; Portico's one response type calls it `body`.
          const { statusCode, headers, stream } = response as unknown as { statusCode: number; headers: IncomingHttpHeaders; stream: Readable };
          const upstreamResponse = { statusCode, headers, body: stream };
          upstreamAnswered(request, statusCode);
          if (cache) cache.sendAndStore(request, rep as FastifyReply, upstreamResponse);
          else sendUpstreamResponse(request, rep as FastifyReply, upstreamResponse);
        },
        onError: (reply, { error }) => {
          const request = reply.request as FastifyRequest;
          const mapped = upstreamCallFailed(request, route.upstream, error);
          if (mapped.statusCode < 500) {
            request.log.info({ code: mapped.code, reason: mapped.message, upstream: route.upstream }, 'passthrough refused: the request caused it');
            refuse(request, reply as FastifyReply, mapped);
            return;
          }
          request.log.warn({ err: error, upstream: route.upstream }, 'passthrough failed');
          // A request failed while still queued (the deadline) has a body nobody read: close after the answer.
          if (bodyLeftUnread(request)) (reply as FastifyReply).header('connection', 'close');
          void sendError(request, reply as FastifyReply, mapped);
        },
      },
    });
  });
}
