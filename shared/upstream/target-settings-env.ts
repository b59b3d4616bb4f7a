/**
 * Multi-target upstreams from the environment: `<PREFIX><NAME>=<JSON>` holds one
 * upstream's target settings (the same shape as in the manifest), e.g.
 * `UPSTREAM_TARGETS_ORDERS={"targets":[{"name":"stable","weight":90,"origins":["http://orders-a:4105"]},{"name":"canary","weight":10,"origins":["http://orders-b:4105"]}]}`.
 */
import type { EnvFamily } from '../config/env';
import { readPrefixed } from '../config/env';
import { validateTargetSettings, type UpstreamTargetsSettings } from './target-settings';

/** Partner: targets of one REST upstream. */
export const UPSTREAM_TARGETS_PREFIX = 'UPSTREAM_TARGETS_';
/** Web and mobile: targets of one subgraph. */
export const SUBGRAPH_TARGETS_PREFIX = 'SUBGRAPH_TARGETS_';

/** The prefixed target variables (documented in the configuration reference). */
export const TARGET_ENV_FAMILIES: readonly EnvFamily[] = [
  { pattern: `${SUBGRAPH_TARGETS_PREFIX}<NAME>`, defaultText: "(none: the subgraph's URL)", description: "web and mobile: targets of one subgraph, as JSON (see [Upstreams with several targets](#upstreams-with-several-targets)); endpoints replace the URL's origin, its path stays" },
  { pattern: `${UPSTREAM_TARGETS_PREFIX}<NAME>`, defaultText: "(none: the upstream's one origin)", description: 'partner: targets of one REST upstream, as JSON, e.g. `UPSTREAM_TARGETS_ORDERS={"targets":[{"name":"stable","weight":90,"origins":["http://orders-a:4105"]},{"name":"canary","weight":10,"origins":["http://orders-b:4105"]}]}`' },
];

/** Reads every `<PREFIX><NAME>` variable into settings keyed by the lowercased name; bad JSON or settings are reported by variable. */
export function readPrefixedTargets(env: NodeJS.ProcessEnv, prefix: string): Record<string, UpstreamTargetsSettings> {
  return readPrefixed<UpstreamTargetsSettings>(env, prefix, (key, raw) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { problems: [`${key}: is not valid JSON`] };
    }
    const invalid = validateTargetSettings(parsed, key);
    return invalid.length > 0 ? { problems: invalid } : { value: parsed as UpstreamTargetsSettings };
  });
}
