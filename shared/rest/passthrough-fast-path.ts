/**
 * The passthrough fast path: the commonest partner request (a GET with an API key to a
 * passthrough route) served without Fastify's request lifecycle, running the same policy
 * cores in the same order as plain calls.
 *
 *   request id -> [eligible?] -> per-IP limit -> API key (remembered) -> principal limit
 *     -> identity headers -> breaker -> upstream (one undici dispatch) -> response headers
 *
 * Every decision is made by the code the Fastify pipeline uses (`FastPathParts`, filled by
 * the stages as they register); this file only orders them. A request is taken only when
 * nothing about it needs more than that: anything else (another method, a body, a bearer
 * token, a key not verified within its cache TTL, a refused access rule, client-sent
 * identity headers, a CORS origin, a path needing decoding, the drain under way, tracing,
 * trusted proxies, compression) goes through the whole Fastify pipeline, untouched. Before
 * any state changes (a limiter's budget), the choice is final: refusals from then on
 * (429, an open circuit, upstream failures) are answered here, with the same bodies,
 * headers, metrics and breaker records.
 *
 * `test/integration/passthrough-fast-path.test.ts` sends the same requests through both
 * paths and compares what the client, the upstream, the metrics and the limiter see.
 */
import type { FastifyBaseLogger } from 'fastify';
import FindMyWay from 'find-my-way';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { PorticoError, errorBody, toPorticoError } from '../errors';
import type { DrainState } from '../drain';
import { REQUEST_ID_HEADER, resolveRequestId } from '../observability/request-id';
import { API_KEY_HEADER } from '../policies/authn/api-key';
import { cachedIdentityHeadersFor, NO_IDENTITY_HEADERS } from '../policies/authn/identity-headers';
import type { Principal } from '../policies/authn/principal';
import type { CompiledAccessRules } from '../policies/edge/access-rules';
import type { LimitDecision } from '../policies/rate-limit/gcra';
import { WARM_UP_REQUEST_HEADER } from '../warm-up-request';
import { TARGET_OVERRIDE_HEADER } from '../upstream/target-set';
import type { Upstream } from '../upstream/upstream';
import { clientCausedError, upstreamError } from '../upstream/upstream-errors';
import { namedByConnection } from './hop-by-hop';
import { allowedResponseHeaders, upstreamRequestHeaders, type PassthroughHeaderRules } from './passthrough-headers';
import { unsafePathReason } from './path-safety';
import { declaredLength, DEFAULT_WHOLE_BODY_BYTES } from './upstream-response';

/** Collects response headers (a Fastify reply, or the fast path's own list). */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

/** A limiter stage's core: its decision for a key, and what an answer then carries. */
export interface LimitStageCore {
  decide(key: string, cost: number): LimitDecision | Promise<LimitDecision>;
  /** Counts the decision; writes its headers; returns the refusal when not allowed. */
  settle(sink: HeaderSink, decision: LimitDecision): PorticoError | undefined;
}

/** The principal limiter's core: the bucket and rule of a caller on a route. */
export interface PrincipalLimitCore {
  bucketOf(principal: Principal | undefined, ip: string, method: string, routePattern: string | undefined): { bucket: string; decide(cost: number): LimitDecision | Promise<LimitDecision> };
  settle(sink: HeaderSink, decision: LimitDecision): PorticoError | undefined;
}

/** What the pipeline's stages contribute, each as it registers; absent parts are stages not configured. */
export interface FastPathParts {
  /** Why the fast path is off for this BFF (tracing, trusted proxies, compression...); empty: on. */
  off: string[];
  securityHeaders?: Readonly<Record<string, string>>;
  cors?: boolean;
  accessRules?: CompiledAccessRules;
  isIdentityHeader?: (name: string) => boolean;
  /** Authentication: API keys answered from memory only, and whether bearer tokens are accepted. */
  authn?: { bearer: boolean; apiKeyCached?: (presented: string) => Principal | undefined; admits(principal: Principal, scopes: readonly string[] | undefined): boolean };
  ipLimit?: { key(ip: string): string; core: LimitStageCore };
  principalLimit?: PrincipalLimitCore;
  recordResponse?: (route: string, method: string, status: number, seconds: number) => void;
}

