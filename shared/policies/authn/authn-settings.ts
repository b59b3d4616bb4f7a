/**
 * The authentication slice of a BFF manifest, and how it becomes the runtime pieces the
 * authentication stage uses (verifier, key store).
 */
import { Type } from '@sinclair/typebox';
import { checkSettings } from '../../config/check-settings';
import type { ApiKeyRecord, ApiKeyStore } from './api-key';
import { closeRedisClient, createRedisClient, DEFAULT_REDIS_STARTUP_WAIT_MS, REDIS_KEY_PREFIXES, waitForRedisReady } from '../../redis';
import { createFileApiKeyStore, createMemoryApiKeyStore, createRedisApiKeyStore } from './api-key';
import type { AuthnPluginOptions } from './authn-plugin';
import { DEFAULT_PUBLIC_PATHS } from './authn-plugin';
import {
  createIntrospectionVerifier,
  DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES,
  DEFAULT_INTROSPECTION_CLOCK_TOLERANCE_SEC,
  DEFAULT_INTROSPECTION_CONNECTIONS,
  DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_TIMEOUT_MS,
  DEFAULT_ROLES_CLAIM,
  DEFAULT_TENANT_CLAIM,
  type IntrospectionObserver,
  type IntrospectionOptions,
} from './introspection';
import {
  createJwtVerifier,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  DEFAULT_JWT_ALGORITHMS,
  DEFAULT_VERIFIED_CACHE_ENTRIES,
  DEFAULT_VERIFIED_CACHE_TTL_MS,
  type JwtOptions,
} from './jwt';

export interface AuthnSettings {
  /** Accept bearer JWTs verified with these options. */
  jwt?: JwtOptions;
  /**
   * Accept opaque bearer tokens checked at this RFC 7662 introspection endpoint. With `jwt`
   * too, JWS-shaped tokens (three base64url segments) are verified as JWTs and every other
   * bearer token is introspected.
   */
  introspection?: IntrospectionOptions;
  /**
   * Accept API keys from a key file, Redis (`redisUrl`, or a Redis Cluster's
   * `redisClusterNodes`; hashes under `portico:apikeys:<keyId>`) or a fixed list.
   */
  apiKeys?: { file?: string; redisUrl?: string; redisClusterNodes?: string[]; records?: readonly ApiKeyRecord[] };
  /** Route patterns that need no credentials. Default `/healthz`, `/readyz`, `/metrics`. */
  publicPaths?: readonly string[];
}

const PositiveMs = (description: string, fallback: number) => Type.Optional(Type.Integer({ minimum: 1, default: fallback, description }));
const Count = (description: string, fallback: number) => Type.Optional(Type.Integer({ minimum: 0, default: fallback, description }));
const HttpUrl = (description: string) => Type.String({ pattern: '^https?://[^\\s]+$', errorMessage: 'must be an http(s) URL', description });
/** One value or a non-empty list of them (issuer, audience). */
const OneOrMore = (description: string) => Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, errorMessage: 'must be a non-empty string or list of strings' })], { description });
const Clock = Type.Optional(Type.Function([], Type.Number(), { description: 'Clock, for tests' }));

export const JwtOptionsSchema = Type.Object(
  {
    jwksUrl: Type.Optional(HttpUrl('Remote JWKS URL')),
    jwksFile: Type.Optional(Type.String({ minLength: 1, description: 'Local JWKS file, read once at start' })),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String({ minLength: 1 }) }, { additionalProperties: true })) }, { additionalProperties: true, description: 'An in-memory JWKS' })),
    issuer: OneOrMore('Accepted `iss` value(s)'),
    audience: OneOrMore('Accepted `aud` value(s)'),
    algorithms: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: DEFAULT_JWT_ALGORITHMS, description: 'Accepted `alg` header values' })),
    clockToleranceSec: Count('Allowed clock skew for exp/nbf/iat, in seconds', DEFAULT_CLOCK_TOLERANCE_SEC),
    jwksTimeoutMs: PositiveMs('Remote JWKS fetch timeout, in ms', DEFAULT_JWKS_TIMEOUT_MS),
    jwksCooldownMs: Count('Shortest time between two remote JWKS fetches, in ms', DEFAULT_JWKS_COOLDOWN_MS),
    jwksCacheMaxAgeMs: PositiveMs('Longest use of a fetched JWKS before refetching, in ms', DEFAULT_JWKS_CACHE_MAX_AGE_MS),
    verifiedCacheEntries: Count('Verified tokens remembered (0 = off)', DEFAULT_VERIFIED_CACHE_ENTRIES),
    verifiedCacheTtlMs: Count('Longest time a verified token is remembered, in ms', DEFAULT_VERIFIED_CACHE_TTL_MS),
    now: Clock,
  },
  { additionalProperties: false },
);

