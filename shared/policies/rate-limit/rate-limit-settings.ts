/**
 * The rate-limit slice of a BFF manifest and how it becomes a limiter: the in-memory
 * store by default, Redis (single node or Cluster) when configured, with the local store
 * as fallback when Redis is unreachable (or fail-closed, if configured).
 */
import { createMemoryStore } from './memory-store';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { MAX_WINDOW_MS, validateRule, type RateLimitRule } from './gcra';
import { createRedisClient, REDIS_KEY_PREFIXES } from '../../redis';
import { createRedisStore } from './redis-store';
import { createResilientStore, DEFAULT_EXPECTED_INSTANCES, type RateLimitFailMode, type ResilientStore } from './resilient-store';
import type { MemoryStore } from './memory-store';

/**
 * Whether `/readyz` fails while Redis is unreachable: 'required' takes the instance out of
 * rotation; 'informational' only reports it. Default: `defaultLimiterReadiness(failMode)`.
 */
export type RateLimitReadiness = 'required' | 'informational';

export interface RedisRateLimitStoreSettings {
  kind: 'redis';
  /** Redis URL. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** `host:port` of Redis Cluster nodes, instead of `url`. */
  clusterNodes?: string[];
  /** Longest wait for one Redis command, in ms. Default 50. */
  commandTimeoutMs?: number;
  /** Behaviour while Redis is unreachable. Default 'open-to-local'. */
  failMode?: RateLimitFailMode;
  /** Instances sharing the Redis: while it is down each enforces this fraction of every limit. Default 1. */
  expectedInstances?: number;
  /** Whether the BFF reports not ready while Redis is unreachable. Default: 'required' with failMode 'closed', else 'informational'. */
  readiness?: RateLimitReadiness;
}

export type RateLimitStoreSettings = { kind: 'memory'; maxKeys?: number } | RedisRateLimitStoreSettings;

/**
 * Pure: readiness when not configured. Failing closed, every limited request is refused
 * while Redis is down, so the load balancer should prefer instances that can reach it;
 * failing open, the instance still serves (with local limits), and leaving rotation would
 * turn a Redis outage into a gateway outage.
 */
export function defaultLimiterReadiness(failMode: RateLimitFailMode | undefined): RateLimitReadiness {
  return failMode === 'closed' ? 'required' : 'informational';
}

export interface RateLimitSettings {
  /** Coarse limit per client IP, applied before authentication; `false` turns it off. Default 1,200 per minute. */
  perIp?: RateLimitRule | false;
  /** Limit per verified principal by plan; `default` applies to unlisted plans and to anonymous callers (keyed by IP). */
  plans?: Record<string, RateLimitRule>;
  /** Overrides of the principal limit for one route, keyed `"<METHOD> <route pattern>"`, e.g. `"POST /v1/orders"`. */
  routes?: Record<string, RateLimitRule>;
  /** Where counters live. Default in-memory. */
  store?: RateLimitStoreSettings;
  /** Also send `X-RateLimit-Limit`/`-Remaining`/`-Reset` (copies of the `RateLimit-*` fields) for clients that read only those. Default false. */
  legacyHeaders?: boolean;
}

export const DEFAULT_PER_IP_RULE: RateLimitRule = { limit: 1_200, windowMs: 60_000 };
export const DEFAULT_PLAN_RULES: Readonly<Record<string, RateLimitRule>> = {
  default: { limit: 600, windowMs: 60_000 },
  free: { limit: 60, windowMs: 60_000 },
  pro: { limit: 600, windowMs: 60_000 },
  enterprise: { limit: 6_000, windowMs: 60_000 },
};

export const RateLimitRuleSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests allowed per window, and the largest burst' }),
    windowMs: Type.Integer({ minimum: 1, maximum: MAX_WINDOW_MS, description: 'Window length, in ms' }),
  },
  { additionalProperties: false },
);

