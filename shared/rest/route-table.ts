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

export interface RestUpstream {
  /** `http://host:port` of the service (no path). */
  origin: string;
  /** Path answered with 2xx when the upstream is healthy; used by `/readyz`. Default `/healthz`. */
  healthPath?: string;
  /** Pool and timeout settings for this upstream. */
  pool?: UpstreamPoolOptions;
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
  /** Answer GETs from the BFF's response cache (when it has one) as the upstream's Cache-Control allows. Default true. */
  cache?: boolean;
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
}

export interface RouteTable {
  /** Version label, e.g. `v1`; every route path starts with `/<version>`. */
  version: string;
  /** Present on a deprecated version: every response then carries Deprecation, Sunset and Link. */
  deprecation?: VersionDeprecation;
  routes: readonly RestRoute[];
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

/** Pure validation of route tables against the declared upstreams. */
export function validateRouteTables(options: RestFacadeOptions): string[] {
  const problems: string[] = [];
  for (const [name, settings] of Object.entries(options.upstreamTargets ?? {})) {
    if (!options.upstreams[name]) problems.push(`upstreamTargets.${name}: no upstream named '${name}'`);
    problems.push(...validateTargetSettings(settings, `upstreamTargets.${name}`));
  }
  for (const table of options.versions) {
    for (const route of table.routes) {
      const path = route.kind === 'passthrough' ? route.prefix : route.path;
      if (!path.startsWith(`/${table.version}/`)) problems.push(`${table.version}: route '${path}' must start with /${table.version}/`);
      if (route.kind === 'passthrough' && !options.upstreams[route.upstream]) {
        problems.push(`${table.version}: route '${path}' names unknown upstream '${route.upstream}'`);
      }
    }
  }
  return problems;
}
