/**
 * Authentication's environment variables (JWT via JWKS, opaque tokens via introspection,
 * API keys; the principal kinds served) and how they map into `policies.authn` and
 * `policies.principalKinds`.
 */
import { ConfigError, envMapping, integer, list, oneOf, optionalHttpUrl, optionalText, shownDefault, text, type Parsed } from '../../config/env';
import type { AuthnSettings } from './authn-settings';
import {
  DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES,
  DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_TIMEOUT_MS,
  DEFAULT_ROLES_CLAIM,
  DEFAULT_TENANT_CLAIM,
  type IntrospectionOptions,
} from './introspection';
import { REDIS_ENV, sharedRedisFor } from '../../redis-env';
import { DEFAULT_JWT_ALGORITHMS } from './jwt';
import type { PrincipalKind } from './principal';

const spec = {
  AUTH: oneOf('`off` runs without authentication (local experiments); `required` needs a key source below or the process refuses to start', ['required', 'off'] as const, 'required'),
  JWT_JWKS_URL: optionalHttpUrl('JWKS URL bearer-token keys come from (or JWT_JWKS_FILE)'),
  JWT_JWKS_FILE: optionalText('local JWKS file, instead of JWT_JWKS_URL'),
  JWT_ISSUER: optionalText('accepted token issuer (`iss`); required with a JWKS'),
  JWT_AUDIENCE: optionalText('accepted token audience (`aud`); required with a JWKS'),
  JWT_ALGORITHMS: shownDefault(optionalText('comma-separated accepted signature algorithms (asymmetric only)'), `\`${DEFAULT_JWT_ALGORITHMS.join(',')}\``),
  INTROSPECTION_URL: optionalHttpUrl('RFC 7662 introspection endpoint; opaque bearer tokens are accepted when set (JWS-shaped tokens still go to the JWKS when one is set)'),
  INTROSPECTION_CLIENT_ID: optionalText("the gateway's client id at the introspection endpoint (HTTP Basic); required with `INTROSPECTION_URL`"),
  INTROSPECTION_CLIENT_SECRET: optionalText("the gateway's client secret at the introspection endpoint (HTTP Basic); required with `INTROSPECTION_URL`"),
  INTROSPECTION_TIMEOUT_MS: integer('longest introspection call, connect to last byte, in ms', DEFAULT_INTROSPECTION_TIMEOUT_MS, { min: 1, max: 60_000 }),
  INTROSPECTION_CACHE_MAX_ENTRIES: integer('most answers remembered (least recently used forgotten first); `0` = no caching', DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES, { min: 0, max: 10_000_000 }),
  INTROSPECTION_CACHE_MAX_TTL_MS: integer("longest reuse of an active answer, in ms (never past the token's `exp`): how long a revoked token may keep working", DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS, { min: 0, max: 86_400_000 }),
  INTROSPECTION_NEGATIVE_CACHE_TTL_MS: integer('how long a rejected token is answered from memory, in ms; `0` = ask every time', DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS, { min: 0, max: 3_600_000 }),
  INTROSPECTION_AUDIENCE: shownDefault(optionalText('comma-separated accepted `aud` values of introspected tokens'), '(unchecked; required in production)'),
  INTROSPECTION_ISSUER: shownDefault(optionalText('comma-separated accepted `iss` values of introspected tokens'), '(unchecked; required in production)'),
  INTROSPECTION_TENANT_CLAIM: text('claim read as the tenant', DEFAULT_TENANT_CLAIM),
  INTROSPECTION_ROLES_CLAIM: text('claim read as the roles', DEFAULT_ROLES_CLAIM),
  API_KEYS_FILE: optionalText('API key hashes (partner) from a file (see `npm run apikey`)'),
  API_KEYS_REDIS_URL: optionalText('Redis holding API key hashes, instead of `API_KEYS_FILE` (and of `REDIS_CLUSTER_NODES` or `REDIS_URL` with `API_KEYS_STORE=redis`)'),
  API_KEYS_STORE: shownDefault(
    oneOf('where API key hashes are: `file` (`API_KEYS_FILE`) or `redis` (`API_KEYS_REDIS_URL`, else `REDIS_CLUSTER_NODES`, else `REDIS_URL`)', ['file', 'redis', 'auto'] as const, 'auto'),
    'the one of `API_KEYS_FILE`, `API_KEYS_REDIS_URL` that is set',
  ),
  ...REDIS_ENV,
};

type AuthnEnv = Parsed<typeof spec>;

function introspectionFromEnv(parsed: AuthnEnv, problems: string[]): IntrospectionOptions {
  if (!parsed.INTROSPECTION_CLIENT_ID) problems.push('INTROSPECTION_CLIENT_ID: is required with INTROSPECTION_URL');
  if (!parsed.INTROSPECTION_CLIENT_SECRET) problems.push('INTROSPECTION_CLIENT_SECRET: is required with INTROSPECTION_URL');
  const audience = list(parsed.INTROSPECTION_AUDIENCE);
  const issuer = list(parsed.INTROSPECTION_ISSUER);
  return {
    endpoint: parsed.INTROSPECTION_URL ?? '',
    clientId: parsed.INTROSPECTION_CLIENT_ID ?? '',
    clientSecret: parsed.INTROSPECTION_CLIENT_SECRET ?? '',
    timeoutMs: parsed.INTROSPECTION_TIMEOUT_MS,
    cacheMaxEntries: parsed.INTROSPECTION_CACHE_MAX_ENTRIES,
    maxCacheTtlMs: parsed.INTROSPECTION_CACHE_MAX_TTL_MS,
    negativeCacheTtlMs: parsed.INTROSPECTION_NEGATIVE_CACHE_TTL_MS,
    ...(audience ? { audience } : {}),
    ...(issuer ? { issuer } : {}),
    tenantClaim: parsed.INTROSPECTION_TENANT_CLAIM,
    rolesClaim: parsed.INTROSPECTION_ROLES_CLAIM,
  };
}

