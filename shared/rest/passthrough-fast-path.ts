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
import proxyAddr from '@fastify/proxy-addr';
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
import { allowedResponseHeaders, forwardedHeaders, upstreamRequestHeaders, type PassthroughHeaderRules } from './passthrough-headers';
import { isSafePlainRest, PLAIN_PATH } from './path-safety';
import type { HeaderSink } from '../policies/policy';
import { declaredLength, DEFAULT_WHOLE_BODY_BYTES } from './upstream-response';

/** A limiter stage's core: its decision for a key, and what an answer then carries. */
export interface LimitStageCore {
  decide(key: string, cost: number): LimitDecision | Promise<LimitDecision>;
  /** Counts the decision; writes its headers; returns the refusal when not allowed. */
  settle(sink: HeaderSink, decision: LimitDecision): PorticoError | undefined;
}

/** The principal limiter's core: a caller's decision on a route (its bucket and rule chosen as the stage chooses them). */
export interface PrincipalLimitCore {
  decide(principal: Principal | undefined, ip: string, method: string, routePattern: string | undefined, cost: number): LimitDecision | Promise<LimitDecision>;
  settle(sink: HeaderSink, decision: LimitDecision): PorticoError | undefined;
}

/** What the pipeline's stages contribute, each as it registers; absent parts are stages not configured. */
export interface FastPathParts {
  /** Why the fast path is off for this BFF (tracing, compression...); empty: on. */
  off: string[];
  /** The proxies whose X-Forwarded-* are believed (`TRUSTED_PROXIES`), as the app resolves them. */
  trustedProxies?: readonly string[];
  securityHeaders?: Readonly<Record<string, string>>;
  cors?: boolean;
  accessRules?: CompiledAccessRules;
  isIdentityHeader?: (name: string) => boolean;
  /** Authentication: API keys answered from memory only, who may call a route, which routes are public. */
  authn?: {
    apiKeyCached?: (presented: string) => Principal | undefined;
    admits(principal: Principal, scopes: readonly string[] | undefined): boolean;
    /** Route patterns needing no credentials (`publicPaths`): the pipeline neither authenticates nor limits them. */
    publicRoutes: ReadonlySet<string>;
  };
  ipLimit?: { key(ip: string): string; core: LimitStageCore };
  principalLimit?: PrincipalLimitCore;
  /** Counts a request the fast path took (`portico_passthrough_fast_path_requests_total`), answered or not. */
  countTaken?: () => void;
  /** Records a finished answer in the HTTP metrics, as the pipeline's onResponse hook does. */
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

/** reply-from refuses (400) a destination with `..` next to a slash anywhere, not only as a whole segment (`/...`, `/a../b`). */
const DOT_DOT_NEXT_TO_SLASH = /\/\.\.|\.\.\//;
/** Client headers that send a request through the whole pipeline (CORS origin checked separately). */
const PIPELINE_HEADERS = ['authorization', 'content-length', 'transfer-encoding', 'expect', WARM_UP_REQUEST_HEADER, TARGET_OVERRIDE_HEADER];

/** Serves a request on the fast path and returns true, or returns false having changed nothing (Fastify serves it). */
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
    // A pattern listed in publicPaths is served without credentials, identity headers or limits: the pipeline's.
    const fast = parts.authn?.publicRoutes.has(route.url) ? undefined : (route.config?.[FAST_PASSTHROUGH_CONFIG] as FastPassthroughRoute | undefined);
    any ||= fast !== undefined;
    router.on('GET', route.url, () => undefined, { pattern: route.url, fast });
  }
  if (!any) return undefined;
  const securityHeaders = Object.entries(parts.securityHeaders ?? {});
  const trusts = parts.trustedProxies?.length ? proxyAddr.compile([...parts.trustedProxies]) : undefined;
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
    if (!PLAIN_PATH.test(path) || !path.startsWith(route.prefix) || !isSafePlainRest(path.slice(route.prefix.length))) return false;
    const dest = route.rewritePrefix + path.slice(route.prefix.length);
    if (dest === '..' || DOT_DOT_NEXT_TO_SLASH.test(dest) || !withinPrefix(dest, route.rewritePrefix)) return false;
    if (parts.isIdentityHeader) for (const name in headers) if (parts.isIdentityHeader(name)) return false;
    const connection = connectionOf(req, trusts);
    const ip = connection.ip;
    if (parts.accessRules && !parts.accessRules.decide(ip, headers['user-agent']).allowed) return false;
    let principal: Principal | undefined;
    if (parts.authn) {
      const presented = headers[API_KEY_HEADER];
      if (typeof presented !== 'string' || !parts.authn.apiKeyCached) return false;
      principal = parts.authn.apiKeyCached(presented);
      if (!principal || !parts.authn.admits(principal, route.scopes)) return false;
    }
    // From here on the request is the fast path's: a limiter's budget may change.
    // The client's query string goes upstream as sent, byte for byte.
    new FastPassthroughCall(deps, route, store.pattern, req, res, query === -1 ? dest : dest + url.slice(query), connection, principal, securityHeaders, logRequests).start();
    return true;
  };
}

