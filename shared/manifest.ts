/**
 * The shape every BFF is assembled from. A BFF's `manifest.ts` declares its server
 * limits and its route kind (federated GraphQL or a REST facade); `main.ts` applies the
 * environment to it once, and `defineManifest` rejects anything it does not know, so a
 * typo in configuration fails at start instead of being silently ignored.
 */
import { Type } from '@sinclair/typebox';
import type { FederatedGraphqlOptions } from './graphql/federated-graphql-plugin';
import { GraphqlRoutesSchema } from './graphql/federated-graphql-settings';
import type { RestFacadeOptions } from './rest/route-table';
import { RestRoutesSchema } from './rest/rest-settings';
import { ConfigError } from './config/env';
import { checkSettings } from './config/check-settings';
import { AuthnSettingsSchema, authnSemantics, ExtraIdentityHeadersSchema, PrincipalKindsSchema, type AuthnSettings } from './policies/authn/authn-settings';
import type { PrincipalKind } from './policies/authn/principal';
import type { BreakerSettings } from './upstream/breaker';
import { BreakerSettingsSchema } from './upstream/breaker-settings';
import type { CorsSettings } from './policies/edge/edge-headers';
import type { AccessRules } from './policies/edge/access-rules';
import { AccessRulesSchema, accessRulesSemantics, CorsSettingsSchema, corsSemantics, TrustedProxiesSchema } from './policies/edge/edge-settings';
import { RateLimitSettingsSchema, rateLimitSemantics, type RateLimitSettings } from './policies/rate-limit/rate-limit-settings';
import { ResponseCacheSettingsSchema, type ResponseCacheSettings } from './policies/response-cache/response-cache-settings';
import { ServerSettingsSchema, serverSemantics, type ServerSettings } from './server-settings';
import { targetSemantics } from './upstream/target-settings';

export { DEFAULT_SERVER_SETTINGS, type ServerSettings } from './server-settings';

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

export const PolicySettingsSchema = Type.Object(
  {
    trustedProxies: Type.Optional(TrustedProxiesSchema),
    extraIdentityHeaders: Type.Optional(ExtraIdentityHeadersSchema),
    authn: Type.Optional(AuthnSettingsSchema),
    principalKinds: Type.Optional(PrincipalKindsSchema),
    accessRules: Type.Optional(AccessRulesSchema),
    cors: Type.Optional(CorsSettingsSchema),
    rateLimit: Type.Optional(RateLimitSettingsSchema),
    breakers: Type.Optional(BreakerSettingsSchema),
    responseCache: Type.Optional(ResponseCacheSettingsSchema),
  },
  { additionalProperties: false },
);

/** The whole manifest: each slice's schema is its owner's. */
export const ManifestSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', errorMessage: 'must be a lowercase identifier', description: 'BFF name: logs, metrics, upstream headers, Redis key prefixes' }),
    server: ServerSettingsSchema,
    routes: Type.Union([GraphqlRoutesSchema, RestRoutesSchema]),
    policies: Type.Optional(PolicySettingsSchema),
  },
  { additionalProperties: false },
);

/** Pure: the checks a schema cannot express, each owned by its slice's module. */
function semanticProblems(manifest: BffManifest): string[] {
  const problems: string[] = [];
  if (manifest.server && typeof manifest.server === 'object') problems.push(...serverSemantics(manifest.server));
  const routes = manifest.routes;
  const targets = routes?.kind === 'graphql' ? routes.subgraphTargets : undefined;
  for (const [name, settings] of Object.entries(targets ?? {})) {
    if (settings !== null && typeof settings === 'object') problems.push(...targetSemantics(settings as unknown as Record<string, unknown>, `routes.subgraphTargets.${name}`));
  }
  const policies = manifest.policies;
  if (!policies || typeof policies !== 'object') return problems;
  if (policies.authn && typeof policies.authn === 'object') problems.push(...authnSemantics(policies.authn, 'policies.authn'));
  if (policies.rateLimit && typeof policies.rateLimit === 'object') problems.push(...rateLimitSemantics(policies.rateLimit, 'policies.rateLimit'));
  if (policies.cors) problems.push(...corsSemantics(policies.cors));
  if (policies.accessRules) problems.push(...accessRulesSemantics(policies.accessRules));
  return problems;
}

/**
 * Pure validation: every problem in the manifest, as sentences naming the offending key by
 * its path (`policies.rateLimit.plans.pro.limit must be >= 1, got 0`), unknown keys included.
 */
export function validateManifest(manifest: BffManifest): string[] {
  const problems = checkSettings(ManifestSchema, manifest);
  return manifest !== null && typeof manifest === 'object' ? [...problems, ...semanticProblems(manifest)] : problems;
}
/** Validates and returns the manifest; throws one error listing every problem. */
export function defineManifest<M extends BffManifest>(manifest: M): M {
  const problems = validateManifest(manifest);
  // Manifest values come partly from the environment: report them like other configuration errors.
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `manifest '${manifest.name}': ${p}`));
  return manifest;
}