export const IntrospectionOptionsSchema = Type.Object(
  {
    endpoint: HttpUrl('RFC 7662 introspection endpoint'),
    clientId: Type.String({ minLength: 1, description: "The gateway's client id at the authorization server" }),
    clientSecret: Type.String({ minLength: 1, description: "The gateway's client secret (secret)" }),
    timeoutMs: PositiveMs('Longest wait for one introspection call, in ms', DEFAULT_INTROSPECTION_TIMEOUT_MS),
    connections: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_INTROSPECTION_CONNECTIONS, description: 'Keep-alive connections to the endpoint' })),
    cacheMaxEntries: Count('Most tokens remembered (0 = no caching)', DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES),
    maxCacheTtlMs: Count('Longest reuse of an active answer, in ms', DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS),
    negativeCacheTtlMs: Count('How long a rejected token is answered from memory, in ms', DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS),
    audience: Type.Optional(OneOrMore('Accepted `aud` value(s); unchecked when absent')),
    issuer: Type.Optional(OneOrMore('Accepted `iss` value(s); unchecked when absent')),
    clockToleranceSec: Count('Allowed clock skew for exp and nbf, in seconds', DEFAULT_INTROSPECTION_CLOCK_TOLERANCE_SEC),
    tenantClaim: Type.Optional(Type.String({ minLength: 1, default: DEFAULT_TENANT_CLAIM, description: 'Claim holding the tenant' })),
    rolesClaim: Type.Optional(Type.String({ minLength: 1, default: DEFAULT_ROLES_CLAIM, description: 'Claim holding the roles' })),
    now: Clock,
  },
  { additionalProperties: false },
);

export const ApiKeyRecordSchema = Type.Object(
  {
    keyId: Type.String({ minLength: 1 }),
    hash: Type.String({ pattern: '^[0-9a-f]{64}$', errorMessage: 'must be a hex SHA-256' }),
    clientId: Type.String({ minLength: 1 }),
    plan: Type.String({ minLength: 1 }),
    scopes: Type.Array(Type.String()),
    revoked: Type.Optional(Type.Boolean()),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);

export const AuthnSettingsSchema = Type.Object(
  {
    jwt: Type.Optional(JwtOptionsSchema),
    introspection: Type.Optional(IntrospectionOptionsSchema),
    apiKeys: Type.Optional(
      Type.Object(
        {
          file: Type.Optional(Type.String({ minLength: 1, description: 'API key file (hashes only)' })),
          redisUrl: Type.Optional(Type.String({ minLength: 1, description: 'Redis holding API key hashes' })),
          redisClusterNodes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'host:port of the Redis Cluster nodes holding API key hashes, instead of redisUrl' })),
          records: Type.Optional(Type.Array(ApiKeyRecordSchema, { description: 'A fixed list of key records' })),
        },
        { additionalProperties: false },
      ),
    ),
    publicPaths: Type.Optional(Type.Array(Type.String({ pattern: '^/', errorMessage: 'must start with /' }), { default: DEFAULT_PUBLIC_PATHS, description: 'Route patterns that need no credentials' })),
  },
  { additionalProperties: false },
);

/** `policies.principalKinds`: the kinds of callers a BFF serves. */
export const PrincipalKindsSchema = Type.Array(Type.Union([Type.Literal('user'), Type.Literal('client')]), { minItems: 1, description: 'Kinds of principals served; others get 401' });

