/**
 * Where cached responses live: a bounded in-memory LRU (the embedded default) or Redis, so
 * several instances share one cache. Both answer "nothing cached" instead of failing when
 * they cannot answer: a broken cache costs a miss, never a request.
 */
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { closeRedisClient, createRedisClient, DEFAULT_REDIS_STARTUP_WAIT_MS, waitForRedisReady } from '../../redis';

export interface ResponseCacheStore {
  /** The stored value, or undefined when absent, expired or unreadable. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs`; failures are reported through the store's `onError`, not thrown. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  whenReady(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

export interface StoreEvents {
  /** An entry was pushed out to make room (not expiry). */
  onEvict?: () => void;
  /** The store could not answer or store (Redis down, timeout). */
  onError?: (err: unknown) => void;
}

export interface MemoryStoreOptions {
  /** Most entries kept. Default 10,000. */
  maxEntries?: number;
  /** Most bytes kept (sum of key and value lengths). Default 64 MiB. */
  maxBytes?: number;
}

export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export function createMemoryResponseStore(options: MemoryStoreOptions = {}, events: StoreEvents = {}): ResponseCacheStore {
  const cache = new LRUCache<string, string>({
    max: options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES,
    maxSize: options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    // String length approximates bytes closely enough for a bound (JSON text is mostly ASCII).
    sizeCalculation: (value, key) => value.length + key.length,
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') events.onEvict?.();
    },
  });
  return {
    kind: 'memory',
    async get(key) {
      return cache.get(key);
    },
    async set(key, value, ttlMs) {
      if (ttlMs > 0) cache.set(key, value, { ttl: ttlMs });
    },
    async whenReady() {},
    async close() {
      cache.clear();
    },
  };
}

export interface RedisResponseStoreOptions {
  /** Standalone server URL. Default `redis://127.0.0.1:6379`. Ignored when `clusterNodes` is given. */
  url?: string;
  /** `host:port` of Redis Cluster nodes, instead of `url`; each entry is one key, so it lives on its key's slot. Default none. */
  clusterNodes?: string[];
  /** Key prefix, naming the BFF, e.g. `portico:web:cache:`. */
  keyPrefix: string;
  /** Longest wait for a reply, in ms; a slower Redis is a miss. Default 50. */
  commandTimeoutMs?: number;
}

/** Redis store: one string per entry, expiring with the entry (`SET ... PX`), so Redis' own eviction policy applies. */
export function createRedisResponseStore(options: RedisResponseStoreOptions, events: StoreEvents = {}): ResponseCacheStore {
  const client: Redis | Cluster = createRedisClient({
    ...(options.url ? { url: options.url } : {}),
    ...(options.clusterNodes ? { clusterNodes: options.clusterNodes } : {}),
    ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    ...(events.onError ? { onError: events.onError } : {}),
  });
  return {
    kind: 'redis',
    async get(key) {
      try {
        return (await client.get(options.keyPrefix + key)) ?? undefined;
      } catch (err) {
        events.onError?.(err);
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      try {
        await client.set(options.keyPrefix + key, value, 'PX', Math.ceil(ttlMs));
      } catch (err) {
        events.onError?.(err);
      }
    },
    async whenReady() {
      await waitForRedisReady(client, DEFAULT_REDIS_STARTUP_WAIT_MS);
    },
    async close() {
      await closeRedisClient(client);
    },
  };
}