/** The connection as the app's request sees it (`request.ip`, `ips`, `host`, `protocol`). */
interface ConnectionFacts {
  ip: string;
  /** Client first, then each trusted hop, the peer last. */
  chain: string[];
  proto: string;
  host: string | undefined;
  /** The forwarded headers these facts give, once computed (facts kept for a connection's requests). */
  forwardedHeaders?: Readonly<Record<string, string>>;
}

const CONNECTION_FACTS = Symbol('portico.connectionFacts');
type FactsSocket = IncomingMessage['socket'] & { [CONNECTION_FACTS]?: ConnectionFacts };

function lastEntry(value: string): string {
  const comma = value.lastIndexOf(',');
  return comma === -1 ? value.trim() : value.slice(comma + 1).trim();
}

/**
 * Pure: who the client is, as Fastify resolves it through the trusted proxies (the same
 * proxy-addr rules): the forwarded address, scheme and host are believed only from a
 * trusted peer.
 */
export function connectionOf(req: IncomingMessage, trusts: ((addr: string, i: number) => boolean) | undefined): ConnectionFacts {
  const socket = req.socket;
  const encrypted = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const headers = req.headers;
  if (!trusts) {
    // Without trusted proxies the facts are the socket's and the Host header's: the same for
    // every request on a keep-alive connection that sends the same Host, so they are kept on it.
    const host = headers.host || undefined;
    const kept = (socket as FactsSocket)[CONNECTION_FACTS];
    if (kept !== undefined && kept.host === host) return kept;
    const ip = socket.remoteAddress ?? '';
    const facts: ConnectionFacts = { ip, chain: [ip], proto: encrypted, host };
    (socket as FactsSocket)[CONNECTION_FACTS] = facts;
    return facts;
  }
  const addrs = proxyAddr.all(req, trusts);
  const ip = addrs[addrs.length - 1] as string;
  const peerTrusted = socket.remoteAddress !== undefined && trusts(socket.remoteAddress, 0);
  const forwardedHost = headers['x-forwarded-host'];
  const forwardedProto = headers['x-forwarded-proto'];
  const host = peerTrusted && typeof forwardedHost === 'string' && forwardedHost ? lastEntry(forwardedHost) : (headers.host ?? '');
  const proto = peerTrusted && typeof forwardedProto === 'string' && forwardedProto ? lastEntry(forwardedProto) : encrypted;
  return { ip, chain: addrs.length > 1 ? addrs.slice().reverse() : [ip], proto, host: host || undefined };
}

/** http-proxy's rule: the destination stays under the rewrite prefix. */
function withinPrefix(dest: string, rewritePrefix: string): boolean {
  const boundary = rewritePrefix.endsWith('/') ? rewritePrefix : `${rewritePrefix}/`;
  return dest === rewritePrefix || dest.startsWith(boundary) || rewritePrefix === '';
}

type Headers = Record<string, string | string[]>;

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * One request on the fast path, from its limits to its answer, and undici's handler for its
 * upstream call: one object per request, its steps methods rather than closures. Response
 * headers are collected in one object, in the order the Fastify pipeline writes them; a
 * later write of a name replaces the earlier value, as `reply.header` does.
 */