/** `policies.extraIdentityHeaders`: more client headers stripped as identity headers. */
export const ExtraIdentityHeadersSchema = Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$', errorMessage: 'must be a header name' }));

/** Pure: what the schema cannot say: which credential sources go together. */
export function authnSemantics(settings: AuthnSettings, where: string): string[] {
  const problems: string[] = [];
  if (!settings.jwt && !settings.introspection && !settings.apiKeys) problems.push(`${where} needs jwt, introspection or apiKeys (or leave authentication off)`);
  if (settings.jwt && [settings.jwt.jwksUrl, settings.jwt.jwksFile, settings.jwt.jwks].filter(Boolean).length !== 1) problems.push(`${where}.jwt needs exactly one of jwksUrl, jwksFile, jwks`);
  if (settings.apiKeys && [settings.apiKeys.file, settings.apiKeys.redisUrl, settings.apiKeys.redisClusterNodes, settings.apiKeys.records].filter(Boolean).length !== 1) {
    problems.push(`${where}.apiKeys needs exactly one of file, redisUrl, redisClusterNodes, records`);
  }
  return problems;
}

export function validateAuthnSettings(settings: AuthnSettings, where = 'policies.authn'): string[] {
  const problems = checkSettings(AuthnSettingsSchema, settings, where);
  return settings !== null && typeof settings === 'object' ? [...problems, ...authnSemantics(settings, where)] : problems;
}

/** Hooks into the app's lifecycle: what must run before listening, and what must be closed with it. */
export interface AuthnLifecycle {
  onReady(task: () => Promise<void>): void;
  onClose(task: () => Promise<void>): void;
  /** A remote key set could not be fetched at start (the first token fetches it again). */
  onKeyPrefetchFailure?(err: unknown): void;
}

/** Builds the stage's runtime pieces, registering its startup and shutdown work with `lifecycle`. */
export function authnPluginOptions(settings: AuthnSettings, onFailure?: (code: string) => void, lifecycle?: AuthnLifecycle, introspectionObserver?: IntrospectionObserver): AuthnPluginOptions {
  const introspection = settings.introspection ? createIntrospectionVerifier(settings.introspection, introspectionObserver) : undefined;
  if (introspection) lifecycle?.onClose(() => introspection.close());
  let apiKeys: ApiKeyStore | undefined;
  if (settings.apiKeys?.file) apiKeys = createFileApiKeyStore(settings.apiKeys.file);
  else if (settings.apiKeys?.redisUrl || settings.apiKeys?.redisClusterNodes) {
    // Key lookups may wait a little longer than limiter decisions: a miss here is a 401.
    const where = settings.apiKeys.redisClusterNodes ? { clusterNodes: settings.apiKeys.redisClusterNodes } : { url: settings.apiKeys.redisUrl };
    const client = createRedisClient({ ...where, commandTimeoutMs: 250 });
    apiKeys = createRedisApiKeyStore(client, REDIS_KEY_PREFIXES.apiKeys);
    lifecycle?.onReady(async () => {
      // Until it connects, lookups answer 503; startup waits a bounded time so the first requests do not.
      await waitForRedisReady(client, DEFAULT_REDIS_STARTUP_WAIT_MS);
    });
    lifecycle?.onClose(() => closeRedisClient(client));
  }
  else if (settings.apiKeys?.records) apiKeys = createMemoryApiKeyStore(settings.apiKeys.records);
  const jwt = settings.jwt ? createJwtVerifier(settings.jwt) : undefined;
  // A remote key set is fetched as the BFF starts, without holding it up: a fresh instance's
  // first clients do not wait for it. If the fetch fails, the first token fetches again.
  if (jwt) lifecycle?.onReady(async () => void jwt.prefetchKeys().catch((err: unknown) => lifecycle.onKeyPrefetchFailure?.(err)));
  return {
    ...(jwt ? { jwt } : {}),
    ...(introspection ? { introspection } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    ...(settings.publicPaths ? { publicPaths: settings.publicPaths } : {}),
    ...(onFailure ? { onFailure } : {}),
  };
}
