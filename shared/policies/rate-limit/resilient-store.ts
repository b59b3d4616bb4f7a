/**
 * Keeps rate limiting answering when the shared store (Redis) does not. Every decision
 * tries the primary; when it fails (timeout, connection refused, any error) the decision
 * comes from the fallback (in-process buckets, so limits hold per instance rather than
 * across instances) or, in 'closed' mode, the request is refused with
 * `RateLimiterUnavailableError` (503).
 *
 * After a failure the primary is left alone for `retryPrimaryAfterMs`, then one request at
 * a time probes it while the others keep using the fallback, so a dead or slow Redis costs
 * one command timeout per cooldown rather than one per request. The first success ends the
 * outage.
 *
 * Outages are reported once each: `onPrimaryFailure` when the primary starts failing,
 * `onRecovered` when it answers again; never once per request.
 */
import { PorticoError } from '../../errors';
import { assertLimitArgs, type LimitDecision, type RateLimitRule } from './gcra';
import type { RateLimitStore } from './rate-limit-store';

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
  primary: RateLimitStore;
  /** Answers while the primary cannot, normally `createMemoryStore`. Required (unused in 'closed' mode). */
  fallback: RateLimitStore;
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

/** Thrown by a 'closed' resilient store while its primary is unavailable; the primary's error is `cause`. */
export class RateLimiterUnavailableError extends PorticoError {
  declare readonly code: 'RATE_LIMITER_UNAVAILABLE';

  constructor(cause: unknown) {
    super('RATE_LIMITER_UNAVAILABLE', undefined, { cause });
    this.name = 'RateLimiterUnavailableError';
  }
}

export interface ResilientStore extends RateLimitStore {
  consume(key: string, rule: RateLimitRule, cost: number): Promise<StoreDecision>;
  /** False from a primary failure until its next success. */
  isPrimaryAvailable(): boolean;
}

/** Wraps a primary and a fallback store. `close()` closes both. */
export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { primary, fallback } = options;
  const failMode = options.failMode ?? DEFAULT_RATE_LIMIT_FAIL_MODE;
  const retryAfterMs = options.retryPrimaryAfterMs ?? DEFAULT_RETRY_PRIMARY_AFTER_MS;
  const now = options.now ?? Date.now;
  if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw new RangeError(`retryPrimaryAfterMs must be a non-negative number (got ${String(retryAfterMs)})`);
  }

  let failing = false;
  let lastError: unknown;
  let retryPrimaryAt = 0;
  let probing = false;

  // A throwing callback must not turn into a failed rate-limit decision.
  function notify(callback: (() => void) | undefined): void {
    try {
      callback?.();
    } catch {
      // ignored on purpose, see above
    }
  }

  async function degraded(key: string, rule: RateLimitRule, cost: number, cause: unknown): Promise<StoreDecision> {
    if (failMode === 'closed') throw new RateLimiterUnavailableError(cause);
    return { ...(await fallback.consume(key, rule, cost)), source: 'fallback' };
  }

  async function fromPrimary(key: string, rule: RateLimitRule, cost: number): Promise<StoreDecision> {
    let decision: LimitDecision;
    try {
      decision = await primary.consume(key, rule, cost);
    } catch (err) {
      lastError = err;
      retryPrimaryAt = now() + retryAfterMs;
      if (!failing) {
        failing = true;
        notify(() => options.onPrimaryFailure?.(err));
      }
      return degraded(key, rule, cost, err);
    }
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
    async close(): Promise<void> {
      const results = await Promise.allSettled([primary.close(), fallback.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