/** One passthrough route as the fast path serves it. */
export interface FastPassthroughRoute {
  prefix: string;
  /** The upstream's `host:port`, the Host the proxy sends. */
  upstreamHost: string;
  rewritePrefix: string;
  upstream: Upstream;
  rules: PassthroughHeaderRules;
  scopes: readonly string[] | undefined;
  /** The version's own headers (deprecation), written on every answer of the route. */
  versionHeaders: Readonly<Record<string, string>> | undefined;
}

/** The route marker a passthrough puts in its Fastify route config. */
export const FAST_PASSTHROUGH_CONFIG = 'fastPassthrough';

/** The router options the Fastify app uses, so both route a path the same way. */
export interface RouterOptions {
  caseSensitive?: boolean;
  ignoreTrailingSlash?: boolean;
  ignoreDuplicateSlashes?: boolean;
  maxParamLength?: number;
  useSemicolonDelimiter?: boolean;
  allowUnsafeRegex?: boolean;
}

/** A registered route, as Fastify's onRoute hook reports it. */
export interface KnownRoute {
  method: string | string[];
  url: string;
  config?: Record<string, unknown>;
}

/** Path and query characters that need no decoding: anything else goes through Fastify. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,=:@/]*$/;
/** Client headers that send a request through the whole pipeline (CORS origin checked separately). */
const PIPELINE_HEADERS = ['authorization', 'content-length', 'transfer-encoding', 'expect', WARM_UP_REQUEST_HEADER, TARGET_OVERRIDE_HEADER];

/** `undefined`: the request is not the fast path's (Fastify serves it). */
export type FastPathHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Deps {
  parts: FastPathParts;
  drain: DrainState;
  log: FastifyBaseLogger;
}

/** Builds the fast path over the app's routes; undefined when no route or no setting allows it. */
export function createPassthroughFastPath(routes: readonly KnownRoute[], routerOptions: RouterOptions, deps: Deps): FastPathHandler | undefined {
  const { parts } = deps;
  if (parts.off.length > 0) return undefined;
  // Only GET is served here; every GET route is known, so the fast path routes exactly as Fastify does.
  const router = FindMyWay({ ...routerOptions, defaultRoute: () => undefined });
  let any = false;
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('GET')) continue;
    const fast = route.config?.[FAST_PASSTHROUGH_CONFIG] as FastPassthroughRoute | undefined;
    any ||= fast !== undefined;
    router.on('GET', route.url, () => undefined, { pattern: route.url, fast });
  }
  if (!any) return undefined;
  const securityHeaders = Object.entries(parts.securityHeaders ?? {});
  // Fastify logs every request at info: the fast path writes the same two lines.
  const logRequests = deps.log.level === 'info' || deps.log.level === 'debug' || deps.log.level === 'trace';

  return (req, res) => {
    if (req.method !== 'GET' || deps.drain.phase !== 'serving') return false;
    const url = req.url ?? '/';
    const headers = req.headers;
    const found = router.find('GET', url);
    const store = found?.store as { pattern: string; fast: FastPassthroughRoute | undefined } | undefined;
    const route = store?.fast;
    if (!route || !store) return false;
    for (const name of PIPELINE_HEADERS) if (headers[name] !== undefined) return false;
    if (parts.cors && headers.origin !== undefined) return false;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (!PLAIN_PATH.test(path) || !path.startsWith(route.prefix) || unsafePathReason(path.slice(route.prefix.length)) !== undefined) return false;
    const dest = route.rewritePrefix + path.slice(route.prefix.length);
    if (dest.split('/').includes('..') || !withinPrefix(dest, route.rewritePrefix)) return false;
    if (parts.isIdentityHeader) for (const name in headers) if (parts.isIdentityHeader(name)) return false;
    const ip = req.socket.remoteAddress ?? '';
    if (parts.accessRules && !parts.accessRules.decide(ip, headers['user-agent']).allowed) return false;
    let principal: Principal | undefined;
    if (parts.authn) {
      const presented = headers[API_KEY_HEADER];
      if (typeof presented !== 'string' || !parts.authn.apiKeyCached) return false;
      principal = parts.authn.apiKeyCached(presented);
      if (!principal || !parts.authn.admits(principal, route.scopes)) return false;
    }
    // From here on the request is the fast path's: a limiter's budget may change.
    serve(deps, route, store.pattern, req, res, path, query === -1 ? undefined : url.slice(query + 1), dest, ip, principal, securityHeaders, logRequests);
    return true;
  };
}

