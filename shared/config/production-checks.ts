/**
 * What production mode (`NODE_ENV=production`) refuses to start with: a deployment that
 * would serve without authentication, fetch keys or check tokens over plain HTTP, accept
 * introspected tokens without checking whom they were issued for, run on the demo's dev
 * credentials, or publish its metrics on the client port. Pure: settings in, problems out.
 */
import path from 'node:path';
import { DEV_INTROSPECTION_CLIENT_SECRET, DEV_ISSUER, DEV_KEYS_DIR, DEV_REDIS_PASSWORD } from '../dev/dev-keys';
import type { BffManifest } from '../manifest';
import { ConfigError, oneOf, optionalText, readEnv, shownDefault } from './env';

/** `PRODUCTION_CHECKS=off` keeps production behaviour (no IDE, no suggestions, trusted documents) without these checks: for benchmarks and local rehearsals, never a deployment. */
export const PRODUCTION_CHECKS_ENV = 'PRODUCTION_CHECKS';

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Pure: a URL that may carry keys or tokens only over HTTPS, loopback excepted. */
function plainHttp(raw: string | undefined): boolean {
  if (!raw) return false;
  try {
    const url = new URL(raw);
    return url.protocol !== 'https:' && !isLoopback(url);
  } catch {
    return false;
  }
}

function insideDevKeys(file: string | undefined): boolean {
  if (!file) return false;
  const relative = path.relative(DEV_KEYS_DIR, path.resolve(file));
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Pure: every reason this manifest must not serve in production. */
export function productionProblems(manifest: BffManifest): string[] {
  const problems: string[] = [];
  const policies = manifest.policies ?? {};
  const authn = policies.authn;
  if (!authn) problems.push('AUTH=off (or no credential source): production serves authenticated callers only');
  const jwt = authn?.jwt;
  if (jwt && plainHttp(jwt.jwksUrl)) problems.push(`JWT_JWKS_URL=${jwt.jwksUrl}: keys must be fetched over HTTPS (loopback excepted)`);
  const introspection = authn?.introspection;
  if (introspection) {
    if (plainHttp(introspection.endpoint)) problems.push(`INTROSPECTION_URL=${introspection.endpoint}: tokens must be checked over HTTPS (loopback excepted)`);
    if (introspection.audience === undefined) problems.push('INTROSPECTION_AUDIENCE: required in production, or any token the authorization server issued for another API is accepted');
    if (introspection.issuer === undefined) problems.push('INTROSPECTION_ISSUER: required in production');
    if (introspection.clientSecret === DEV_INTROSPECTION_CLIENT_SECRET) problems.push('INTROSPECTION_CLIENT_SECRET: is the demo stack\'s dev secret');
  }
  if (jwt?.issuer === DEV_ISSUER) problems.push(`JWT_ISSUER=${DEV_ISSUER}: accepts tokens signed with the dev keys anyone can mint (npm run token)`);
  if (insideDevKeys(jwt?.jwksFile)) problems.push(`JWT_JWKS_FILE=${jwt?.jwksFile}: is the dev key set`);
  if (insideDevKeys(authn?.apiKeys?.file)) problems.push(`API_KEYS_FILE=${authn?.apiKeys?.file}: is the dev key file`);
  const redisUrls = [
    authn?.apiKeys?.redisUrl,
    policies.rateLimit?.store?.kind === 'redis' ? policies.rateLimit.store.url : undefined,
    policies.responseCache?.store?.kind === 'redis' ? policies.responseCache.store.url : undefined,
  ];
  if (redisUrls.some((url) => url?.includes(DEV_REDIS_PASSWORD))) problems.push('a Redis URL uses the demo stack\'s dev password');
  const metrics = manifest.server.metrics;
  if (metrics?.port === undefined && !metrics?.token) problems.push('METRICS_PORT or METRICS_TOKEN: production does not publish /metrics on the client port');
  return problems;
}

export const productionEnvSpec = {
  NODE_ENV: shownDefault(
    optionalText('`production`: no IDE page, no field suggestions, introspection off, trusted documents only on mobile, and the [production checks](security.md#security)'),
    '(development)',
  ),
  [PRODUCTION_CHECKS_ENV]: oneOf('`off` keeps production behaviour without the deployment checks (benchmarks and local rehearsals only; never a deployment)', ['on', 'off'] as const, 'on'),
};

/** Applies the production checks when `NODE_ENV=production`; throws ConfigError listing every problem. */
export function enforceProductionChecks<M extends BffManifest>(manifest: M, env: NodeJS.ProcessEnv): M {
  const parsed = readEnv(env, productionEnvSpec);
  if (parsed.NODE_ENV !== 'production' || parsed[PRODUCTION_CHECKS_ENV] === 'off') return manifest;
  const problems = productionProblems(manifest);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `production: ${p}`));
  return manifest;
}
