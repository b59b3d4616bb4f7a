/**
 * The Redis every use shares: `REDIS_URL` (or a Cluster, `REDIS_CLUSTER_NODES`) serves the
 * rate limiter, and the API key store and the response cache when they are set to Redis, each
 * under its own key prefix (`REDIS_KEY_PREFIXES`). Declared once here and included in the
 * mappings that read them; a use's own variable (`API_KEYS_REDIS_URL`,
 * `RESPONSE_CACHE_REDIS_URL`) overrides both.
 */
import { list, optionalText, shownDefault } from './config/env';

export const REDIS_ENV = {
  REDIS_URL: shownDefault(
    optionalText(
      'the Redis all uses share, each under its own key prefix: rate-limit counters (`portico:<bff>:rl:`), API keys with `API_KEYS_STORE=redis` (`portico:apikeys:`), the response cache with `RESPONSE_CACHE=redis` (`portico:<bff>:cache:`)',
    ),
    '(none: limiter in memory, per process)',
  ),
  REDIS_CLUSTER_NODES: shownDefault(
    optionalText('comma-separated `host:port` of Redis Cluster nodes (a few suffice: the others are discovered), instead of `REDIS_URL`, for every use; see [Redis topologies](operations.md#redis-topologies)'),
    '(none)',
  ),
};

/** Where a use other than the limiter finds its Redis: its own URL, else the shared Cluster, else the shared URL. */
export function sharedRedisFor(ownUrl: string | undefined, parsed: { REDIS_URL?: string | undefined; REDIS_CLUSTER_NODES?: string | undefined }): { url: string } | { clusterNodes: string[] } | undefined {
  if (ownUrl) return { url: ownUrl };
  const clusterNodes = list(parsed.REDIS_CLUSTER_NODES);
  if (clusterNodes) return { clusterNodes };
  return parsed.REDIS_URL ? { url: parsed.REDIS_URL } : undefined;
}