/** http-proxy's rule: the destination stays under the rewrite prefix. */
function withinPrefix(dest: string, rewritePrefix: string): boolean {
  const boundary = rewritePrefix.endsWith('/') ? rewritePrefix : `${rewritePrefix}/`;
  return dest === rewritePrefix || dest.startsWith(boundary) || rewritePrefix === '';
}

/** One response's headers, in the order the Fastify pipeline writes them. */
class ResponseHeaders implements HeaderSink {
  readonly list: [string, string | string[]][] = [];
  constructor(private readonly drain: DrainState) {}
  header(name: string, value: string | string[]): this {
    this.list.push([name, value]);
    return this;
  }
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of this.list) out[name] = value;
    // Once draining, clients reconnect for their next request, and a balancer sends it elsewhere.
    if (this.drain.phase !== 'serving') out.connection = 'close';
    return out;
  }
}

function serve(
  deps: Deps,
  route: FastPassthroughRoute,
  pattern: string,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  rawQuery: string | undefined,
  dest: string,
  ip: string,
  principal: Principal | undefined,
  securityHeaders: readonly [string, string][],
  logRequests: boolean,
): void {
  const { parts, drain } = deps;
  const startedAt = performance.now();
  const id = resolveRequestId(req.headers[REQUEST_ID_HEADER]);
  const log = logRequests ? deps.log.child({ requestId: id }) : undefined;
  log?.info({ req: { method: 'GET', url: req.url, headers: req.headers, host: req.headers.host, ip, socket: req.socket } }, 'incoming request');
  drain.requestStarted();
  res.once('close', drain.requestFinished);
  const out = new ResponseHeaders(drain);
  out.header(REQUEST_ID_HEADER, id);
  for (const [name, value] of securityHeaders) out.header(name, value);

  const finish = (status: number): void => {
    parts.recordResponse?.(pattern, 'GET', status, (performance.now() - startedAt) / 1_000);
    log?.info({ res: { statusCode: status }, responseTime: performance.now() - startedAt }, 'request completed');
  };
  const fail = (error: PorticoError): void => {
    if (error.statusCode >= 500) log?.error({ err: error.cause ?? error, code: error.code }, 'request failed');
    else log?.info({ code: error.code, reason: (error.cause as Error | undefined)?.message ?? error.message }, 'request rejected');
    sendRawError(res, out, route, error, id);
    finish(error.statusCode);
  };

  const afterIpLimit = (): void => {
    const limiter = parts.principalLimit;
    if (!limiter) return forward();
    const { decide } = limiter.bucketOf(principal, ip, 'GET', pattern);
    const settle = (decision: LimitDecision): void => {
      const refused = limiter.settle(out, decision);
      if (refused) fail(refused);
      else forward();
    };
    decideThen(() => decide(1), settle, (err) => fail(toPorticoError(err)));
  };

  const forward = (): void => {
    const upstream = route.upstream;
    const breaker = upstream.breaker;
    try {
      breaker?.assertNotOpen();
    } catch (err) {
      upstream.observe(performance.now(), { error: err });
      fail(toPorticoError(err));
      return;
    }
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const requestHeaders = forwardedRequestHeaders(req.headers, route, principal, id, ip, proto);
    const callStartedAt = performance.now();
    let answered: number | undefined;
    upstream.dispatcher.dispatch(
      // The client's query string as sent, byte for byte.
      { method: 'GET', path: rawQuery === undefined ? dest : `${dest}?${rawQuery}`, headers: requestHeaders, body: null },
      new FastPassthroughHandler(res, out, route, {
        // Recorded when the status arrives, before the body: what the upstream did is known.
        answered: (status) => {
          answered = status;
          breaker?.record(status >= 500, performance.now() - callStartedAt);
        },
        sent: (status) => {
          upstream.observe(callStartedAt, { status });
          finish(status);
        },
        failed: (err, clientGone) => {
          if (answered !== undefined) {
            upstream.observe(callStartedAt, { status: answered });
            if (res.headersSent || clientGone) {
              // The body broke off mid-stream: the client sees a cut connection, as with a streamed proxy.
              log?.warn({ err, upstream: upstream.name }, 'upstream response unreadable');
              res.destroy();
              finish(answered);
              return;
            }
            log?.warn({ err, upstream: upstream.name }, 'upstream response unreadable');
            const unreadable = new PorticoError('UPSTREAM_BAD_RESPONSE', 'The upstream response did not match its declared length.');
            sendRawError(res, out, route, unreadable, id);
            finish(unreadable.statusCode);
            return;
          }
          if (clientGone) return;
          const clients = clientCausedError(err);
          if (clients) return fail(clients);
          breaker?.record(true, performance.now() - callStartedAt);
          upstream.observe(callStartedAt, { error: err });
          const mapped = upstreamError(upstream.name, err);
          log?.warn({ err, upstream: upstream.name }, 'passthrough failed');
          sendRawError(res, out, route, mapped, id);
          finish(mapped.statusCode);
        },
      }),
    );
  };

  const ipLimit = parts.ipLimit;
  if (!ipLimit) return afterIpLimit();
  decideThen(
    () => ipLimit.core.decide(ipLimit.key(ip), 1),
    (decision) => {
      const refused = ipLimit.core.settle(out, decision);
      if (refused) fail(refused);
      else afterIpLimit();
    },
    (err) => fail(toPorticoError(err)),
  );
}

