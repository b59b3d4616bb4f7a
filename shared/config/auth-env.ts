/**
 * The policy stages' environment variables, common to every BFF: each policy declares its
 * own (authentication, edge, response cache, rate limit); this module only composes them,
 * so every bad variable is reported together before any mapping runs.
 */
import type { PolicySettings } from '../manifest';
import { authnEnv } from '../policies/authn/authn-env';
import { edgeEnv } from '../policies/edge/edge-env';
import { rateLimitEnv } from '../policies/rate-limit/rate-limit-env';
import { responseCacheEnv } from '../policies/response-cache/response-cache-env';
import { readEnv } from './env';

/** The policy mappings, in the order of the configuration reference. */
export const POLICY_ENV_MAPPINGS = [authnEnv, edgeEnv, responseCacheEnv, rateLimitEnv] as const;

export const authEnvSpec = { ...authnEnv.spec, ...edgeEnv.spec, ...responseCacheEnv.spec, ...rateLimitEnv.spec };

/** The policy settings the environment describes; throws ConfigError naming what is missing. */
export function policiesFromEnv(env: NodeJS.ProcessEnv): PolicySettings {
  const parsed = readEnv(env, authEnvSpec);
  const rateLimit = rateLimitEnv.toSettings(parsed);
  const responseCache = responseCacheEnv.toSettings(parsed);
  return {
    ...edgeEnv.toSettings(parsed),
    ...(responseCache ? { responseCache } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...authnEnv.toSettings(parsed),
  };
}
