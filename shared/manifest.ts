/**
 * The shape every BFF is assembled from. A BFF's `manifest.ts` declares its server
 * limits and its route kind (federated GraphQL or a REST facade); `main.ts` applies the
 * environment to it once, and `defineManifest` rejects anything it does not know, so a
 * typo in configuration fails at start instead of being silently ignored.
 */
import type { FederatedGraphqlOptions } from './graphql/federated-graphql-plugin';
import type { RestFacadeOptions } from './rest/route-table';
import { ConfigError } from './config/env';
import { validateOperationLimits } from './graphql/operation-limits';
import { validateAuthorizationSettings } from './graphql/authorization/authorization-policies';
import type { LogLevel } from './observability/logger';
import type { MetricsAccess } from './observability/metrics-access';
import { validateAuthnSettings, type AuthnSettings } from './policies/authn/authn-settings';
import type { PrincipalKind } from './policies/authn/principal';
import type { BreakerSettings } from './upstream/breaker';
import { validateCorsSettings, type CorsSettings } from './policies/edge/edge-headers';
import { validateAccessRules, type AccessRules } from './policies/edge/access-rules';
import { validateRateLimitSettings, type RateLimitSettings } from './policies/rate-limit/rate-limit-settings';
import { validateResponseCacheSettings, type ResponseCacheSettings } from './policies/response-cache/response-cache-settings';
import { LOG_LEVELS } from './observability/logger';
import { validateTargetSettings } from './upstream/target-settings';

export interface ServerSettings {
  /** Listen address. Default `127.0.0.1`. */
  host: string;
  /** Listen port (0 picks a free one). */
  port: number;
  /** Largest accepted request body, in bytes. Default 1 MiB. */
  bodyLimitBytes: number;
  /** Longest time to receive a whole request from a client, in ms. Default 30,000. */
  requestTimeoutMs: number;
  /** Longest graceful shutdown before the process exits anyway, in ms. Default 10,000. */
  shutdownTimeoutMs: number;
  /** Log level. Default `info`. */
  logLevel: LogLevel;
  /** Compress responses (brotli or gzip, negotiated; bodies of 1 KiB and more). Default false. */
  compress: boolean;
  /** ETag on responses and 304 for a matching `If-None-Match` on GET. Default false. */
  etag: boolean;
  /** Where `/metrics` is served: its own port and/or a bearer token. Default: public on the client port (refused in production). */
  metrics?: MetricsAccess;
}

/** The routes of a GraphQL BFF (web, mobile): a federated GraphQL endpoint over a supergraph. */
export type GraphqlRoutes = { kind: 'graphql' } & FederatedGraphqlOptions;
/** The routes of a REST BFF (partner): versioned route tables over upstream services. */
export type RestRoutes = { kind: 'rest'; docs?: { title?: string } } & RestFacadeOptions;
export type BffRoutes = GraphqlRoutes | RestRoutes;

export interface BffManifest<R extends BffRoutes = BffRoutes> {
  /** BFF name: used in logs, metrics and upstream headers. */
  name: string;
  server: ServerSettings;
  /** The route stage: which kind of BFF this is and what it serves. */
  routes: R;
  /** The policy stages; a missing slice leaves its stage out. */
  policies?: PolicySettings;
}

export interface PolicySettings {
  /** Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed for the client address. Default none. */
  trustedProxies?: readonly string[];
  /** Extra client headers treated as identity headers and stripped (the built-in list is always stripped). */
  extraIdentityHeaders?: readonly string[];
  /** Authentication; absent means every route is open and no identity is forwarded. */
  authn?: AuthnSettings;
  /** Kinds of principals this BFF serves (`user`, `client`); credentials of another kind are refused with 401. Default: every kind. */
  principalKinds?: readonly PrincipalKind[];
  /** IP allow/deny lists and user-agent deny patterns, checked before authentication; absent means everyone. */
  accessRules?: AccessRules;
  /** Cross-origin browser access; absent means no CORS headers (same-origin only). */
  cors?: CorsSettings;
  /** Rate limiting; absent means no limits. */
  rateLimit?: RateLimitSettings;
  /** Circuit breaker settings (`all` plus per-upstream overrides); breakers are always on. */
  breakers?: BreakerSettings;
  /** Response caching (GraphQL queries by their cache hints, REST GET by upstream Cache-Control); absent means off. */
  responseCache?: ResponseCacheSettings;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  host: '127.0.0.1',
  port: 0,
  bodyLimitBytes: 1_048_576,
  requestTimeoutMs: 30_000,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
  compress: false,
  etag: false,
};