/** A plain call when the decision is already made (the memory store); a promise only for a remote store. */
function decideThen(decide: () => LimitDecision | Promise<LimitDecision>, then: (d: LimitDecision) => void, failed: (err: unknown) => void): void {
  let decision: LimitDecision | Promise<LimitDecision>;
  try {
    decision = decide();
  } catch (err) {
    failed(err);
    return;
  }
  if (typeof (decision as Promise<LimitDecision>).then === 'function') (decision as Promise<LimitDecision>).then(then, failed);
  else then(decision as LimitDecision);
}

/** The headers sent upstream: what the proxy would send (the client's minus Connection and what it names, Host the upstream's), then Portico's rules. */
function forwardedRequestHeaders(client: IncomingHttpHeaders, route: FastPassthroughRoute, principal: Principal | undefined, id: string, ip: string, proto: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...client };
  if (headers.connection !== undefined) {
    for (const name of namedByConnection(headers.connection) ?? []) delete headers[name];
    delete headers.connection;
  }
  headers.host = route.upstreamHost;
  return upstreamRequestHeaders(headers, route.rules, {
    identity: principal ? cachedIdentityHeadersFor(principal) : NO_IDENTITY_HEADERS,
    requestIdHeader: REQUEST_ID_HEADER,
    requestId: id,
    forwarding: { chain: [ip], proto, host: client.host || undefined },
  });
}

/** The catalogue's error answer, as the error handler writes it. */
function sendRawError(res: ServerResponse, out: ResponseHeaders, route: FastPassthroughRoute, error: PorticoError, id: string): void {
  for (const [name, value] of Object.entries(error.headers)) out.header(name, value);
  const body = JSON.stringify(errorBody(error, id));
  out.header('content-type', 'application/json; charset=utf-8');
  writeWhole(res, error.statusCode, out, route, Buffer.from(body));
}

/** Writes a whole answer: status, headers and body in one write. */
function writeWhole(res: ServerResponse, status: number, out: ResponseHeaders, route: FastPassthroughRoute, body: Buffer | undefined): void {
  if (route.versionHeaders) for (const name in route.versionHeaders) out.header(name, route.versionHeaders[name] as string);
  const headers = out.toObject();
  if (body !== undefined) headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  res.end(body);
}

