/** The response cache's environment variables and how they map into `policies.responseCache`. */
import { ConfigError, envMapping, integer, oneOf, optionalText, shownDefault } from '../../config/env';
import { REDIS_ENV, sharedRedisFor } from '../../redis-env';
import { DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_TTL_SEC, type ResponseCacheSettings } from './response-cache-settings';
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES } from './response-cache-store';

export const responseCacheEnv = envMapping({
  title: 'Response cache',
  settingsKeys: { responseCache: ['RESPONSE_CACHE', 'RESPONSE_CACHE_REDIS_URL', 'RESPONSE_CACHE_MAX_ENTRIES', 'RESPONSE_CACHE_MAX_BYTES', 'RESPONSE_CACHE_MAX_ENTRY_BYTES', 'RESPONSE_CACHE_MAX_TTL_SEC'] },
  spec: {
    RESPONSE_CACHE: shownDefault(oneOf('response cache: `off`, `memory` (per process) or `redis` (shared); see [Response cache](#response-cache)', ['off', 'memory', 'redis'] as const, 'off'), '`off` (`memory` under `npm start`)'),
    RESPONSE_CACHE_REDIS_URL: shownDefault(optionalText('Redis of the shared cache (`RESPONSE_CACHE=redis`), instead of `REDIS_CLUSTER_NODES` or `REDIS_URL`'), '`REDIS_CLUSTER_NODES`, else `REDIS_URL`'),
    ...REDIS_ENV,
    RESPONSE_CACHE_MAX_ENTRIES: integer('most entries in the memory cache (least recently used pushed out first)', DEFAULT_CACHE_MAX_ENTRIES, { min: 1, max: 10_000_000 }),
    RESPONSE_CACHE_MAX_BYTES: integer('most bytes in the memory cache (default 64 MiB)', DEFAULT_CACHE_MAX_BYTES, { min: 1_024, max: 68_719_476_736 }),
    RESPONSE_CACHE_MAX_ENTRY_BYTES: integer('largest response body cached, in bytes; bigger ones pass uncached', DEFAULT_MAX_ENTRY_BYTES, { min: 1, max: 1_073_741_824 }),
    RESPONSE_CACHE_MAX_TTL_SEC: integer('longest any response is kept, in seconds, whatever the upstream or the schema allows', DEFAULT_MAX_TTL_SEC, { min: 1, max: 31_536_000 }),
  },
  toSettings(parsed): { responseCache?: ResponseCacheSettings } {
    if (parsed.RESPONSE_CACHE === 'off') return {};
    const redis = sharedRedisFor(parsed.RESPONSE_CACHE_REDIS_URL, parsed);
    if (parsed.RESPONSE_CACHE === 'redis' && !redis) throw new ConfigError(['RESPONSE_CACHE=redis: set REDIS_URL or REDIS_CLUSTER_NODES (or RESPONSE_CACHE_REDIS_URL)']);
    const responseCache: ResponseCacheSettings = {
      store:
        parsed.RESPONSE_CACHE === 'redis'
          ? { kind: 'redis', ...(redis as NonNullable<typeof redis>) }
          : { kind: 'memory', maxEntries: parsed.RESPONSE_CACHE_MAX_ENTRIES, maxBytes: parsed.RESPONSE_CACHE_MAX_BYTES },
      maxEntryBytes: parsed.RESPONSE_CACHE_MAX_ENTRY_BYTES,
      maxTtlSec: parsed.RESPONSE_CACHE_MAX_TTL_SEC,
    };
    return { responseCache };
  },
});
