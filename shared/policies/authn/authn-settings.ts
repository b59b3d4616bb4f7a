/**
 * The authentication slice of a BFF manifest, and how it becomes the runtime pieces the
 * authentication stage uses (verifier, key store).
 */
import type { ApiKeyRecord, ApiKeyStore } from './api-key';
import type { Redis } from 'ioredis';
import { closeRedisClient, createRedisClient, waitForRedisReady } from '../rate-limit/redis-store';
import { createFileApiKeyStore, createMemoryApiKeyStore, createRedisApiKeyStore } from './api-key';
import type { AuthnPluginOptions } from './authn-plugin';
import { createJwtVerifier, type JwtOptions } from './jwt';

export interface AuthnSettings {
  /** Accept bearer JWTs verified with these options. */
  jwt?: JwtOptions;
  /** Accept API keys from a key file, Redis (`redisUrl`, hashes under `portico:apikeys:<keyId>`) or a fixed list. */
  apiKeys?: { file?: string; redisUrl?: string; records?: readonly ApiKeyRecord[] };
  /** Route patterns that need no credentials. Default `/healthz`, `/readyz`, `/metrics`. */
  publicPaths?: readonly string[];
}

const KNOWN_KEYS = new Set(['jwt', 'apiKeys', 'publicPaths']);

export function validateAuthnSettings(settings: AuthnSettings): string[] {
  const problems = Object.keys(settings)
    .filter((k) => !KNOWN_KEYS.has(k))
    .map((k) => `policies.authn: unknown key '${k}'`);
  if (!settings.jwt && !settings.apiKeys) problems.push('policies.authn needs jwt or apiKeys (or leave authentication off)');
  if (settings.jwt) {
    const sources = [settings.jwt.jwksUrl, settings.jwt.jwksFile, settings.jwt.jwks].filter(Boolean).length;
    if (sources !== 1) problems.push('policies.authn.jwt needs exactly one of jwksUrl, jwksFile, jwks');
    if (!settings.jwt.issuer || !settings.jwt.audience) problems.push('policies.authn.jwt needs issuer and audience');
  }
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

/** How long startup waits for the API-key Redis before serving anyway (lookups answer 503 until it connects). */
export const API_KEY_REDIS_STARTUP_WAIT_MS = 5_000;

/** Builds the stage's runtime pieces, registering its startup and shutdown work with `lifecycle`. */
export function authnPluginOptions(settings: AuthnSettings, onFailure?: (code: string) => void, lifecycle?: AuthnLifecycle): AuthnPluginOptions {
  let apiKeys: ApiKeyStore | undefined;
  if (settings.apiKeys?.file) apiKeys = createFileApiKeyStore(settings.apiKeys.file);
  else if (settings.apiKeys?.redisUrl) {
    // Key lookups may wait a little longer than limiter decisions: a miss here is a 401.
    const client = createRedisClient({ url: settings.apiKeys.redisUrl, commandTimeoutMs: 250 });
    apiKeys = createRedisApiKeyStore(client as Redis);
    lifecycle?.onReady(async () => {
      await waitForRedisReady(client, API_KEY_REDIS_STARTUP_WAIT_MS);
    });
    lifecycle?.onClose(() => closeRedisClient(client));
  }
  else if (settings.apiKeys?.records) apiKeys = createMemoryApiKeyStore(settings.apiKeys.records);
  return {
    ...(settings.jwt ? { jwt: createJwtVerifier(settings.jwt) } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    ...(settings.publicPaths ? { publicPaths: settings.publicPaths } : {}),
    ...(onFailure ? { onFailure } : {}),
  };
}
