/**
 * Environment variables of the policy stages, common to every BFF: authentication
 * (JWT via JWKS, API keys), rate limiting (in memory, or Redis via REDIS_URL) and
 * trusted proxies.
 */
import type { PolicySettings } from '../manifest';
import type { AuthnSettings } from '../policies/authn/authn-settings';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES, type RateLimitSettings } from '../policies/rate-limit/rate-limit-settings';
import type { RateLimitFailMode } from '../policies/rate-limit/resilient-store';
import { ConfigError, integer, oneOf, optionalHttpUrl, optionalText, readEnv } from './env';

export const authEnvSpec = {
  AUTH: oneOf('`required`: every non-public route needs credentials; `off`: no authentication (local experiments only)', ['required', 'off'] as const, 'required'),
  JWT_JWKS_URL: optionalHttpUrl('JWKS URL the bearer tokens are verified against'),
  JWT_JWKS_FILE: optionalText('Local JWKS file, instead of JWT_JWKS_URL'),
  JWT_ISSUER: optionalText('Accepted token issuer (`iss`); required with a JWKS'),
  JWT_AUDIENCE: optionalText('Accepted token audience (`aud`); required with a JWKS'),
  JWT_ALGORITHMS: optionalText('Comma-separated accepted algorithms (default RS256,PS256,ES256,EdDSA)'),
  API_KEYS_FILE: optionalText('API key file (hashes only; see `npm run apikey`)'),
  API_KEYS_REDIS_URL: optionalText('Redis holding API key hashes, instead of API_KEYS_FILE'),
  TRUSTED_PROXIES: optionalText('Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed'),
  IP_ALLOW: optionalText('Comma-separated IPs/CIDRs that alone are served (client address through TRUSTED_PROXIES)'),
  IP_DENY: optionalText('Comma-separated IPs/CIDRs that are refused with 403'),
  USER_AGENT_DENY: optionalText('Comma-separated regular expressions; matching user agents are refused with 403'),
  CORS_ORIGINS: optionalText('Comma-separated origins allowed to call from a browser (`*` for any); unset: no CORS'),
  CORS_CREDENTIALS: oneOf('Allow cookies and credentials cross-origin (true/false)', ['true', 'false'] as const, 'false'),
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
  const policies: PolicySettings = {
    ...(trustedProxies ? { trustedProxies } : {}),
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
  if (parsed.API_KEYS_FILE && parsed.API_KEYS_REDIS_URL) problems.push('API_KEYS_FILE and API_KEYS_REDIS_URL: set only one');
  if (parsed.API_KEYS_FILE) authn.apiKeys = { file: parsed.API_KEYS_FILE };
  else if (parsed.API_KEYS_REDIS_URL) authn.apiKeys = { redisUrl: parsed.API_KEYS_REDIS_URL };
  if (!authn.jwt && !authn.apiKeys) problems.push('AUTH=required: set JWT_JWKS_URL (or JWT_JWKS_FILE) or API_KEYS_FILE, or AUTH=off to run without authentication');
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...policies, authn };
}
