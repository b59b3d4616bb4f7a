/**
 * The policy stages' environment variables, common to every BFF: each policy declares its
 * own (authentication, edge, response cache, rate limit); this module only composes them,
 * so every bad variable is reported together before any mapping runs.
 */
import type { PolicySettings } from '../manifest';
import { authnEnv, principalKindsEnv } from '../policies/authn/authn-env';
import { edgeEnv } from '../policies/edge/edge-env';
import { rateLimitEnv } from '../policies/rate-limit/rate-limit-env';
import { responseCacheEnv } from '../policies/response-cache/response-cache-env';
import { readEnv } from './env';

/** The policy mappings, in the order of the configuration reference. */
export const POLICY_ENV_MAPPINGS = [authnEnv, principalKindsEnv, edgeEnv, responseCacheEnv, rateLimitEnv] as const;

export const authEnvSpec = Object.assign({}, ...POLICY_ENV_MAPPINGS.map((m) => m.spec)) as typeof principalKindsEnv.spec & typeof authnEnv.spec & typeof edgeEnv.spec & typeof responseCacheEnv.spec & typeof rateLimitEnv.spec;

/** The order mappings run in: a configuration error of the limiter or cache is reported before authentication's. */
const EVALUATION_ORDER = [rateLimitEnv, responseCacheEnv, edgeEnv, principalKindsEnv, authnEnv] as const;

/**
 * The policy settings: `base` (the manifest's, a configuration file's laid over it) with the
 * environment applied; throws ConfigError naming what is missing. A key the file sets
 * (`configured`) stands while none of the variables deciding it is set: the environment
 * overrides the file, its defaults do not.
 */
export function effectivePolicies(base: PolicySettings | undefined, env: NodeJS.ProcessEnv, configured: PolicySettings = {}): PolicySettings {
  const parsed = readEnv(env, authEnvSpec);
  const out: Record<string, unknown> = { ...base };
  for (const mapping of EVALUATION_ORDER) {
    const decided = Object.entries(mapping.settingsKeys as Record<string, readonly string[]>)
      .filter(([key, variables]) => !(key in configured) || variables.some((name) => env[name] !== undefined && env[name] !== ''))
      .map(([key]) => key);
    if (decided.length === 0) continue;
    const settings = mapping.toSettings(parsed as never) as Record<string, unknown>;
    for (const key of decided) {
      if (key in settings) out[key] = settings[key];
      // The environment turned off what the file configured (e.g. AUTH=off, RATE_LIMIT=off).
      else if (key in configured) delete out[key];
    }
  }
  return out as PolicySettings;
}

/** The policy settings the environment alone describes; throws ConfigError naming what is missing. */
export function policiesFromEnv(env: NodeJS.ProcessEnv): PolicySettings {
  return effectivePolicies(undefined, env);
}
