/**
 * The Redis every use shares: `REDIS_URL` (or a Cluster) serves the rate limiter, and the
 * API key store and the response cache when they are set to Redis, each under its own key
 * prefix (`REDIS_KEY_PREFIXES`). Declared once here and included in the mappings that read
 * them; a use's own variable (`API_KEYS_REDIS_URL`, `RESPONSE_CACHE_REDIS_URL`) overrides it.
 */
import { optionalText, shownDefault } from './config/env';

export const REDIS_ENV = {
  REDIS_URL: shownDefault(
    optionalText(
      'the Redis all uses share, each under its own key prefix: rate-limit counters (`portico:<bff>:rl:`), API keys with `API_KEYS_STORE=redis` (`portico:apikeys:`), the response cache with `RESPONSE_CACHE=redis` (`portico:<bff>:cache:`)',
    ),
    '(none: limiter in memory, per process)',
  ),
  REDIS_CLUSTER_NODES: shownDefault(optionalText('comma-separated `host:port` of Redis Cluster nodes for the rate limiter, instead of `REDIS_URL`'), '(none)'),
};

export const SHARED_REDIS_URL_ENV = { REDIS_URL: REDIS_ENV.REDIS_URL };
