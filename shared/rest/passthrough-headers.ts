/**
 * Which headers a passthrough lets through, both ways, pure. Every set is compiled once
 * per route at start, so a proxied request costs one pass over its headers and a few set
 * lookups, never a list built per request.
 *
 * Requests: the client's end-to-end headers, minus credentials and anything the upstream
 * might act on without Portico having checked it (cookies, method and URL overrides, a
 * client's own claim of its address or scheme, `Expect`, which undici refuses). The
 * forwarded headers are Portico's own, rebuilt from the connection it saw.
 *
 * Responses: an allowlist. Anything the route does not list (cookies, server banners,
 * upstream CORS, internal headers) stays inside, so an upstream cannot speak for Portico.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, namedByConnection } from './hop-by-hop';

/** Client headers an upstream might honour as another method or another path. */
export const METHOD_OVERRIDE_HEADERS: readonly string[] = ['x-http-method-override', 'x-http-method', 'x-method-override'];
export const URL_OVERRIDE_HEADERS: readonly string[] = ['x-original-url', 'x-rewrite-url'];

/**
 * Client claims about the connection (address, scheme, host, port, prefix): never
 * believed as sent. Portico writes X-Forwarded-For/-Proto/-Host and Forwarded itself.
 */
export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
];

/** Upstream response headers a passthrough returns unless a route lists more. */
export const DEFAULT_RESPONSE_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'content-encoding',
  'cache-control',
  'etag',
  'last-modified',
  'expires',
  'vary',
  'location',
  'link',
  'retry-after',
];

/**
 * Names only Portico sets on a response (tracing, limits, deprecation, cache status, the
 * security headers, CORS): a route may not let an upstream send them.
 */
const PORTICO_RESPONSE_HEADER = /^(x-request-id|ratelimit(-.*)?|x-ratelimit-.*|deprecation|sunset|x-cache|access-control-.*|content-security-policy.*|strict-transport-security|x-content-type-options|x-frame-options|referrer-policy|cross-origin-.*|origin-agent-cluster|x-dns-prefetch-control|x-download-options|x-permitted-cross-domain-policies|x-xss-protection|server|x-powered-by)$/;

/** What a route opts into beyond the defaults (route-table options). */
export interface PassthroughHeaderOptions {
  forwardAuthorization?: boolean;
  forwardCookie?: boolean;
  forwardMethodOverride?: boolean;
  forwardUrlOverride?: boolean;
  responseHeaders?: readonly string[];
}

/** One route's compiled header rules. */
export interface PassthroughHeaderRules {
  /** Lowercase request header names never sent upstream. */
  readonly dropRequest: ReadonlySet<string>;
  /** Lowercase response header names returned to the client. */
  readonly allowResponse: ReadonlySet<string>;
}

/**
 * Compiles a route's rules. `alwaysDropped`: further request headers Portico acts on
 * itself (the API key, the target override).
 */
export function compilePassthroughHeaderRules(route: PassthroughHeaderOptions, alwaysDropped: readonly string[] = []): PassthroughHeaderRules {
  const drop = new Set<string>([...HOP_BY_HOP_HEADERS, 'expect', ...FORWARDING_HEADERS, ...alwaysDropped.map((n) => n.toLowerCase())]);
  if (!route.forwardAuthorization) drop.add('authorization');
  if (!route.forwardCookie) drop.add('cookie');
  if (!route.forwardMethodOverride) for (const name of METHOD_OVERRIDE_HEADERS) drop.add(name);
  if (!route.forwardUrlOverride) for (const name of URL_OVERRIDE_HEADERS) drop.add(name);
  const allow = new Set<string>(DEFAULT_RESPONSE_HEADERS);
  for (const name of route.responseHeaders ?? []) allow.add(name.toLowerCase());
  return { dropRequest: drop, allowResponse: allow };
}

/** Pure: why a route's `responseHeaders` entry is refused, or undefined when it may be listed. */
export function responseHeaderProblem(name: string): string | undefined {
  if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return 'must be a lowercase header name';
  if (HOP_BY_HOP_HEADERS.has(name)) return 'is hop-by-hop: it describes one connection and is never passed on';
  if (PORTICO_RESPONSE_HEADER.test(name)) return "is Portico's own (tracing, limits, CORS, security headers, deprecation, cache status) or a server banner";
  return undefined;
}