function apiKeysFromEnv(parsed: AuthnEnv, problems: string[]): AuthnSettings['apiKeys'] {
  if (parsed.API_KEYS_STORE === 'redis') {
    const redis = sharedRedisFor(parsed.API_KEYS_REDIS_URL, parsed);
    if (!redis) problems.push('API_KEYS_STORE=redis: set REDIS_URL or REDIS_CLUSTER_NODES (or API_KEYS_REDIS_URL)');
    if (!redis) return undefined;
    return 'url' in redis ? { redisUrl: redis.url } : { redisClusterNodes: redis.clusterNodes };
  }
  if (parsed.API_KEYS_STORE === 'file' && !parsed.API_KEYS_FILE) problems.push('API_KEYS_STORE=file: set API_KEYS_FILE');
  if (parsed.API_KEYS_FILE && parsed.API_KEYS_REDIS_URL) problems.push('API_KEYS_FILE and API_KEYS_REDIS_URL: set only one');
  if (parsed.API_KEYS_FILE) return { file: parsed.API_KEYS_FILE };
  if (parsed.API_KEYS_REDIS_URL) return { redisUrl: parsed.API_KEYS_REDIS_URL };
  return undefined;
}

function authnFromEnv(parsed: AuthnEnv): AuthnSettings {
  const problems: string[] = [];
  const authn: AuthnSettings = {};
  if (parsed.JWT_JWKS_URL || parsed.JWT_JWKS_FILE) {
    if (parsed.JWT_JWKS_URL && parsed.JWT_JWKS_FILE) problems.push('JWT_JWKS_URL and JWT_JWKS_FILE: set only one');
    if (!parsed.JWT_ISSUER) problems.push('JWT_ISSUER: is required with a JWKS');
    if (!parsed.JWT_AUDIENCE) problems.push('JWT_AUDIENCE: is required with a JWKS');
    authn.jwt = {
      ...(parsed.JWT_JWKS_URL ? { jwksUrl: parsed.JWT_JWKS_URL } : { jwksFile: parsed.JWT_JWKS_FILE }),
      issuer: parsed.JWT_ISSUER ?? '',
      audience: parsed.JWT_AUDIENCE ?? '',
      ...(list(parsed.JWT_ALGORITHMS) ? { algorithms: list(parsed.JWT_ALGORITHMS) } : {}),
    };
  }
  if (parsed.INTROSPECTION_URL) authn.introspection = introspectionFromEnv(parsed, problems);
  else if (parsed.INTROSPECTION_CLIENT_ID || parsed.INTROSPECTION_CLIENT_SECRET) problems.push('INTROSPECTION_CLIENT_ID / INTROSPECTION_CLIENT_SECRET: set INTROSPECTION_URL too, or neither');
  const apiKeys = apiKeysFromEnv(parsed, problems);
  if (apiKeys) authn.apiKeys = apiKeys;
  if (!authn.jwt && !authn.introspection && !authn.apiKeys) problems.push('AUTH=required: set JWT_JWKS_URL (or JWT_JWKS_FILE), INTROSPECTION_URL or API_KEYS_FILE, or AUTH=off to run without authentication');
  if (problems.length > 0) throw new ConfigError(problems);
  return authn;
}

export const principalKindsEnv = envMapping({
  title: 'Principal kinds',
  spec: {
    AUTH_PRINCIPAL_KINDS: shownDefault(
      optionalText('comma-separated kinds of callers served: `user` (end users), `client` (partner integrations); valid credentials of another kind get 401 `AUTH_PRINCIPAL_KIND_NOT_ACCEPTED`'),
      "the BFF's own: web and mobile `user`, partner `client`",
    ),
  },
  settingsKeys: { principalKinds: ['AUTH_PRINCIPAL_KINDS'] },
  toSettings(parsed): { principalKinds?: PrincipalKind[] } {
    const principalKinds = list(parsed.AUTH_PRINCIPAL_KINDS);
    if (principalKinds?.some((k) => k !== 'user' && k !== 'client')) throw new ConfigError([`AUTH_PRINCIPAL_KINDS: must list user and/or client, got '${parsed.AUTH_PRINCIPAL_KINDS}'`]);
    return principalKinds ? { principalKinds: principalKinds as PrincipalKind[] } : {};
  },
});

export const authnEnv = envMapping({
  title: 'Authentication',
  spec,
  // The shared Redis alone does not decide authentication: a file's `policies.authn` stands.
  settingsKeys: { authn: (Object.keys(spec) as Array<keyof typeof spec>).filter((name) => name !== 'REDIS_URL' && name !== 'REDIS_CLUSTER_NODES') },
  toSettings(parsed): { authn?: AuthnSettings } {
    return parsed.AUTH === 'off' ? {} : { authn: authnFromEnv(parsed) };
  },
});
