/**
 * Buckets in this process: exact for one gateway instance, and the fallback when Redis is
 * unreachable. Memory is bounded: at most `maxKeys` buckets, the least recently used one
 * evicted first. Evicting a bucket that has not refilled yet forgets that key's recent use
 * (it starts again with a full burst); `maxKeys` should comfortably exceed the number of
 * keys active within one window so that only idle keys are ever dropped.
 *
 * As the fallback of `createResilientStore` it also mirrors what Redis decided (`mirror`),
 * so that an outage starts from each key's last known state rather than a full bucket, and
 * tells which keys hold state Redis has not seen yet (`unsharedResetMs`).
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

/** `sharedEpoch` of a bucket changed by a local decision: no shared store has seen it. */
const DECIDED_LOCALLY = -1;

export interface MemoryStore extends RateLimitStore {
  readonly kind: 'memory';
  /** As `consume`, answered at once (no promise); throws the `RangeError` `consume` rejects with. */
  consumeNow(key: string, rule: RateLimitRule, cost: number): LimitDecision;
  /** Buckets currently held (including expired ones not yet dropped). */
  size(): number;
  /**
   * Records a decision the shared store made for `key`: its bucket is full again in
   * `resetMs`, as of `sharedEpoch` (a counter the caller bumps at each outage). A local
   * decision (`consume`) marks the bucket as not shared again.
   */
  mirror(key: string, resetMs: number, sharedEpoch: number): void;
  /**
   * The time until `key`'s bucket is full, in ms, when this process knows something the
   * shared store may not: the bucket was decided locally, or last mirrored before
   * `sharedEpoch`. 0 otherwise (including for unknown or full buckets).
   */
  unsharedResetMs(key: string, sharedEpoch: number): number;
}

interface Bucket {
  tatMs: number;
  sharedEpoch: number;
}

/**
 * The store's buckets and their bookkeeping. A class, not closures: every store (a client's, the
 * Redis fallback, the warm-up's own) shares one set of methods, so a call site compiled while
 * calling one store's keeps its code when it calls another's.
 */
class InProcessStore implements MemoryStore {
  readonly kind = 'memory' as const;
  // Map iteration follows insertion order and every touch re-inserts, so the first key is
  // always the least recently used one.
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  consumeNow(key: string, rule: RateLimitRule, cost: number): LimitDecision {
    const nowMs = this.now();
    const bucket = this.buckets.get(key);
    const stored = bucket?.tatMs;
    const { decision, tatMs } = decideLimit(stored !== undefined && stored > nowMs ? stored : undefined, nowMs, cost, rule);
    this.store(key, tatMs, DECIDED_LOCALLY, nowMs, bucket);
    return decision;
  }

  async consume(key: string, rule: RateLimitRule, cost: number): Promise<LimitDecision> {
    return this.consumeNow(key, rule, cost);
  }

  mirror(key: string, resetMs: number, sharedEpoch: number): void {
    const nowMs = this.now();
    this.store(key, nowMs + resetMs, sharedEpoch, nowMs, this.buckets.get(key));
  }

  unsharedResetMs(key: string, sharedEpoch: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket || bucket.sharedEpoch === sharedEpoch) return 0;
    return Math.max(0, bucket.tatMs - this.now());
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  size(): number {
    return this.buckets.size;
  }

  private dropOldestIfExpired(nowMs: number): void {
    const oldest = this.buckets.entries().next();
    if (!oldest.done && oldest.value[1].tatMs <= nowMs) this.buckets.delete(oldest.value[0]);
  }

  // A TAT at or before now is a full bucket, the same as no entry: keep only live ones.
  private store(key: string, tatMs: number, sharedEpoch: number, nowMs: number, bucket: Bucket | undefined): void {
    const buckets = this.buckets;
    if (bucket) buckets.delete(key);
    if (tatMs > nowMs) {
      if (bucket) {
        bucket.tatMs = tatMs;
        bucket.sharedEpoch = sharedEpoch;
        buckets.set(key, bucket);
      } else {
        buckets.set(key, { tatMs, sharedEpoch });
        if (buckets.size > this.maxKeys) {
          const lru = buckets.keys().next();
          if (!lru.done) buckets.delete(lru.value);
        }
      }
    }
    // One step of lazy cleanup per call keeps expired keys from piling up under churn.
    this.dropOldestIfExpired(nowMs);
  }
}

/** Creates an in-process store. Throws a `RangeError` when `maxKeys` is not a positive integer. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MEMORY_STORE_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a positive integer (got ${String(maxKeys)})`);
  }
  return new InProcessStore(maxKeys, options.now ?? Date.now);
}
