/** The rate limiter's environment variables and how they map into `policies.rateLimit`. */
import { envMapping, integer, list, oneOf, optionalOneOf, shownDefault } from '../../config/env';
import { REDIS_ENV } from '../../redis-env';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES, type RateLimitSettings } from './rate-limit-settings';
import { DEFAULT_EXPECTED_INSTANCES } from './resilient-store';

export const rateLimitEnv = envMapping({
  title: 'Rate limiting',
  settingsKeys: { rateLimit: ['RATE_LIMIT', 'RATE_LIMIT_PER_MIN', 'RATE_LIMIT_PER_IP_PER_MIN', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'RATE_LIMIT_FAIL_MODE', 'RATE_LIMIT_EXPECTED_INSTANCES', 'RATE_LIMIT_READINESS', 'RATE_LIMIT_LEGACY_HEADERS'] },
  spec: {
    RATE_LIMIT: oneOf('`off` disables rate limiting', ['on', 'off'] as const, 'on'),
    RATE_LIMIT_PER_MIN: integer('per-principal limit of the `default` plan, per minute (burst the same)', DEFAULT_PLAN_RULES.default?.limit ?? 600, { min: 1, max: 60_000_000 }),
    RATE_LIMIT_PER_IP_PER_MIN: integer('per-IP limit before authentication, per minute (`0` = off)', DEFAULT_PER_IP_RULE.limit, { min: 0, max: 60_000_000 }),
    ...REDIS_ENV,
    RATE_LIMIT_FAIL_MODE: oneOf('with Redis down: `open-to-local` (decide locally) or `closed` (503 with `Retry-After`)', ['open-to-local', 'closed'] as const, 'open-to-local'),
    RATE_LIMIT_EXPECTED_INSTANCES: integer(
      'instances of this BFF sharing the Redis: while it is down each enforces `limit / N` of every limit, so together they stay near the limit (see docs/policies.md for the worst case)',
      DEFAULT_EXPECTED_INSTANCES,
      { min: 1, max: 10_000 },
    ),
    RATE_LIMIT_READINESS: shownDefault(
      optionalOneOf('with Redis down: `required` makes `/readyz` answer 503, `informational` only reports it in the `rateLimitStore` check', ['required', 'informational'] as const),
      '`required` with `RATE_LIMIT_FAIL_MODE=closed`, else `informational`',
    ),
    RATE_LIMIT_LEGACY_HEADERS: oneOf('`on` also sends `X-RateLimit-Limit`/`-Remaining`/`-Reset`, copies of the `RateLimit-*` fields, for clients that read only those', ['on', 'off'] as const, 'off'),
  },
  toSettings(parsed): { rateLimit?: RateLimitSettings } {
    if (parsed.RATE_LIMIT === 'off') return {};
    const clusterNodes = list(parsed.REDIS_CLUSTER_NODES);
    const rateLimit: RateLimitSettings = {
      perIp: parsed.RATE_LIMIT_PER_IP_PER_MIN === 0 ? false : { limit: parsed.RATE_LIMIT_PER_IP_PER_MIN, windowMs: 60_000 },
      plans: { ...DEFAULT_PLAN_RULES, default: { limit: parsed.RATE_LIMIT_PER_MIN, windowMs: 60_000 } },
      store:
        parsed.REDIS_URL || clusterNodes
          ? {
              kind: 'redis',
              ...(clusterNodes ? { clusterNodes } : { url: parsed.REDIS_URL }),
              failMode: parsed.RATE_LIMIT_FAIL_MODE,
              expectedInstances: parsed.RATE_LIMIT_EXPECTED_INSTANCES,
              ...(parsed.RATE_LIMIT_READINESS ? { readiness: parsed.RATE_LIMIT_READINESS } : {}),
            }
          : { kind: 'memory' },
      ...(parsed.RATE_LIMIT_LEGACY_HEADERS === 'on' ? { legacyHeaders: true } : {}),
    };
    return { rateLimit };
  },
});
