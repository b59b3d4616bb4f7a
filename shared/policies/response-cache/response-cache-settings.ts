/**
 * The response-cache slice of a BFF manifest and the runtime it becomes: one store per
 * BFF (memory by default, Redis when configured), shared by the GraphQL and REST routes,
 * plus the counters every hit, miss and bypass goes to.
 */
import { createMemoryResponseStore, createRedisResponseStore, type ResponseCacheStore, type StoreEvents } from './response-cache-store';

export type ResponseCacheStoreSettings =
  | { kind: 'memory'; maxEntries?: number; maxBytes?: number }
  | { kind: 'redis'; url?: string; commandTimeoutMs?: number };

export interface ResponseCacheSettings {
  /** Where entries live. Default in-memory (10,000 entries, 64 MiB). */
  store?: ResponseCacheStoreSettings;
  /** Largest response body cached, in bytes; bigger responses pass uncached. Default 1 MiB. */
  maxEntryBytes?: number;
  /** Upper bound on any entry's lifetime, in seconds, whatever the upstream or schema allows. Default 300. */
  maxTtlSec?: number;
  /** Response header telling HIT, MISS or BYPASS. Default `x-cache`. */
  statusHeader?: string;
}

export const DEFAULT_MAX_ENTRY_BYTES = 1_048_576;
export const DEFAULT_MAX_TTL_SEC = 300;
export const DEFAULT_CACHE_STATUS_HEADER = 'x-cache';

/** HIT: served from the cache; MISS: fetched and, when allowed, stored; BYPASS: not cacheable by rule (method, size, no-store). */
export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

export interface ResponseCache {
  readonly store: ResponseCacheStore;
  readonly maxEntryBytes: number;
  readonly maxTtlSec: number;
  readonly statusHeader: string;
  /** Counts one response by its cache status. */
  record(status: CacheStatus): void;
}

const KNOWN_KEYS = new Set(['store', 'maxEntryBytes', 'maxTtlSec', 'statusHeader']);

export function validateResponseCacheSettings(settings: ResponseCacheSettings): string[] {
  const problems = Object.keys(settings)
    .filter((k) => !KNOWN_KEYS.has(k))
    .map((k) => `policies.responseCache: unknown key '${k}'`);
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) problems.push(`policies.responseCache.${name} must be a positive integer (got ${value})`);
  };
  positive('maxEntryBytes', settings.maxEntryBytes);
  positive('maxTtlSec', settings.maxTtlSec);
  const store = settings.store;
  if (store && store.kind !== 'memory' && store.kind !== 'redis') problems.push(`policies.responseCache.store.kind must be 'memory' or 'redis'`);
  if (store?.kind === 'memory') {
    positive('store.maxEntries', store.maxEntries);
    positive('store.maxBytes', store.maxBytes);
  }
  if (store?.kind === 'redis') positive('store.commandTimeoutMs', store.commandTimeoutMs);
  if (settings.statusHeader !== undefined && !/^[a-z0-9-]+$/i.test(settings.statusHeader)) problems.push('policies.responseCache.statusHeader must be a header name');
  return problems;
}

export interface ResponseCacheHooks extends StoreEvents {
  onStatus?: (status: CacheStatus) => void;
}

/** Builds the runtime; Redis keys are namespaced per BFF so BFFs with different schemas never share entries. */
export function createResponseCache(settings: ResponseCacheSettings, bff: string, hooks: ResponseCacheHooks = {}): ResponseCache {
  const events: StoreEvents = { ...(hooks.onEvict ? { onEvict: hooks.onEvict } : {}), ...(hooks.onError ? { onError: hooks.onError } : {}) };
  const store =
    settings.store?.kind === 'redis'
      ? createRedisResponseStore(
          { keyPrefix: `portico:${bff}:cache:`, ...(settings.store.url ? { url: settings.store.url } : {}), ...(settings.store.commandTimeoutMs ? { commandTimeoutMs: settings.store.commandTimeoutMs } : {}) },
          events,
        )
      : createMemoryResponseStore(
          { ...(settings.store?.maxEntries ? { maxEntries: settings.store.maxEntries } : {}), ...(settings.store?.maxBytes ? { maxBytes: settings.store.maxBytes } : {}) },
          events,
        );
  return {
    store,
    maxEntryBytes: settings.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
    maxTtlSec: settings.maxTtlSec ?? DEFAULT_MAX_TTL_SEC,
    statusHeader: (settings.statusHeader ?? DEFAULT_CACHE_STATUS_HEADER).toLowerCase(),
    record: (status) => hooks.onStatus?.(status),
  };
}