export const RateLimitStoreSettingsSchema = Type.Union([
  Type.Object({ kind: Type.Literal('memory'), maxKeys: Type.Optional(Type.Integer({ minimum: 1, description: 'Most keys kept in memory' })) }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('redis'),
      url: Type.Optional(Type.String({ minLength: 1, description: 'Redis URL' })),
      clusterNodes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'host:port of Redis Cluster nodes, instead of url' })),
      commandTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest wait for one Redis command, in ms' })),
      failMode: Type.Optional(Type.Union([Type.Literal('open-to-local'), Type.Literal('closed')], { default: 'open-to-local', description: 'When Redis is unreachable: decide in memory, or refuse with 503' })),
      expectedInstances: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_EXPECTED_INSTANCES, description: 'Instances sharing the Redis; while it is unreachable each enforces this fraction of every limit' }),
      ),
      readiness: Type.Optional(
        Type.Union([Type.Literal('required'), Type.Literal('informational')], { description: "Whether /readyz fails while Redis is unreachable; default 'required' when failMode is 'closed', else 'informational'" }),
      ),
    },
    { additionalProperties: false },
  ),
]);

export const RateLimitSettingsSchema = Type.Object(
  {
    perIp: Type.Optional(Type.Union([RateLimitRuleSchema, Type.Literal(false)], { default: DEFAULT_PER_IP_RULE })),
    plans: Type.Optional(Type.Record(Type.String(), RateLimitRuleSchema, { default: DEFAULT_PLAN_RULES })),
    routes: Type.Optional(Type.Record(Type.String(), RateLimitRuleSchema)),
    store: Type.Optional(RateLimitStoreSettingsSchema),
    legacyHeaders: Type.Optional(Type.Boolean({ default: false, description: 'Also send the X-RateLimit-Limit/-Remaining/-Reset copies of the RateLimit-* fields' })),
  },
  { additionalProperties: false },
);

/** Pure: what the schema cannot say: route keys are `"<METHOD> <path>"`, and a limit fits its window. */
export function rateLimitSemantics(settings: RateLimitSettings, where: string): string[] {
  const problems: string[] = [];
  const rules: Array<[string, unknown]> = [
    ...(settings.perIp ? ([['perIp', settings.perIp]] as Array<[string, unknown]>) : []),
    ...Object.entries(settings.plans ?? {}).map(([k, r]) => [`plans.${k}`, r] as [string, unknown]),
    ...Object.entries(settings.routes ?? {}).map(([k, r]) => [`routes["${k}"]`, r] as [string, unknown]),
  ];
  for (const [at, rule] of rules) {
    // Shape and bounds are the schema's; only the rate itself is left to check here.
    if (Value.Check(RateLimitRuleSchema, rule)) for (const p of validateRule(rule)) problems.push(`${where}.${at}: ${p}`);
  }
  for (const key of Object.keys(settings.routes ?? {})) {
    if (!/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \//.test(key)) problems.push(`${where}.routes: '${key}' must be "<METHOD> <path>"`);
  }
  return problems;
}

export interface StoreHooks {
  onPrimaryFailure?: (err: unknown) => void;
  onRecovered?: () => void;
}

/** Builds the store the settings describe; Redis keys are namespaced per BFF. */
export function createRateLimitStore(settings: RateLimitStoreSettings | undefined, bff: string, hooks: StoreHooks = {}): MemoryStore | ResilientStore {
  if (!settings || settings.kind === 'memory') return createMemoryStore({ ...(settings?.maxKeys ? { maxKeys: settings.maxKeys } : {}) });
  const client = createRedisClient({
    ...(settings.url ? { url: settings.url } : {}),
    ...(settings.clusterNodes ? { clusterNodes: settings.clusterNodes } : {}),
    ...(settings.commandTimeoutMs ? { commandTimeoutMs: settings.commandTimeoutMs } : {}),
  });
  return createResilientStore({
    primary: createRedisStore({ client, keyPrefix: REDIS_KEY_PREFIXES.rateLimit(bff), ownsClient: true }),
    fallback: createMemoryStore(),
    ...(settings.failMode ? { failMode: settings.failMode } : {}),
    ...(settings.expectedInstances ? { expectedInstances: settings.expectedInstances } : {}),
    ...hooks,
  });
}
