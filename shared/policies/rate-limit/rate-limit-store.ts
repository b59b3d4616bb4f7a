/**
 * The contract every rate-limit store fulfils, so the plugin does not care whether
 * buckets live in this process or in Redis.
 */
import type { LimitDecision, RateLimitRule } from './gcra';

export interface RateLimitStore {
  /**
   * Decides one request of `cost` units for `key` under `rule` and, when allowed, consumes
   * it, atomically with respect to every other caller sharing the store. A key holds one
   * bucket: callers with several rules must put the rule into the key. Rejects with a
   * `RangeError` for an invalid rule or cost, and with the store's own error when it cannot
   * answer (e.g. Redis unreachable).
   */
  consume(key: string, rule: RateLimitRule, cost: number): Promise<LimitDecision>;
  /**
   * Resolves once the store can answer, or when its startup wait is over (a store that is
   * down must not block startup). Stores that are always ready omit it.
   */
  whenReady?(): Promise<void>;
  /** Releases what the store holds (memory, and connections it owns). */
  close(): Promise<void>;
  /** Where the buckets live. */
  readonly kind: 'memory' | 'redis';
}

/**
 * A store shared by every instance (Redis), which can take state an instance learned on its
 * own during an outage.
 */
export interface SharedRateLimitStore extends RateLimitStore {
  /**
   * As `RateLimitStore.consume`; with `carriedResetMs` > 0 the key's state is first raised
   * to at least "full again in `carriedResetMs`" (see `carryTat` in gcra.ts), in the same
   * atomic step as the decision.
   */
  consume(key: string, rule: RateLimitRule, cost: number, carriedResetMs?: number): Promise<LimitDecision>;
  /** Resolves when the store answers a trivial command, rejects when it cannot. */
  ping?(): Promise<void>;
}
