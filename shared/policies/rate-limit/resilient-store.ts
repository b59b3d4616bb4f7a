/**
 * Keeps rate limiting answering when the shared store (Redis) does not. Every decision
 * tries the primary; when it fails (timeout, connection refused, any error) the decision
 * comes from the fallback (in-process buckets, so limits hold per instance rather than
 * across instances) or, in 'closed' mode, the request is refused with
 * `RateLimiterUnavailableError` (503, `Retry-After` the time to the next try of the primary).
 *
 * After a failure the primary is left alone for `retryPrimaryAfterMs`, then one request at
 * a time probes it while the others keep using the fallback, so a dead or slow Redis costs
 * one command timeout per cooldown rather than one per request. The first success ends the
 * outage.
 *
 * State survives the switch in both directions, so that an outage is not a free refill:
 * - every primary decision is mirrored into the fallback (the key's time until full, in the
 *   process's bounded LRU; no extra round trip), so an outage starts from each key's last
 *   known state; a key this instance never saw starts with its share of the limit;
 * - during the outage each instance enforces its share (`shareOfRule`: the limit divided by
 *   `expectedInstances`), so the instances together stay near the limit;
 * - each outage starts a new epoch; the first primary decision for a key after it carries the
 *   key's local state along and Redis keeps the later of the two (`carryTat`), in the same
 *   script call, so a restarted, empty Redis does not hand out a full burst to a client that
 *   just spent it, and a Redis that hung learns what was consumed meanwhile.
 *
 * Outages are reported once each: `onPrimaryFailure` when the primary starts failing,
 * `onRecovered` when it answers again; never once per request.
 */
import { PorticoError } from '../../errors';
import { assertLimitArgs, shareOfRule, type LimitDecision, type RateLimitRule } from './gcra';
import type { MemoryStore } from './memory-store';
import type { RateLimitStore, SharedRateLimitStore } from './rate-limit-store';

/** A decision and the store that made it. */
export interface StoreDecision extends LimitDecision {
  source: 'primary' | 'fallback';
}

/**
 * What to do while the primary is unavailable: 'open-to-local' answers from the fallback
 * (availability first, limits enforced per instance); 'closed' refuses (limits first).
 */
export type RateLimitFailMode = 'open-to-local' | 'closed';

export interface ResilientStoreOptions {
  /** The shared store, normally `createRedisStore`. Required. */
  primary: SharedRateLimitStore;
  /**
   * Mirrors the primary's decisions and answers while it cannot, normally `createMemoryStore`.
   * Required (in 'closed' mode it still carries state into a primary that restarted empty).
   */
  fallback: MemoryStore;
  /**
   * How many instances share the primary: during an outage each enforces `1/expectedInstances`
   * of every limit. Positive integer. Default `DEFAULT_EXPECTED_INSTANCES` (1: each instance
   * enforces the whole limit, so N instances allow up to N times it while the primary is down).
   */
  expectedInstances?: number;
  /** Behaviour during an outage. Default `DEFAULT_RATE_LIMIT_FAIL_MODE` ('open-to-local'). */
  failMode?: RateLimitFailMode;
  /** How long to skip the primary after it failed, in ms; 0 retries it on every request. Default `DEFAULT_RETRY_PRIMARY_AFTER_MS` (1,000). */
  retryPrimaryAfterMs?: number;
  /** Called once when the primary starts failing, with the error. Default: none. */
  onPrimaryFailure?: (err: unknown) => void;
  /** Called once when the primary answers again after failing. Default: none. */
  onRecovered?: () => void;
  /** Clock for the cooldown, in ms. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_RATE_LIMIT_FAIL_MODE: RateLimitFailMode = 'open-to-local';
export const DEFAULT_RETRY_PRIMARY_AFTER_MS = 1_000;
export const DEFAULT_EXPECTED_INSTANCES = 1;

/**
 * Thrown by a 'closed' resilient store while its primary is unavailable; the primary's error
 * is `cause`. `retryAfterMs` is the time until the primary is tried again, sent as
 * `Retry-After` (whole seconds, at least 1).
 */
export class RateLimiterUnavailableError extends PorticoError {
  declare readonly code: 'RATE_LIMITER_UNAVAILABLE';
  readonly retryAfterMs: number;

