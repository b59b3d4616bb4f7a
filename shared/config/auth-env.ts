/**
 * Environment variables of the policy stages, common to every BFF: authentication
 * (JWT via JWKS, opaque tokens via introspection, API keys), rate limiting (in memory, or Redis via REDIS_URL),
 * response caching, access rules, CORS and trusted proxies.
 */
import type { PolicySettings } from '../manifest';
import type { AuthnSettings } from '../policies/authn/authn-settings';
import type { PrincipalKind } from '../policies/authn/principal';
import {
  DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES,
  DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS,
  DEFAULT_INTROSPECTION_TIMEOUT_MS,
  DEFAULT_ROLES_CLAIM,
  DEFAULT_TENANT_CLAIM,
  type IntrospectionOptions,
} from '../policies/authn/introspection';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES, type RateLimitSettings } from '../policies/rate-limit/rate-limit-settings';
import type { RateLimitFailMode } from '../policies/rate-limit/resilient-store';
import { DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_TTL_SEC, type ResponseCacheSettings } from '../policies/response-cache/response-cache-settings';
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES } from '../policies/response-cache/response-cache-store';
import { ConfigError, integer, oneOf, optionalHttpUrl, optionalText, readEnv, text } from './env';

export const authEnvSpec = {
  AUTH: oneOf('`required`: every non-public route needs credentials; `off`: no authentication (local experiments only)', ['required', 'off'] as const, 'required'),
  AUTH_PRINCIPAL_KINDS: optionalText("Comma-separated kinds of callers served: `user` (end users), `client` (partner integrations); default: the BFF's own (web and mobile `user`, partner `client`)"),
  JWT_JWKS_URL: optionalHttpUrl('JWKS URL the bearer tokens are verified against'),
  JWT_JWKS_FILE: optionalText('Local JWKS file, instead of JWT_JWKS_URL'),
  JWT_ISSUER: optionalText('Accepted token issuer (`iss`); required with a JWKS'),
  JWT_AUDIENCE: optionalText('Accepted token audience (`aud`); required with a JWKS'),
  JWT_ALGORITHMS: optionalText('Comma-separated accepted algorithms (default RS256,PS256,ES256,EdDSA)'),
  INTROSPECTION_URL: optionalHttpUrl('RFC 7662 token introspection endpoint for opaque bearer tokens (JWS-shaped tokens still go to the JWKS when one is set)'),
  INTROSPECTION_CLIENT_ID: optionalText("The gateway's client id at the introspection endpoint; required with INTROSPECTION_URL"),
  INTROSPECTION_CLIENT_SECRET: optionalText("The gateway's client secret at the introspection endpoint; required with INTROSPECTION_URL"),
  INTROSPECTION_TIMEOUT_MS: integer('Longest wait for one introspection call, in ms', DEFAULT_INTROSPECTION_TIMEOUT_MS, { min: 1, max: 60_000 }),
  INTROSPECTION_CACHE_MAX_ENTRIES: integer('Most introspection answers remembered (0 = no caching)', DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES, { min: 0, max: 10_000_000 }),
  INTROSPECTION_CACHE_MAX_TTL_MS: integer("Longest reuse of an active answer, in ms (never past the token's exp); bounds how long a revoked token keeps working", DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS, { min: 0, max: 86_400_000 }),
  INTROSPECTION_NEGATIVE_CACHE_TTL_MS: integer('How long a rejected token is answered from memory, in ms (0 = ask every time)', DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS, { min: 0, max: 3_600_000 }),
  INTROSPECTION_AUDIENCE: optionalText('Comma-separated accepted `aud` values of introspected tokens (unchecked when unset)'),
  INTROSPECTION_ISSUER: optionalText('Comma-separated accepted `iss` values of introspected tokens (unchecked when unset)'),
  INTROSPECTION_TENANT_CLAIM: text('Introspection claim holding the tenant', DEFAULT_TENANT_CLAIM),
  INTROSPECTION_ROLES_CLAIM: text('Introspection claim holding the roles', DEFAULT_ROLES_CLAIM),
  API_KEYS_FILE: optionalText('API key file (hashes only; see `npm run apikey`)'),
  API_KEYS_REDIS_URL: optionalText('Redis holding API key hashes, instead of API_KEYS_FILE'),
  TRUSTED_PROXIES: optionalText('Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed'),
  IP_ALLOW: optionalText('Comma-separated IPs/CIDRs that alone are served (client address through TRUSTED_PROXIES)'),
  IP_DENY: optionalText('Comma-separated IPs/CIDRs that are refused with 403'),
  USER_AGENT_DENY: optionalText('Comma-separated regular expressions; matching user agents are refused with 403'),
  CORS_ORIGINS: optionalText('Comma-separated origins allowed to call from a browser (`*` for any); unset: no CORS'),
  CORS_CREDENTIALS: oneOf('Allow cookies and credentials cross-origin (true/false)', ['true', 'false'] as const, 'false'),
  RESPONSE_CACHE: oneOf('Response cache: `off`, `memory` (per process) or `redis` (shared, RESPONSE_CACHE_REDIS_URL)', ['off', 'memory', 'redis'] as const, 'off'),
  RESPONSE_CACHE_REDIS_URL: optionalText('Redis URL of the shared response cache (RESPONSE_CACHE=redis)'),
  RESPONSE_CACHE_MAX_ENTRIES: integer('Most entries in the memory response cache', DEFAULT_CACHE_MAX_ENTRIES, { min: 1, max: 10_000_000 }),
  RESPONSE_CACHE_MAX_BYTES: integer('Most bytes in the memory response cache', DEFAULT_CACHE_MAX_BYTES, { min: 1_024, max: 68_719_476_736 }),
  RESPONSE_CACHE_MAX_ENTRY_BYTES: integer('Largest response body cached, in bytes', DEFAULT_MAX_ENTRY_BYTES, { min: 1, max: 1_073_741_824 }),
  RESPONSE_CACHE_MAX_TTL_SEC: integer('Longest lifetime of any cached response, in seconds', DEFAULT_MAX_TTL_SEC, { min: 1, max: 31_536_000 }),
  RATE_LIMIT: oneOf('`on` or `off`', ['on', 'off'] as const, 'on'),
  RATE_LIMIT_PER_MIN: integer('Requests per minute per principal on the default plan (burst the same)', DEFAULT_PLAN_RULES.default?.limit ?? 600, { min: 1, max: 60_000_000 }),
  RATE_LIMIT_PER_IP_PER_MIN: integer('Requests per minute per client IP before authentication (0 = off)', DEFAULT_PER_IP_RULE.limit, { min: 0, max: 60_000_000 }),
  REDIS_URL: optionalText('Redis URL for shared rate-limit counters (default: in-memory, per process)'),
  REDIS_CLUSTER_NODES: optionalText('Comma-separated host:port of Redis Cluster nodes, instead of REDIS_URL'),
  RATE_LIMIT_FAIL_MODE: oneOf('When Redis is unreachable: `open-to-local` (decide in memory) or `closed` (503)', ['open-to-local', 'closed'] as const, 'open-to-local'),
};