/** What the fast path learns of one upstream call. */
interface CallEvents {
  /** The upstream answered with this status (its body may still fail). */
  answered(status: number): void;
  /** The whole answer was written to the client. */
  sent(status: number): void;
  /** The call or its body failed; `clientGone`: because the client left. */
  failed(err: unknown, clientGone: boolean): void;
}

/**
 * One upstream call through undici's handler interface: a small answer of declared length is
 * gathered into one buffer and written with its headers at once; anything else streams
 * through with back-pressure.
 */
class FastPassthroughHandler implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] | undefined;
  private expected = 0;
  private received = 0;
  private status = 0;
  private streaming = false;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly out: ResponseHeaders,
    private readonly route: FastPassthroughRoute,
    private readonly events: CallEvents,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The client left: the upstream call is abandoned.
    this.res.once('close', () => {
      if (!this.res.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    this.events.answered(statusCode);
    const allowed = allowedResponseHeaders(responseHeadersOf(headers, this.route), this.route.rules);
    for (const name in allowed) {
      const value = allowed[name];
      if (typeof value === 'string') this.out.header(name, sanitize(value));
      else if (Array.isArray(value)) this.out.header(name, value.map(sanitize));
    }
    const length = declaredLength(headers as IncomingHttpHeaders);
    if (statusCode === 204 || statusCode === 304 || length === 0) {
      this.chunks = [];
      this.expected = 0;
    } else if (length !== undefined && length <= DEFAULT_WHOLE_BODY_BYTES) {
      this.chunks = [];
      this.expected = length;
    } else {
      // Streamed: the answer's own headers go now, the body as it comes.
      this.streaming = true;
      if (this.route.versionHeaders) for (const name in this.route.versionHeaders) this.out.header(name, this.route.versionHeaders[name] as string);
      if (!hasHeader(this.out, 'content-type')) this.out.header('content-type', 'application/octet-stream');
      this.res.writeHead(statusCode, this.out.toObject());
      this.res.on('drain', () => controller.resume());
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.received += chunk.length;
    if (this.chunks) {
      this.chunks.push(chunk);
      return;
    }
    if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.streaming) {
      this.res.end();
      this.events.sent(this.status);
      return;
    }
    const chunks = this.chunks ?? [];
    const bodiless = this.status === 204 || this.status === 304;
    if (!bodiless && this.received !== this.expected) {
      this.events.failed(new Error(`the upstream declared ${this.expected} bytes and sent ${this.received}`), false);
      return;
    }
    if (!hasHeader(this.out, 'content-type') && !bodiless) this.out.header('content-type', 'application/octet-stream');
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    if (bodiless) {
      if (this.route.versionHeaders) for (const name in this.route.versionHeaders) this.out.header(name, this.route.versionHeaders[name] as string);
      this.res.writeHead(this.status, this.out.toObject());
      this.res.end();
    } else writeWhole(this.res, this.status, this.out, this.route, body);
    this.events.sent(this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.events.failed(err, this.res.destroyed && !this.res.writableFinished);
  }
}

function hasHeader(out: ResponseHeaders, name: string): boolean {
  for (const [n] of out.list) if (n === name) return true;
  return false;
}

/** The proxy's own rewrites of an answer's headers: Location back into the facade's path, invalid characters dropped. */
function responseHeadersOf(headers: Record<string, string | string[] | undefined>, route: FastPassthroughRoute): Record<string, string | string[] | undefined> {
  const location = headers.location;
  if (typeof location !== 'string' || /^https?:\/\//.test(location)) return headers;
  return { ...headers, location: location.replace(route.rewritePrefix, route.prefix) };
}

const INVALID_HEADER_CHARACTER = /[^\t\x20-\x7E\x80-\xFF]/;
const INVALID_HEADER_CHARACTERS = /[^\t\x20-\x7E\x80-\xFF]/g;
function sanitize(value: string): string {
  return INVALID_HEADER_CHARACTER.test(value) ? value.replace(INVALID_HEADER_CHARACTERS, '') : value;
}
