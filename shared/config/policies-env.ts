/**
 * The policy stages' environment variables, common to every BFF: each policy declares its
 * own mappings (`PolicyDefinition.env`); this module only composes those of the pipeline's
 * policies, so every bad variable is reported together before any setting is applied.
 */
import type { PolicySettings } from '../manifest';
import { PIPELINE_POLICIES } from '../pipeline';
import type { PolicyEnvMapping } from '../policies/policy';
import { ConfigError, readEnv, type Spec } from './env';

/** The policy mappings, in pipeline order (the order of the configuration reference). */
export const POLICY_ENV_MAPPINGS: readonly PolicyEnvMapping[] = PIPELINE_POLICIES.flatMap((policy) => policy.env);

/** Every policy variable (a variable shared by several policies, like `REDIS_URL`, once). */
export const policiesEnvSpec: Spec = Object.assign({}, ...POLICY_ENV_MAPPINGS.map((m) => m.spec));

/**
 * The policy settings: `base` (the manifest's, a configuration file's laid over it) with the
 * environment applied; throws one ConfigError naming every problem. A key the file sets
 * (`configured`) stands while none of the variables deciding it is set: the environment
 * overrides the file, its defaults do not.
 */
export function effectivePolicies(base: PolicySettings | undefined, env: NodeJS.ProcessEnv, configured: PolicySettings = {}): PolicySettings {
  const parsed = readEnv(env, policiesEnvSpec);
  const out: Record<string, unknown> = { ...base };
  const problems: string[] = [];
  for (const mapping of POLICY_ENV_MAPPINGS) {
    const decided = Object.entries(mapping.settingsKeys)
      .filter(([key, variables]) => !(key in configured) || variables.some((name) => env[name] !== undefined && env[name] !== ''))
      .map(([key]) => key);
    if (decided.length === 0) continue;
    let settings: Record<string, unknown>;
    try {
      settings = mapping.toSettings(parsed as never) as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      continue;
    }
    for (const key of decided) {
      if (key in settings) out[key] = settings[key];
      // The environment turned off what the file configured (e.g. AUTH=off, RATE_LIMIT=off).
      else if (key in configured) delete out[key];
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as PolicySettings;
}

/** The policy settings the environment alone describes; throws ConfigError naming what is missing. */
export function policiesFromEnv(env: NodeJS.ProcessEnv): PolicySettings {
  return effectivePolicies(undefined, env);
}