  constructor(cause: unknown, retryAfterMs: number) {
    super('RATE_LIMITER_UNAVAILABLE', undefined, { cause, headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } });
    this.name = 'RateLimiterUnavailableError';
    this.retryAfterMs = retryAfterMs;
  }
}

export interface ResilientStore extends RateLimitStore {
  consume(key: string, rule: RateLimitRule, cost: number): Promise<StoreDecision>;
  /** False from a primary failure until its next success. */
  isPrimaryAvailable(): boolean;
  /**
   * Asks the primary directly (a PING, bounded by its command timeout), for readiness
   * checks: true when it answers. Touches no bucket; when it answers during an outage, the
   * next request tries the primary at once instead of waiting out the cooldown, so a BFF
   * that reports ready again does not keep refusing (fail closed) meanwhile.
   */
  checkPrimary(): Promise<boolean>;
  /** The mode given in the options. */
  readonly failMode: RateLimitFailMode;
}

/** Wraps a primary and a fallback store. `close()` closes both. */
export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { primary, fallback } = options;
  const failMode = options.failMode ?? DEFAULT_RATE_LIMIT_FAIL_MODE;
  const retryAfterMs = options.retryPrimaryAfterMs ?? DEFAULT_RETRY_PRIMARY_AFTER_MS;
  const now = options.now ?? Date.now;
  const instances = options.expectedInstances ?? DEFAULT_EXPECTED_INSTANCES;
  if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw new RangeError(`retryPrimaryAfterMs must be a non-negative number (got ${String(retryAfterMs)})`);
  }
  if (!Number.isSafeInteger(instances) || instances < 1) {
    throw new RangeError(`expectedInstances must be a positive integer (got ${String(instances)})`);
  }

  let failing = false;
  let lastError: unknown;
  let retryPrimaryAt = 0;
  let probing = false;
  // Bumped when an outage starts: a key mirrored in an older epoch may hold state the primary lost.
  let epoch = 0;

  // A throwing callback must not turn into a failed rate-limit decision.
  function notify(callback: (() => void) | undefined): void {
    try {
      callback?.();
    } catch {
      // ignored on purpose, see above
    }
  }

  async function degraded(key: string, rule: RateLimitRule, cost: number, cause: unknown): Promise<StoreDecision> {
    if (failMode === 'closed') throw new RateLimiterUnavailableError(cause, Math.max(0, retryPrimaryAt - now()));
    const share = shareOfRule(rule, instances);
    // A cost within the limit but above the share takes the whole share rather than never passing.
    const localCost = cost <= rule.limit ? Math.min(cost, share.limit) : cost;
    return { ...(await fallback.consume(key, share, localCost)), source: 'fallback' };
  }

  async function fromPrimary(key: string, rule: RateLimitRule, cost: number): Promise<StoreDecision> {
    let decision: LimitDecision;
    try {
      decision = await primary.consume(key, rule, cost, fallback.unsharedResetMs(key, epoch));
    } catch (err) {
      lastError = err;
      retryPrimaryAt = now() + retryAfterMs;
      if (!failing) {
        failing = true;
        epoch++;
        notify(() => options.onPrimaryFailure?.(err));
      }
      return degraded(key, rule, cost, err);
    }
    fallback.mirror(key, decision.resetMs, epoch);
    if (failing) {
      failing = false;
      notify(options.onRecovered);
    }
    return { ...decision, source: 'primary' };
  }

  return {
    kind: primary.kind,
    async whenReady(): Promise<void> {
      await primary.whenReady?.();
    },
    async consume(key: string, rule: RateLimitRule, cost: number): Promise<StoreDecision> {
      // Invalid input is the caller's bug, not an outage: it must not trip the fallback.
      assertLimitArgs(rule, cost);
      if (!failing) return fromPrimary(key, rule, cost);
      if (!probing && now() >= retryPrimaryAt) {
        probing = true;
        try {
          return await fromPrimary(key, rule, cost);
        } finally {
          probing = false;
        }
      }
      return degraded(key, rule, cost, lastError);
    },
    isPrimaryAvailable: () => !failing,
    failMode,
    async checkPrimary(): Promise<boolean> {
      if (!primary.ping) return !failing;
      try {
        await primary.ping();
        if (failing) retryPrimaryAt = 0;
        return true;
      } catch {
        return false;
      }
    },
    async close(): Promise<void> {
      const results = await Promise.allSettled([primary.close(), fallback.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