function rateLimitFromEnv(parsed: { RATE_LIMIT: 'on' | 'off'; RATE_LIMIT_PER_MIN: number; RATE_LIMIT_PER_IP_PER_MIN: number; REDIS_URL: string | undefined; REDIS_CLUSTER_NODES: string | undefined; RATE_LIMIT_FAIL_MODE: RateLimitFailMode }): RateLimitSettings | undefined {
  if (parsed.RATE_LIMIT === 'off') return undefined;
  const clusterNodes = list(parsed.REDIS_CLUSTER_NODES);
  return {
    perIp: parsed.RATE_LIMIT_PER_IP_PER_MIN === 0 ? false : { limit: parsed.RATE_LIMIT_PER_IP_PER_MIN, windowMs: 60_000 },
    plans: { ...DEFAULT_PLAN_RULES, default: { limit: parsed.RATE_LIMIT_PER_MIN, windowMs: 60_000 } },
    store:
      parsed.REDIS_URL || clusterNodes
        ? { kind: 'redis', ...(clusterNodes ? { clusterNodes } : { url: parsed.REDIS_URL }), failMode: parsed.RATE_LIMIT_FAIL_MODE }
        : { kind: 'memory' },
  };
}

function introspectionFromEnv(
  parsed: {
    INTROSPECTION_URL: string | undefined;
    INTROSPECTION_CLIENT_ID: string | undefined;
    INTROSPECTION_CLIENT_SECRET: string | undefined;
    INTROSPECTION_TIMEOUT_MS: number;
    INTROSPECTION_CACHE_MAX_ENTRIES: number;
    INTROSPECTION_CACHE_MAX_TTL_MS: number;
    INTROSPECTION_NEGATIVE_CACHE_TTL_MS: number;
    INTROSPECTION_AUDIENCE: string | undefined;
    INTROSPECTION_ISSUER: string | undefined;
    INTROSPECTION_TENANT_CLAIM: string;
    INTROSPECTION_ROLES_CLAIM: string;
  },
  problems: string[],
): IntrospectionOptions {
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

function responseCacheFromEnv(parsed: {
  RESPONSE_CACHE: 'off' | 'memory' | 'redis';
  RESPONSE_CACHE_REDIS_URL: string | undefined;
  RESPONSE_CACHE_MAX_ENTRIES: number;
  RESPONSE_CACHE_MAX_BYTES: number;
  RESPONSE_CACHE_MAX_ENTRY_BYTES: number;
  RESPONSE_CACHE_MAX_TTL_SEC: number;
}): ResponseCacheSettings | undefined {
  if (parsed.RESPONSE_CACHE === 'off') return undefined;
  if (parsed.RESPONSE_CACHE === 'redis' && !parsed.RESPONSE_CACHE_REDIS_URL) throw new ConfigError(['RESPONSE_CACHE=redis: set RESPONSE_CACHE_REDIS_URL']);
  return {
    store:
      parsed.RESPONSE_CACHE === 'redis'
        ? { kind: 'redis', url: parsed.RESPONSE_CACHE_REDIS_URL as string }
        : { kind: 'memory', maxEntries: parsed.RESPONSE_CACHE_MAX_ENTRIES, maxBytes: parsed.RESPONSE_CACHE_MAX_BYTES },
    maxEntryBytes: parsed.RESPONSE_CACHE_MAX_ENTRY_BYTES,
    maxTtlSec: parsed.RESPONSE_CACHE_MAX_TTL_SEC,
  };
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** The policy settings the environment describes; throws ConfigError naming what is missing. */
export function policiesFromEnv(env: NodeJS.ProcessEnv): PolicySettings {
  const parsed = readEnv(env, authEnvSpec);
  const trustedProxies = list(parsed.TRUSTED_PROXIES);
  const rateLimit = rateLimitFromEnv(parsed);
  const corsOrigins = list(parsed.CORS_ORIGINS);
  const allow = list(parsed.IP_ALLOW);
  const deny = list(parsed.IP_DENY);
  const denyUserAgents = list(parsed.USER_AGENT_DENY);
  const accessRules = allow || deny || denyUserAgents ? { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}), ...(denyUserAgents ? { denyUserAgents } : {}) } : undefined;
  const responseCache = responseCacheFromEnv(parsed);
  const principalKinds = list(parsed.AUTH_PRINCIPAL_KINDS);
  if (principalKinds?.some((k) => k !== 'user' && k !== 'client')) throw new ConfigError([`AUTH_PRINCIPAL_KINDS: must list user and/or client, got '${parsed.AUTH_PRINCIPAL_KINDS}'`]);
  const policies: PolicySettings = {
    ...(trustedProxies ? { trustedProxies } : {}),
    ...(principalKinds ? { principalKinds: principalKinds as PrincipalKind[] } : {}),
    ...(responseCache ? { responseCache } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(corsOrigins ? { cors: { origins: corsOrigins, credentials: parsed.CORS_CREDENTIALS === 'true' } } : {}),
    ...(accessRules ? { accessRules } : {}),
  };
  if (parsed.AUTH === 'off') return policies;

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
  if (parsed.API_KEYS_FILE && parsed.API_KEYS_REDIS_URL) problems.push('API_KEYS_FILE and API_KEYS_REDIS_URL: set only one');
  if (parsed.API_KEYS_FILE) authn.apiKeys = { file: parsed.API_KEYS_FILE };
  else if (parsed.API_KEYS_REDIS_URL) authn.apiKeys = { redisUrl: parsed.API_KEYS_REDIS_URL };
  if (!authn.jwt && !authn.introspection && !authn.apiKeys) problems.push('AUTH=required: set JWT_JWKS_URL (or JWT_JWKS_FILE), INTROSPECTION_URL or API_KEYS_FILE, or AUTH=off to run without authentication');
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...policies, authn };
}
