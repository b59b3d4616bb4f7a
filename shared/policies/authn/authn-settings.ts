/**
 * The authentication slice of a BFF manifest, and how it becomes the runtime pieces the
 * authentication stage uses (verifier, key store).
 */
import type { ApiKeyRecord, ApiKeyStore } from './api-key';
import { createFileApiKeyStore, createMemoryApiKeyStore } from './api-key';
import type { AuthnPluginOptions } from './authn-plugin';
import { createJwtVerifier, type JwtOptions } from './jwt';

export interface AuthnSettings {
  /** Accept bearer JWTs verified with these options. */
  jwt?: JwtOptions;
  /** Accept API keys from a key file or a fixed list (partner BFF). */
  apiKeys?: { file?: string; records?: readonly ApiKeyRecord[] };
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
  if (settings.apiKeys && !settings.apiKeys.file && !settings.apiKeys.records) problems.push('policies.authn.apiKeys needs file or records');
  return problems;
}

export function authnPluginOptions(settings: AuthnSettings, onFailure?: (code: string) => void): AuthnPluginOptions {
  let apiKeys: ApiKeyStore | undefined;
  if (settings.apiKeys?.file) apiKeys = createFileApiKeyStore(settings.apiKeys.file);
  else if (settings.apiKeys?.records) apiKeys = createMemoryApiKeyStore(settings.apiKeys.records);
  return {
    ...(settings.jwt ? { jwt: createJwtVerifier(settings.jwt) } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    ...(settings.publicPaths ? { publicPaths: settings.publicPaths } : {}),
    ...(onFailure ? { onFailure } : {}),
  };
}