/** The connection as Portico saw it, after its trusted proxies (Fastify's `trustProxy`). */
export interface ForwardingFacts {
  /** Client address first, then each trusted hop, the peer last (`request.ips` reversed, or just the peer). */
  chain: readonly string[];
  /** `http` or `https`, as received (from a trusted proxy's X-Forwarded-Proto). */
  proto: string;
  /** Host the client asked for (from a trusted proxy's X-Forwarded-Host). */
  host: string | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** RFC 7239 value: a token as is, anything else quoted; IPv6 addresses in brackets. */
function forwardedValue(value: string, isAddress: boolean): string {
  const v = isAddress && value.includes(':') ? `[${value}]` : value;
  return TOKEN.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/** Writes Portico's forwarded headers for one request into `out`. */
function writeForwardedHeaders(out: Record<string, string | string[] | undefined>, facts: ForwardingFacts): void {
  out['x-forwarded-for'] = facts.chain.join(', ');
  out['x-forwarded-proto'] = facts.proto;
  let forwarded = `for=${forwardedValue(facts.chain[0] ?? 'unknown', true)}`;
  if (facts.host) {
    out['x-forwarded-host'] = facts.host;
    forwarded += `;host=${forwardedValue(facts.host, false)}`;
  }
  forwarded += `;proto=${facts.proto}`;
  for (let i = 1; i < facts.chain.length; i++) forwarded += `, for=${forwardedValue(facts.chain[i] as string, true)}`;
  out.forwarded = forwarded;
}

/** Pure: Portico's forwarded headers for one request (X-Forwarded-For/-Proto/-Host, RFC 7239 Forwarded). */
export function forwardedHeaders(facts: ForwardingFacts): Record<string, string> {
  const out: Record<string, string> = {};
  writeForwardedHeaders(out, facts);
  return out;
}

/** What Portico itself adds to every passthrough request. */
export interface PorticoRequestHeaders {
  /** The verified identity from the transform stage (absent without authentication). */
  identity: Readonly<Record<string, string>> | undefined;
  /** Header name and value of the request id. */
  requestIdHeader: string;
  requestId: string;
  forwarding: ForwardingFacts;
  /** `forwardedHeaders(forwarding)`, when the caller keeps it for a connection's requests. */
  forwardedHeaders?: Readonly<Record<string, string>>;
}

/**
 * Pure: the headers sent upstream. `headers` are the client's (reply-from has already
 * removed the Connection header and the names it lists); Portico's own are written last,
 * so a client cannot replace them.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, rules: PassthroughHeaderRules, portico: PorticoRequestHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const drop = rules.dropRequest;
  for (const name in headers) {
    if (!drop.has(name)) out[name] = headers[name];
  }
  const identity = portico.identity;
  if (identity) for (const name in identity) out[name] = identity[name];
  out[portico.requestIdHeader] = portico.requestId;
  const forwarded = portico.forwardedHeaders;
  if (forwarded) for (const name in forwarded) out[name] = forwarded[name];
  else writeForwardedHeaders(out, portico.forwarding);
  return out;
}

/** Pure: the upstream response headers the client gets (`headers` as undici gives them: lowercase names). */
export function allowedResponseHeaders<H extends Record<string, unknown>>(headers: H, rules: PassthroughHeaderRules): H {
  const out: Record<string, unknown> = {};
  const allow = rules.allowResponse;
  // An allowed name the upstream's Connection header lists is hop-by-hop for this answer;
  // the usual `keep-alive` / `close` name only hop-by-hop headers, never allowed ones.
  const connection = headers.connection;
  const named = connection === undefined || ((connection === 'keep-alive' || connection === 'close') && !allow.has(connection)) ? undefined : namedByConnection(connection as string | string[]);
  for (const name in headers) {
    if (allow.has(name) && !named?.has(name)) out[name] = headers[name];
  }
  return out as H;
}