class FastPassthroughCall implements Dispatcher.DispatchHandler, HeaderSink {
  private readonly startedAt = performance.now();
  private readonly id: string;
  private readonly log: FastifyBaseLogger | undefined;
  private readonly headers: Headers = {};
  private callStartedAt = 0;
  /** The upstream's status, once it answered (its body may still fail). */
  private answered: number | undefined;
  private chunks: Buffer[] | undefined;
  private expected = 0;
  private received = 0;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly route: FastPassthroughRoute,
    private readonly pattern: string,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upstreamPath: string,
    private readonly connection: ConnectionFacts,
    private readonly principal: Principal | undefined,
    securityHeaders: readonly [string, string][],
    logRequests: boolean,
  ) {
    this.id = resolveRequestId(req.headers[REQUEST_ID_HEADER]);
    this.log = logRequests ? deps.log.child({ requestId: this.id }) : undefined;
    this.headers[REQUEST_ID_HEADER] = this.id;
    for (const [name, value] of securityHeaders) this.headers[name] = value;
  }

  header(name: string, value: string | string[]): this {
    this.headers[name] = value;
    return this;
  }

  start(): void {
    const { req } = this;
    this.log?.info({ req: { method: 'GET', url: req.url, headers: req.headers, host: req.headers.host, ip: this.connection.ip, socket: req.socket } }, 'incoming request');
    const { drain, parts } = this.deps;
    drain.requestStarted();
    parts.countTaken?.();
    // One listener function for every response: 'close' comes once, also for an abandoned one.
    (this.res as CallResponse)[CALL] = this;
    this.res.on('close', responseClosed);
    const ipLimit = parts.ipLimit;
    if (!ipLimit) return this.principalLimit();
    let decision: LimitDecision | Promise<LimitDecision>;
    try {
      decision = ipLimit.core.decide(ipLimit.key(this.connection.ip), 1);
    } catch (err) {
      return this.fail(toPorticoError(err));
    }
    if (isPromise(decision)) decision.then((d) => this.afterIpLimit(d), (err: unknown) => this.fail(toPorticoError(err))).catch((err: unknown) => this.faulted(err));
    else this.afterIpLimit(decision);
  }

  private afterIpLimit(decision: LimitDecision): void {
    const refused = this.deps.parts.ipLimit?.core.settle(this, decision);
    if (refused) this.fail(refused);
    else this.principalLimit();
  }

  private principalLimit(): void {
    const limiter = this.deps.parts.principalLimit;
    if (!limiter) return this.forward();
    let decision: LimitDecision | Promise<LimitDecision>;
    try {
      decision = limiter.decide(this.principal, this.connection.ip, 'GET', this.pattern, 1);
    } catch (err) {
      return this.fail(toPorticoError(err));
    }
    if (isPromise(decision)) decision.then((d) => this.afterPrincipalLimit(d), (err: unknown) => this.fail(toPorticoError(err))).catch((err: unknown) => this.faulted(err));
    else this.afterPrincipalLimit(decision);
  }

  private afterPrincipalLimit(decision: LimitDecision): void {
    const refused = this.deps.parts.principalLimit?.settle(this, decision);
    if (refused) this.fail(refused);
    else this.forward();
  }

  private forward(): void {
    const upstream = this.route.upstream;
    try {
      upstream.breaker?.assertNotOpen();
    } catch (err) {
      upstream.observe(performance.now(), { error: err });
      return this.fail(toPorticoError(err));
    }
    const requestHeaders = forwardedRequestHeaders(this.req.headers, this.route, this.principal, this.id, this.connection);
    this.callStartedAt = performance.now();
    try {
      upstream.dispatcher.dispatch({ method: 'GET', path: this.upstreamPath, headers: requestHeaders, body: null }, this);
    } catch (err) {
      // undici refused the request itself (a header it will not send): answered like any failed call.
      this.onResponseError(undefined, err as Error);
    }
  }

  // undici's handler interface.

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  /** The response is closed: the request no longer counts as in flight; a client that left first abandons the upstream call. */
  closed(): void {
    this.deps.drain.requestFinished();
    if (!this.res.writableFinished) this.controller?.abort(new Error('the client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, upstreamHeaders: Record<string, string | string[] | undefined>): void {
    // An informational answer (103 Early Hints, 102) comes before the real one, which undici delivers next; the proxy ignores it too.
    if (statusCode < 200) return;
    // Fastify refuses to answer with a status over 599: the proxy fails the call as a bad gateway, before anything is recorded.
    if (statusCode > 599) return controller.abort(new Error(`the upstream answered with status ${statusCode}`));
    // The client left while the call was queued for a connection: the proxy drops the answer unrecorded (no breaker, metrics or observation).
    if (this.res.destroyed) return controller.abort(new Error('the client closed the connection'));
    this.answered = statusCode;
    // Recorded when the status arrives, before the body: what the upstream did is known.
    this.route.upstream.breaker?.record(statusCode >= 500, performance.now() - this.callStartedAt);
    const allowed = allowedResponseHeaders(responseHeadersOf(upstreamHeaders, this.route), this.route.rules);
    for (const name in allowed) {
      const value = allowed[name];
      if (typeof value === 'string') this.headers[name] = sanitize(value);
      else if (Array.isArray(value)) this.headers[name] = value.map(sanitize);
    }
    const length = declaredLength(upstreamHeaders as IncomingHttpHeaders);
    if (statusCode === 204) {
      // Fastify sends no content headers with a 204.
      delete this.headers['content-type'];
      delete this.headers['content-length'];
    }
    if (statusCode === 204 || statusCode === 304 || length === 0) {
      this.chunks = [];
      this.expected = 0;
    } else if (length !== undefined && length <= DEFAULT_WHOLE_BODY_BYTES) {
      this.chunks = [];
      this.expected = length;
    } else {
      // Streamed: the answer's own headers go now, the body as it comes, with back-pressure (no content type added: Fastify adds none to a stream).
      this.res.writeHead(statusCode, this.finalHeaders());
      this.res.on('drain', () => controller.resume());
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.received += chunk.length;
    if (this.chunks) this.chunks.push(chunk);
    else if (!this.res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const status = this.answered as number;
    const chunks = this.chunks;
    if (!chunks) {
      this.res.end();
      return this.sent(status);
    }
    const bodiless = status === 204 || status === 304;
    if (!bodiless && this.received !== this.expected) return this.bodyFailed(new Error(`the upstream declared ${this.expected} bytes and sent ${this.received}`), false);
    if (bodiless) {
      this.res.writeHead(status, this.finalHeaders());
      this.res.end();
    } else {
      if (this.headers['content-type'] === undefined) this.headers['content-type'] = 'application/octet-stream';
      this.writeWhole(status, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    }
    this.sent(status);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.settled) return;
    this.settled = true;
    const clientGone = this.res.destroyed && !this.res.writableFinished;
    if (this.answered !== undefined) return this.bodyFailed(err, clientGone);
    if (clientGone) return;
    const upstream = this.route.upstream;
    const clients = clientCausedError(err);
    if (clients) return this.fail(clients);
    upstream.breaker?.record(true, performance.now() - this.callStartedAt);
    upstream.observe(this.callStartedAt, { error: err });
    this.log?.warn({ err, upstream: upstream.name }, 'passthrough failed');
    this.sendError(upstreamError(upstream.name, err));
  }

  // Outcomes.

  private sent(status: number): void {
    this.route.upstream.observe(this.callStartedAt, { status });
    this.finish(status);
  }

  /** The upstream answered but its body failed: a cut connection once headers went out, else 502. */
  private bodyFailed(err: unknown, clientGone: boolean): void {
    if (this.res.headersSent || clientGone) {
      // The response never finishes: like Fastify (no onResponse), no metrics, no upstream observation, no completion line.
      if (!clientGone) this.log?.warn({ err, upstream: this.route.upstream.name }, 'upstream response unreadable');
      this.res.destroy();
      return;
    }
    this.route.upstream.observe(this.callStartedAt, { status: this.answered as number });
    this.log?.warn({ err, upstream: this.route.upstream.name }, 'upstream response unreadable');
    this.sendError(new PorticoError('UPSTREAM_BAD_RESPONSE', 'The upstream response did not match its declared length.'));
  }

  /** A refusal by a policy, answered and logged as the error handler does. */
  private fail(error: PorticoError): void {
    if (error.statusCode >= 500) this.log?.error({ err: error.cause ?? error, code: error.code }, 'request failed');
    else this.log?.info({ code: error.code, reason: (error.cause as Error | undefined)?.message ?? error.message }, 'request rejected');
    this.sendError(error);
  }

  /** The catalogue's error answer, as `sendError` writes it. */
  /** A fault of the fast path's own after a remote limiter's answer (synchronous ones reach the listener's guard): a 500, never an unhandled rejection. */
  private faulted(err: unknown): void {
    this.deps.log.error({ err }, 'passthrough fast path failed');
    if (this.res.headersSent) this.res.destroy();
    else this.sendError(new PorticoError('INTERNAL_ERROR'));
  }

  private sendError(error: PorticoError): void {
    for (const [name, value] of Object.entries(error.headers)) this.headers[name] = value;
    this.headers['content-type'] = 'application/json; charset=utf-8';
    this.writeWhole(error.statusCode, Buffer.from(JSON.stringify(errorBody(error, this.id))));
    this.finish(error.statusCode);
  }

  private finish(status: number): void {
    const elapsedMs = performance.now() - this.startedAt;
    this.deps.parts.recordResponse?.(this.pattern, 'GET', status, elapsedMs / 1_000);
    this.log?.info({ res: { statusCode: status }, responseTime: elapsedMs }, 'request completed');
  }

  /** Status, headers and body in one write. */
  private writeWhole(status: number, body: Buffer): void {
    const headers = this.finalHeaders();
    headers['content-length'] = String(body.length);
    this.res.writeHead(status, headers);
    this.res.end(body);
  }

  /** The headers with what every answer of the route ends with: the version's (deprecation), and `Connection: close` once draining. */
  private finalHeaders(): Headers {
    const { headers, route } = this;
    const version = route.versionHeaders;
    if (version) for (const name in version) headers[name] = version[name] as string;
    // Once draining, clients reconnect for their next request, and a balancer sends it elsewhere.
    if (this.deps.drain.phase !== 'serving') headers.connection = 'close';
    return headers;
  }
}

const CALL = Symbol('portico.fastPassthroughCall');
type CallResponse = ServerResponse & { [CALL]?: FastPassthroughCall };

function responseClosed(this: CallResponse): void {
  this[CALL]?.closed();
}

/** The headers sent upstream: what the proxy would send (the client's minus Connection and what it names, Host the upstream's), then Portico's rules. */
function forwardedRequestHeaders(client: IncomingHttpHeaders, route: FastPassthroughRoute, principal: Principal | undefined, id: string, connection: ConnectionFacts): IncomingHttpHeaders {
  // The rules drop Connection itself; only the rare names it lists need a copy without them.
  const listed = client.connection;
  let headers = client;
  if (listed !== undefined && listed !== 'keep-alive' && listed !== 'close') {
    headers = { ...client };
    for (const name of namedByConnection(listed) ?? []) delete headers[name];
  }
  const out = upstreamRequestHeaders(headers, route.rules, {
    identity: principal ? cachedIdentityHeadersFor(principal) : NO_IDENTITY_HEADERS,
    requestIdHeader: REQUEST_ID_HEADER,
    requestId: id,
    forwarding: connection,
    forwardedHeaders: (connection.forwardedHeaders ??= forwardedHeaders(connection)),
  });
  out.host = route.upstreamHost;
  return out;
}

/** The proxy's own rewrite of an answer's headers: a relative Location back into the facade's path. */
function responseHeadersOf(headers: Record<string, string | string[] | undefined>, route: FastPassthroughRoute): Record<string, string | string[] | undefined> {
  const location = headers.location;
  if (typeof location !== 'string' || /^https?:\/\//.test(location)) return headers;
  return { ...headers, location: location.replace(route.rewritePrefix, route.prefix) };
}

const INVALID_HEADER_CHARACTER = /[^\t\x20-\x7E\x80-\xFF]/;
const INVALID_HEADER_CHARACTERS = /[^\t\x20-\x7E\x80-\xFF]/g;
/** Invalid characters in an upstream's header value are dropped, as the proxy does, rather than failing the answer. */
function sanitize(value: string): string {
  return INVALID_HEADER_CHARACTER.test(value) ? value.replace(INVALID_HEADER_CHARACTERS, '') : value;
}
