/**
 * The authentication slice of a BFF manifest, and how it becomes the runtime pieces the
 * authentication stage uses (verifier, key store).
 */
import type { ApiKeyRecord, ApiKeyStore } from './api-key';
import type { Redis } from 'ioredis';
import { closeRedisClient, createRedisClient, DEFAULT_REDIS_STARTUP_WAIT_MS, waitForRedisReady } from '../rate-limit/redis-store';
import { createFileApiKeyStore, createMemoryApiKeyStore, createRedisApiKeyStore } from './api-key';
import type { AuthnPluginOptions } from './authn-plugin';
import { createIntrospectionVerifier, type IntrospectionObserver, type IntrospectionOptions } from './introspection';
import { createJwtVerifier, type JwtOptions } from './jwt';

export interface AuthnSettings {
  /** Accept bearer JWTs verified with these options. */
  jwt?: JwtOptions;
  /**
   * Accept opaque bearer tokens checked at this RFC 7662 introspection endpoint. With `jwt`
   * too, JWS-shaped tokens (three base64url segments) are verified as JWTs and every other
   * bearer token is introspected.
   */
  introspection?: IntrospectionOptions;
  /** Accept API keys from a key file, Redis (`redisUrl`, hashes under `portico:apikeys:<keyId>`) or a fixed list. */
  apiKeys?: { file?: string; redisUrl?: string; records?: readonly ApiKeyRecord[] };
  /** Route patterns that need no credentials. Default `/healthz`, `/readyz`, `/metrics`. */
  publicPaths?: readonly string[];
}

const KNOWN_KEYS = new Set(['jwt', 'introspection', 'apiKeys', 'publicPaths']);
const INTROSPECTION_KEYS = new Set(['endpoint', 'clientId', 'clientSecret', 'timeoutMs', 'connections', 'cacheMaxEntries', 'maxCacheTtlMs', 'negativeCacheTtlMs', 'audience', 'issuer', 'clockToleranceSec', 'tenantClaim', 'rolesClaim', 'now']);

function isHttpUrl(value: unknown): boolean {
  try {
    return typeof value === 'string' && ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function validateIntrospection(settings: IntrospectionOptions): string[] {
  const where = 'policies.authn.introspection';
  const problems = Object.keys(settings)
    .filter((k) => !INTROSPECTION_KEYS.has(k))
    .map((k) => `${where}: unknown key '${k}'`);
  if (!isHttpUrl(settings.endpoint)) problems.push(`${where}.endpoint must be an http(s) URL, got ${JSON.stringify(settings.endpoint)}`);
  if (typeof settings.clientId !== 'string' || settings.clientId === '' || typeof settings.clientSecret !== 'string' || settings.clientSecret === '') {
    problems.push(`${where} needs clientId and clientSecret: the gateway authenticates to the endpoint with them`);
  }
  const integers: Array<[keyof IntrospectionOptions, number]> = [['timeoutMs', 1], ['connections', 1], ['cacheMaxEntries', 0], ['maxCacheTtlMs', 0], ['negativeCacheTtlMs', 0], ['clockToleranceSec', 0]];
  for (const [key, min] of integers) {
    const value = settings[key];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min)) {
      problems.push(`${where}.${key} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
    }
  }
  for (const key of ['audience', 'issuer'] as const) {
    const value = settings[key];
    const values = typeof value === 'string' ? [value] : value;
    if (value !== undefined && (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || v === ''))) {
      problems.push(`${where}.${key} must be a non-empty string or list of strings`);
    }
  }
  for (const key of ['tenantClaim', 'rolesClaim'] as const) {
    if (settings[key] !== undefined && (typeof settings[key] !== 'string' || settings[key] === '')) problems.push(`${where}.${key} must be a claim name`);
  }
  return problems;
}

export function validateAuthnSettings(settings: AuthnSettings): string[] {
  const problems = Object.keys(settings)
    .filter((k) => !KNOWN_KEYS.has(k))
    .map((k) => `policies.authn: unknown key '${k}'`);
  if (!settings.jwt && !settings.introspection && !settings.apiKeys) problems.push('policies.authn needs jwt, introspection or apiKeys (or leave authentication off)');
  if (settings.jwt) {
    const sources = [settings.jwt.jwksUrl, settings.jwt.jwksFile, settings.jwt.jwks].filter(Boolean).length;
    if (sources !== 1) problems.push('policies.authn.jwt needs exactly one of jwksUrl, jwksFile, jwks');
    if (!settings.jwt.issuer || !settings.jwt.audience) problems.push('policies.authn.jwt needs issuer and audience');
  }
  if (settings.introspection) problems.push(...validateIntrospection(settings.introspection));
  if (settings.apiKeys && [settings.apiKeys.file, settings.apiKeys.redisUrl, settings.apiKeys.records].filter(Boolean).length !== 1) {
    problems.push('policies.authn.apiKeys needs exactly one of file, redisUrl, records');
  }
  return problems;
}

/** Hooks into the app's lifecycle: what must run before listening, and what must be closed with it. */
export interface AuthnLifecycle {
  onReady(task: () => Promise<void>): void;
  onClose(task: () => Promise<void>): void;
}

/** Builds the stage's runtime pieces, registering its startup and shutdown work with `lifecycle`. */
export function authnPluginOptions(settings: AuthnSettings, onFailure?: (code: string) => void, lifecycle?: AuthnLifecycle, introspectionObserver?: IntrospectionObserver): AuthnPluginOptions {
  const introspection = settings.introspection ? createIntrospectionVerifier(settings.introspection, introspectionObserver) : undefined;
  if (introspection) lifecycle?.onClose(() => introspection.close());
  let apiKeys: ApiKeyStore | undefined;
  if (settings.apiKeys?.file) apiKeys = createFileApiKeyStore(settings.apiKeys.file);
  else if (settings.apiKeys?.redisUrl) {
    // Key lookups may wait a little longer than limiter decisions: a miss here is a 401.
    const client = createRedisClient({ url: settings.apiKeys.redisUrl, commandTimeoutMs: 250 });
    apiKeys = createRedisApiKeyStore(client as Redis);
    lifecycle?.onReady(async () => {
      // Until it connects, lookups answer 503; startup waits a bounded time so the first requests do not.
      await waitForRedisReady(client, DEFAULT_REDIS_STARTUP_WAIT_MS);
    });
    lifecycle?.onClose(() => closeRedisClient(client));
  }
  else if (settings.apiKeys?.records) apiKeys = createMemoryApiKeyStore(settings.apiKeys.records);
  return {
    ...(settings.jwt ? { jwt: createJwtVerifier(settings.jwt) } : {}),
    ...(introspection ? { introspection } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    ...(settings.publicPaths ? { publicPaths: settings.publicPaths } : {}),
    ...(onFailure ? { onFailure } : {}),
  };
}
