/**
 * The rate-limit slice of a BFF manifest and how it becomes a limiter: the in-memory
 * store by default, Redis (single node or Cluster) when configured, with the local store
 * as fallback when Redis is unreachable (or fail-closed, if configured).
 */
import { createMemoryStore } from './memory-store';
import { validateRule, type RateLimitRule } from './gcra';
import type { RateLimitStore } from './rate-limit-store';
import { createRedisClient, createRedisStore } from './redis-store';
import { createResilientStore, type RateLimitFailMode } from './resilient-store';

export type RateLimitStoreSettings =
  | { kind: 'memory'; maxKeys?: number }
  | { kind: 'redis'; url?: string; clusterNodes?: string[]; commandTimeoutMs?: number; failMode?: RateLimitFailMode };

export interface RateLimitSettings {
  /** Coarse limit per client IP, applied before authentication; `false` turns it off. Default 1,200 per minute. */
  perIp?: RateLimitRule | false;
  /** Limit per verified principal by plan; `default` applies to unlisted plans and to anonymous callers (keyed by IP). */
  plans?: Record<string, RateLimitRule>;
  /** Overrides of the principal limit for one route, keyed `"<METHOD> <route pattern>"`, e.g. `"POST /v1/orders"`. */
  routes?: Record<string, RateLimitRule>;
  /** Where counters live. Default in-memory. */
  store?: RateLimitStoreSettings;
}

export const DEFAULT_PER_IP_RULE: RateLimitRule = { limit: 1_200, windowMs: 60_000 };
export const DEFAULT_PLAN_RULES: Readonly<Record<string, RateLimitRule>> = {
  default: { limit: 600, windowMs: 60_000 },
  free: { limit: 60, windowMs: 60_000 },
  pro: { limit: 600, windowMs: 60_000 },
  enterprise: { limit: 6_000, windowMs: 60_000 },
};

const KNOWN_KEYS = new Set(['perIp', 'plans', 'routes', 'store']);

export function validateRateLimitSettings(settings: RateLimitSettings): string[] {
  const problems = Object.keys(settings)
    .filter((k) => !KNOWN_KEYS.has(k))
    .map((k) => `policies.rateLimit: unknown key '${k}'`);
  const rules: Array<[string, RateLimitRule]> = [
    ...(settings.perIp ? ([['perIp', settings.perIp]] as Array<[string, RateLimitRule]>) : []),
    ...Object.entries(settings.plans ?? {}).map(([k, r]) => [`plans.${k}`, r] as [string, RateLimitRule]),
    ...Object.entries(settings.routes ?? {}).map(([k, r]) => [`routes["${k}"]`, r] as [string, RateLimitRule]),
  ];
  for (const [where, rule] of rules) for (const p of validateRule(rule)) problems.push(`policies.rateLimit.${where}: ${p}`);
  for (const key of Object.keys(settings.routes ?? {})) {
    if (!/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \//.test(key)) problems.push(`policies.rateLimit.routes: '${key}' must be "<METHOD> <path>"`);
  }
  return problems;
}

export interface StoreHooks {
  onPrimaryFailure?: (err: unknown) => void;
  onRecovered?: () => void;
}

/** Builds the store the settings describe; Redis keys are namespaced per BFF. */
export function createRateLimitStore(settings: RateLimitStoreSettings | undefined, bff: string, hooks: StoreHooks = {}): RateLimitStore {
  if (!settings || settings.kind === 'memory') return createMemoryStore({ ...(settings?.maxKeys ? { maxKeys: settings.maxKeys } : {}) });
  const client = createRedisClient({
    ...(settings.url ? { url: settings.url } : {}),
    ...(settings.clusterNodes ? { clusterNodes: settings.clusterNodes } : {}),
    ...(settings.commandTimeoutMs ? { commandTimeoutMs: settings.commandTimeoutMs } : {}),
  });
  return createResilientStore({
    primary: createRedisStore({ client, keyPrefix: `portico:${bff}:rl:`, ownsClient: true }),
    fallback: createMemoryStore(),
    ...(settings.failMode ? { failMode: settings.failMode } : {}),
    ...hooks,
  });
}
