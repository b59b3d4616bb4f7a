/** The rate limiter's environment variables and how they map into `policies.rateLimit`. */
import { envMapping, integer, list, oneOf, optionalText } from '../../config/env';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES, type RateLimitSettings } from './rate-limit-settings';

export const rateLimitEnv = envMapping({
  title: 'Rate limiting',
  spec: {
    RATE_LIMIT: oneOf('`on` or `off`', ['on', 'off'] as const, 'on'),
    RATE_LIMIT_PER_MIN: integer('Requests per minute per principal on the default plan (burst the same)', DEFAULT_PLAN_RULES.default?.limit ?? 600, { min: 1, max: 60_000_000 }),
    RATE_LIMIT_PER_IP_PER_MIN: integer('Requests per minute per client IP before authentication (0 = off)', DEFAULT_PER_IP_RULE.limit, { min: 0, max: 60_000_000 }),
    REDIS_URL: optionalText('Redis URL for shared rate-limit counters (default: in-memory, per process)'),
    REDIS_CLUSTER_NODES: optionalText('Comma-separated host:port of Redis Cluster nodes, instead of REDIS_URL'),
    RATE_LIMIT_FAIL_MODE: oneOf('When Redis is unreachable: `open-to-local` (decide in memory) or `closed` (503)', ['open-to-local', 'closed'] as const, 'open-to-local'),
  },
  toSettings(parsed): RateLimitSettings | undefined {
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
  },
});