const MANIFEST_KEYS = new Set(['name', 'server', 'routes', 'policies']);
const POLICY_KEYS = new Set(['trustedProxies', 'extraIdentityHeaders', 'accessRules', 'cors', 'authn', 'principalKinds', 'rateLimit', 'breakers', 'responseCache']);
const SERVER_KEYS = new Set([...Object.keys(DEFAULT_SERVER_SETTINGS), 'metrics']);
const GRAPHQL_KEYS = new Set(['kind', 'supergraphPath', 'supergraphUrl', 'subgraphUrls', 'subgraphTargets', 'subgraphPools', 'dedupeSubgraphQueries', 'path', 'introspection', 'loadRetryMs', 'watchSupergraphMs', 'production', 'limits', 'costPerRateLimitUnit', 'persistedQueries', 'allowBatching', 'contract', 'trustedDocuments', 'authorization']);

/** Pure validation: every problem in the manifest, as readable sentences. */
export function validateManifest(manifest: BffManifest): string[] {
  const problems: string[] = [];
  const unknown = (where: string, obj: object, known: Set<string>) => {
    for (const key of Object.keys(obj)) if (!known.has(key)) problems.push(`${where}: unknown key '${key}'`);
  };
  unknown('manifest', manifest, MANIFEST_KEYS);
  if (!/^[a-z][a-z0-9-]*$/.test(manifest.name ?? '')) problems.push(`manifest.name must be a lowercase identifier, got '${manifest.name}'`);
  const s = manifest.server;
  if (!s || typeof s !== 'object') {
    problems.push('manifest.server is required');
  } else {
    unknown('manifest.server', s, SERVER_KEYS);
    if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) problems.push(`server.port must be 0-65535, got ${s.port}`);
    for (const key of ['bodyLimitBytes', 'requestTimeoutMs', 'shutdownTimeoutMs'] as const) {
      if (!Number.isInteger(s[key]) || s[key] <= 0) problems.push(`server.${key} must be a positive integer, got ${s[key]}`);
    }
    if (!LOG_LEVELS.includes(s.logLevel)) problems.push(`server.logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const routes = manifest.routes;
  if (!routes || typeof routes !== 'object') {
    problems.push("manifest.routes is required: { kind: 'graphql', ... } or { kind: 'rest', ... }");
  } else if (routes.kind === 'graphql') {
    unknown('manifest.routes', routes, GRAPHQL_KEYS);
    if (!routes.supergraphPath) problems.push('routes.supergraphPath is required');
    if (routes.supergraphUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(routes.supergraphUrl)) problems.push(`routes.supergraphUrl must be an http(s) URL (got '${routes.supergraphUrl}')`);
    if (routes.limits) problems.push(...validateOperationLimits(routes.limits));
    if (routes.authorization) problems.push(...validateAuthorizationSettings(routes.authorization));
    for (const [name, url] of Object.entries(routes.subgraphUrls ?? {})) {
      if (!/^https?:\/\//.test(url)) problems.push(`routes.subgraphUrls.${name} must be an http(s) URL`);
    }
    for (const [name, settings] of Object.entries(routes.subgraphTargets ?? {})) problems.push(...validateTargetSettings(settings, `routes.subgraphTargets.${name}`));
  } else if (routes.kind !== 'rest') {
    problems.push(`manifest.routes.kind must be 'graphql' or 'rest', got ${JSON.stringify((routes as { kind?: unknown }).kind)}`);
  }
  if (manifest.policies) {
    unknown('manifest.policies', manifest.policies, POLICY_KEYS);
    if (manifest.policies.authn) problems.push(...validateAuthnSettings(manifest.policies.authn));
    const kinds = manifest.policies.principalKinds;
    if (kinds !== undefined && (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => k !== 'user' && k !== 'client'))) {
      problems.push(`policies.principalKinds must list 'user' and/or 'client', got ${JSON.stringify(kinds)}`);
    }
    if (manifest.policies.rateLimit) problems.push(...validateRateLimitSettings(manifest.policies.rateLimit));
    if (manifest.policies.responseCache) problems.push(...validateResponseCacheSettings(manifest.policies.responseCache));
    if (manifest.policies.cors) problems.push(...validateCorsSettings(manifest.policies.cors));
    if (manifest.policies.accessRules) problems.push(...validateAccessRules(manifest.policies.accessRules));
  }
  return problems;
}

/** Validates and returns the manifest; throws one error listing every problem. */
export function defineManifest<M extends BffManifest>(manifest: M): M {
  const problems = validateManifest(manifest);
  // Manifest values come partly from the environment: report them like other configuration errors.
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `manifest '${manifest.name}': ${p}`));
  return manifest;
}
