/**
 * The response-cache slice of a BFF manifest and the runtime it becomes: one store per
 * BFF (memory by default, Redis when configured), shared by the GraphQL and REST routes,
 * plus the counters every hit, miss and bypass goes to.
 */
import { Type } from '@sinclair/typebox';
import { checkSettings } from '../../config/check-settings';
import { REDIS_KEY_PREFIXES } from '../../redis';
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, createMemoryResponseStore, createRedisResponseStore, type ResponseCacheStore, type StoreEvents } from './response-cache-store';

export type ResponseCacheStoreSettings =
  | { kind: 'memory'; maxEntries?: number; maxBytes?: number }
  | { kind: 'redis'; url?: string; clusterNodes?: string[]; commandTimeoutMs?: number };

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

export const ResponseCacheSettingsSchema = Type.Object(
  {
    store: Type.Optional(
      Type.Union([
        Type.Object(
          {
            kind: Type.Literal('memory'),
            maxEntries: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_CACHE_MAX_ENTRIES, description: 'Most entries in the memory cache' })),
            maxBytes: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_CACHE_MAX_BYTES, description: 'Most bytes in the memory cache' })),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            kind: Type.Literal('redis'),
            url: Type.Optional(Type.String({ minLength: 1, description: 'Redis URL of the shared cache' })),
            clusterNodes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'host:port of the Redis Cluster nodes of the shared cache, instead of url' })),
            commandTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest wait for one Redis command, in ms' })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    maxEntryBytes: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_MAX_ENTRY_BYTES, description: 'Largest response body cached, in bytes' })),
    maxTtlSec: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_MAX_TTL_SEC, description: 'Longest lifetime of any entry, in seconds' })),
    statusHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$', errorMessage: 'must be a header name', default: DEFAULT_CACHE_STATUS_HEADER, description: 'Response header telling HIT, MISS or BYPASS' })),
  },
  { additionalProperties: false },
);

export function validateResponseCacheSettings(settings: ResponseCacheSettings, where = 'policies.responseCache'): string[] {
  return checkSettings(ResponseCacheSettingsSchema, settings, where);
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
          {
            keyPrefix: REDIS_KEY_PREFIXES.responseCache(bff),
            ...(settings.store.url ? { url: settings.store.url } : {}),
            ...(settings.store.clusterNodes ? { clusterNodes: settings.store.clusterNodes } : {}),
            ...(settings.store.commandTimeoutMs ? { commandTimeoutMs: settings.store.commandTimeoutMs } : {}),
          },
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
