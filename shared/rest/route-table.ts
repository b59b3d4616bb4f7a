/**
 * Declarative REST route tables for the partner facade. A version (`/v1`, `/v2`) is a
 * list of routes; each is either a passthrough to one REST upstream or an aggregate that
 * fans out to several upstreams and shapes one response.
 */
import type { AuthRequirement } from '../policies/authn/authn-plugin';
import type { UpstreamPoolOptions } from '../upstream/upstream-pool';
import { validateTargetSettings, type UpstreamTargetsSettings } from '../upstream/target-settings';
import type { OperationExecutorOptions } from '../graphql/operation-executor';
import type { UpstreamCaller } from './upstream-caller';
import { responseHeaderProblem } from './passthrough-headers';

export interface RestUpstream {
  /**
   * `http://host:port` of the service (no path); required unless the upstream has targets.
   * A BFF's code names its upstreams; where they are is deployment configuration
   * (`UPSTREAM_URL_<NAME>`, or `routes.upstreams.<name>.origin` in `PORTICO_CONFIG`).
   */
  origin?: string;
  /** Path answered with 2xx when the upstream is healthy; used by `/readyz`. Default `/healthz`. */
  healthPath?: string;
  /** Pool and timeout settings for this upstream. */
  pool?: UpstreamPoolOptions;
}

/** What the OpenAPI document says about a passthrough's answers, which the upstream shapes. */
export interface PassthroughDocs {
  /** JSON Schema of one record as the upstream answers it (`GET <prefix>/{id}`, and the 201 of a POST). */
  record: object;
  /** JSON Schema of the list answer (`GET <prefix>`). */
  list?: object;
  /** Query parameters of the list besides paging, JSON Schema by name. */
  listQuery?: Readonly<Record<string, object>>;
  /** JSON Schema of a POST body. */
  createBody?: object;
  /** Error codes the upstream itself answers (passed through unchanged), by HTTP status. */
  upstreamErrors?: Readonly<Record<string, readonly string[]>>;
}

export interface PassthroughRoute {
  kind: 'passthrough';
  /** Public path prefix, e.g. `/v1/users`. */
  prefix: string;
  /** Upstream name (key of the facade's `upstreams`). */
  upstream: string;
  /** Upstream path prefix that replaces `prefix`, e.g. `/users`. */
  rewritePrefix: string;
  /** Methods proxied. Default GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS. */
  methods?: Array<'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'>;
  /** Who may call it. Default: any authenticated caller (when authentication is on). */
  auth?: AuthRequirement;
  /** Send the client's Authorization header upstream. Default false. */
  forwardAuthorization?: boolean;
  /** Send the client's Cookie header upstream. Default false: cookies are the browser's session with Portico's origin, not the upstream's. */
  forwardCookie?: boolean;
  /** Send the client's method-override headers (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override) upstream. Default false: the route's methods are the methods. */
  forwardMethodOverride?: boolean;
  /** Send the client's URL-override headers (X-Original-URL, X-Rewrite-URL) upstream. Default false: the path Portico checked is the path. */
  forwardUrlOverride?: boolean;
  /**
   * Upstream response headers returned to the client besides the defaults (content-type,
   * content-length, content-encoding, cache-control, etag, last-modified, expires, vary,
   * location, link, retry-after); lowercase names. Everything else the upstream sends stays
   * inside. Hop-by-hop names, server banners (server, x-powered-by), CORS and Portico's own
   * headers cannot be listed; `set-cookie` can, on a route with `cache: false`. Default none.
   */
  responseHeaders?: readonly string[];
  /** Answer GETs from the BFF's response cache (when it has one) as the upstream's Cache-Control allows. Default true. */
  cache?: boolean;
  /** Response and request schemas for the OpenAPI document. Default: documented as an object. */
  docs?: PassthroughDocs;
}

export interface AggregateRequest {
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  upstreams: UpstreamCaller;
  /** Runs a registered GraphQL operation against the supergraph (when the facade has any). */
  graphql: <T>(operationName: string, variables: Record<string, unknown>) => Promise<T>;
}

export interface AggregateRoute {
  kind: 'aggregate';
  method: 'GET';
  /** Public path with parameters, e.g. `/v1/orders/:id`. */
  path: string;
  /** What the endpoint returns, in one sentence (for docs and logs). */
  description: string;
  /** Fetches and shapes the response body; throws PorticoError for client-facing failures. */
  handler: (request: AggregateRequest) => Promise<unknown>;
  /** Who may call it. Default: any authenticated caller (when authentication is on). */
  auth?: AuthRequirement;
  /** JSON Schemas of path parameters and query string; bad input is a 400 naming the field. */
  schema?: { params?: object; querystring?: object };
  /** JSON Schema of the 200 body: documents the route and serializes its responses. */
  response?: object;
  /** The registered GraphQL operation behind this route, if any (checked against every supergraph change). */
  operation?: string;
}

export type RestRoute = PassthroughRoute | AggregateRoute;

