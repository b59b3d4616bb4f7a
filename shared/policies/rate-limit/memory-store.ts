/**
 * Buckets in this process: exact for one gateway instance, and the fallback when Redis is
 * unreachable. Memory is bounded: at most `maxKeys` buckets, the least recently used one
 * evicted first. Evicting a bucket that has not refilled yet forgets that key's recent use
 * (it starts again with a full burst); `maxKeys` should comfortably exceed the number of
 * keys active within one window so that only idle keys are ever dropped.
 */
import { decideLimit, type LimitDecision, type RateLimitRule } from './gcra';
import type { RateLimitStore } from './rate-limit-store';

export interface MemoryStoreOptions {
  /** Most buckets held at once; a positive integer. Default `DEFAULT_MEMORY_STORE_MAX_KEYS` (100,000). */
  maxKeys?: number;
  /** Clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_MEMORY_STORE_MAX_KEYS = 100_000;

export interface MemoryStore extends RateLimitStore {
  readonly kind: 'memory';
  /** Buckets currently held (including expired ones not yet dropped). */
  size(): number;
}

/** Creates an in-process store. Throws a `RangeError` when `maxKeys` is not a positive integer. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MEMORY_STORE_MAX_KEYS;
  const now = options.now ?? Date.now;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a positive integer (got ${String(maxKeys)})`);
  }
  // Map iteration follows insertion order and every touch re-inserts, so the first key is
  // always the least recently used one.
  const tats = new Map<string, number>();

  function dropOldestIfExpired(nowMs: number): void {
    const oldest = tats.entries().next();
    if (!oldest.done && oldest.value[1] <= nowMs) tats.delete(oldest.value[0]);
  }

  return {
    kind: 'memory',
    async consume(key: string, rule: RateLimitRule, cost: number): Promise<LimitDecision> {
      const nowMs = now();
      const stored = tats.get(key);
      const { decision, tatMs } = decideLimit(stored !== undefined && stored > nowMs ? stored : undefined, nowMs, cost, rule);
      tats.delete(key);
      // A TAT at or before now is a full bucket, the same as no entry: keep only live ones.
      if (tatMs > nowMs) {
        tats.set(key, tatMs);
        if (tats.size > maxKeys) {
          const lru = tats.keys().next();
          if (!lru.done) tats.delete(lru.value);
        }
      }
      // One step of lazy cleanup per call keeps expired keys from piling up under churn.
      dropOldestIfExpired(nowMs);
      return decision;
    },
    async close(): Promise<void> {
      tats.clear();
    },
    size: () => tats.size,
  };
}