/** How a version announces its end. */
export interface VersionDeprecation {
  /** ISO date the version was deprecated. */
  since: string;
  /** ISO date after which the version may be removed. */
  sunset: string;
  /** URL of the successor version's documentation or base path. */
  successor: string;
  /** Migration notes to the successor (Markdown), served at `/docs/<version>/migration` and linked from the docs. */
  migrationNotes?: string;
}

/** Pure: where a version's migration notes are served. */
export function migrationNotesPath(version: string): string {
  return `/docs/${version}/migration`;
}

/** A real request and the answer the demo services give it, shown in the docs (a test replays it). */
export interface OperationExample {
  /** Path and query of the request, e.g. `/v2/customers/4`. */
  request: string;
  /** JSON body of a POST. */
  requestBody?: unknown;
  /** Status of the answer. */
  status: number;
  /** Body of the answer. */
  body: unknown;
}

export interface RouteTable {
  /** Version label, e.g. `v1`; every route path starts with `/<version>`. */
  version: string;
  /** Present on a deprecated version: every response then carries Deprecation, Sunset and Link. */
  deprecation?: VersionDeprecation;
  routes: readonly RestRoute[];
  /** Examples for the docs, keyed `"<METHOD> <OpenAPI path>"`, e.g. `"GET /v2/customers/{id}"`. */
  examples?: Readonly<Record<string, OperationExample>>;
}

export interface RestFacadeOptions {
  upstreams: Readonly<Record<string, RestUpstream>>;
  /**
   * Upstreams served by several weighted targets (canary, discovery, health checks), by
   * upstream name; their `origin` is then not called. Default: none, each upstream is its one origin.
   */
  upstreamTargets?: Readonly<Record<string, UpstreamTargetsSettings>>;
  versions: readonly RouteTable[];
  /** Registered GraphQL operations backing aggregate routes, run against this supergraph. */
  graphql?: OperationExecutorOptions;
}

const PASSTHROUGH_KEYS = new Set(['kind', 'prefix', 'upstream', 'rewritePrefix', 'methods', 'auth', 'forwardAuthorization', 'forwardCookie', 'forwardMethodOverride', 'forwardUrlOverride', 'responseHeaders', 'cache', 'docs']);
const AGGREGATE_KEYS = new Set(['kind', 'method', 'path', 'description', 'handler', 'auth', 'schema', 'response', 'operation']);
const FORWARD_OPTIONS = ['forwardAuthorization', 'forwardCookie', 'forwardMethodOverride', 'forwardUrlOverride', 'cache'] as const;

/** Pure: the problems of one passthrough route's own options. */
function passthroughProblems(route: PassthroughRoute, at: string): string[] {
  const problems: string[] = [];
  for (const key of FORWARD_OPTIONS) {
    if (route[key] !== undefined && typeof route[key] !== 'boolean') problems.push(`${at}: ${key} must be true or false`);
  }
  if (route.responseHeaders !== undefined) {
    if (!Array.isArray(route.responseHeaders)) {
      problems.push(`${at}: responseHeaders must be a list of header names`);
    } else {
      for (const name of route.responseHeaders) {
        const problem = responseHeaderProblem(name);
        if (problem) problems.push(`${at}: responseHeaders '${String(name)}' ${problem}`);
      }
      // A cookie set for one client must never be replayed from the cache to another.
      if (route.responseHeaders.includes('set-cookie') && route.cache !== false) problems.push(`${at}: responseHeaders lists set-cookie, so the route needs cache: false`);
    }
  }
  return problems;
}

/** Pure validation of route tables against the declared upstreams; unknown route keys are refused. */
/** Pure: the upstreams that have neither an origin nor targets, so nothing could be called. */
export function upstreamsWithoutOrigin(options: Pick<RestFacadeOptions, 'upstreams' | 'upstreamTargets'>): string[] {
  return Object.entries(options.upstreams)
    .filter(([name, upstream]) => !upstream.origin && !options.upstreamTargets?.[name])
    .map(([name]) => name);
}

export function validateRouteTables(options: RestFacadeOptions): string[] {
  const problems: string[] = [];
  for (const [name, settings] of Object.entries(options.upstreamTargets ?? {})) {
    if (!options.upstreams[name]) problems.push(`upstreamTargets.${name}: no upstream named '${name}'`);
    problems.push(...validateTargetSettings(settings, `upstreamTargets.${name}`));
  }
  problems.push(...upstreamsWithoutOrigin(options).map((name) => `upstreams.${name} has no origin and no targets`));
  for (const table of options.versions) {
    for (const route of table.routes) {
      const path = route.kind === 'passthrough' ? route.prefix : route.path;
      if (!path.startsWith(`/${table.version}/`)) problems.push(`${table.version}: route '${path}' must start with /${table.version}/`);
      const at = `${table.version}: route '${path}'`;
      const known = route.kind === 'passthrough' ? PASSTHROUGH_KEYS : AGGREGATE_KEYS;
      for (const key of Object.keys(route)) if (!known.has(key)) problems.push(`${at}: unknown key '${key}'`);
      if (route.kind === 'passthrough') {
        if (!options.upstreams[route.upstream]) problems.push(`${at} names unknown upstream '${route.upstream}'`);
        problems.push(...passthroughProblems(route, at));
      }
    }
  }
  return problems;
}
