/**
 * The rate-limit algorithm: GCRA (generic cell rate algorithm), a pure function of the
 * stored state, the time and the request's cost. No clock, no I/O: the stores read the
 * clock (the memory store) or let Redis read it (the Redis store) and call in here, or run
 * the same arithmetic in Lua (`GCRA_SCRIPT` in redis-store.ts).
 *
 * A key's whole state is one number, its theoretical arrival time (TAT): the moment at
 * which its bucket will be full again if nothing else is consumed. Each unit of cost
 * pushes the TAT one emission interval (`windowMs / limit`) into the future; a request is
 * allowed while the TAT it would produce stays within the burst tolerance (`windowMs`) of
 * now. A rule `{ limit: 50, windowMs: 60_000 }` therefore allows a burst of 50 at once and
 * then one request every 1.2 s, and a quiet key is full again `windowMs` after its last
 * request at the latest.
 *
 * Arithmetic is done on whole microseconds. The emission interval is rounded UP to a whole
 * microsecond and the burst tolerance is `limit` intervals, so every intermediate value is
 * an integer below 2^53: exact in JavaScript and in Redis's Lua (both IEEE doubles), which
 * is what makes this function and the Lua script agree to the unit. The price is that a
 * rule whose window does not divide evenly runs at most 1 µs per request slower than
 * `limit / windowMs`, and its bucket refills at most `limit` µs later; never faster.
 */

/** A sustained rate of `limit` requests per `windowMs`, with bursts of up to `limit` at once. */
export interface RateLimitRule {
  /** Requests allowed per window, and the largest burst. Positive integer. */
  limit: number;
  /** Window length, in ms. Positive integer, at most `MAX_WINDOW_MS`. */
  windowMs: number;
}

/** The answer for one request. */
export interface LimitDecision {
  /** Whether the request may proceed; when true its cost has been consumed. */
  allowed: boolean;
  /** The rule's `limit`, for `RateLimit-Limit`-style headers. */
  limit: number;
  /** Cost-1 requests that would still be allowed right now (integer, floor, never negative). */
  remaining: number;
  /** Time until the bucket is full again if nothing more is consumed, in ms (rounded up; 0 when full). */
  resetMs: number;
  /**
   * 0 when allowed. Otherwise the time until this same cost would be allowed, in ms
   * (rounded up, at least 1). `Infinity` when the cost exceeds the rule's limit: such a
   * request can never be allowed, so there is no time worth advertising in `Retry-After`.
   */
  retryAfterMs: number;
}

/** The result of `decideLimit`: the decision and the state to store for the key. */
export interface LimitOutcome {
  decision: LimitDecision;
  /**
   * The new theoretical arrival time, in ms since the epoch (microsecond resolution, so it
   * may have a fractional part). Unchanged when the request is refused. A value at or
   * before `nowMs` means a full bucket: the key need not be stored at all.
   */
  tatMs: number;
}

/**
 * Longest accepted window, in ms: one year. Keeps `now + burst tolerance` in microseconds
 * far below 2^53, where integer arithmetic on doubles stays exact.
 */
export const MAX_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

const US_PER_MS = 1000;

/**
 * Checks a rule; returns one message per problem (empty when the rule is usable).
 * `limit` and `windowMs` must be positive integers, `windowMs` at most `MAX_WINDOW_MS`,
 * and `limit` at most one request per microsecond of window.
 */
export function validateRule(rule: RateLimitRule): string[] {
  const problems: string[] = [];
  const limitOk = Number.isSafeInteger(rule.limit) && rule.limit > 0;
  const windowOk = Number.isSafeInteger(rule.windowMs) && rule.windowMs > 0;
  if (!limitOk) problems.push(`limit must be a positive integer (got ${String(rule.limit)})`);
  if (!windowOk) problems.push(`windowMs must be a positive integer (got ${String(rule.windowMs)})`);
  if (windowOk && rule.windowMs > MAX_WINDOW_MS) problems.push(`windowMs must be at most ${MAX_WINDOW_MS} (got ${rule.windowMs})`);
  if (limitOk && windowOk && rule.limit > rule.windowMs * US_PER_MS) {
    problems.push(`limit must be at most one request per microsecond of window (at most ${rule.windowMs * US_PER_MS})`);
  }
  return problems;
}

/**
 * Throws a `RangeError` when the rule is invalid (see `validateRule`) or the cost is not a
 * non-negative safe integer. Both stores call it before touching any state.
 */
export function assertLimitArgs(rule: RateLimitRule, cost: number): void {
  // Checked without building a list first: this runs on every decision.
  if (isUsableRule(rule) && Number.isSafeInteger(cost) && cost >= 0) return;
  const problems = validateRule(rule);
  if (!Number.isSafeInteger(cost) || cost < 0) problems.push(`cost must be a non-negative integer (got ${String(cost)})`);
  if (problems.length > 0) throw new RangeError(`Invalid rate limit: ${problems.join('; ')}`);
}

/** `validateRule(rule)` is empty. */
function isUsableRule(rule: RateLimitRule): boolean {
  const { limit, windowMs } = rule;
  return Number.isSafeInteger(limit) && limit > 0 && Number.isSafeInteger(windowMs) && windowMs > 0 && windowMs <= MAX_WINDOW_MS && limit <= windowMs * US_PER_MS;
}

/** Cost-1 requests still allowed when the TAT is `tatUs` (floor, never negative). */
function remainingAt(tatUs: number, nowUs: number, tolerance: number, interval: number): number {
  return Math.max(0, Math.floor((tolerance - (tatUs - nowUs)) / interval));
}

/** Emission interval in µs: the window split into `limit` slots, rounded up. */
function emissionIntervalUs(rule: RateLimitRule): number {
  return Math.ceil((rule.windowMs * US_PER_MS) / rule.limit);
}

/** ms to µs; rounding (written as floor(x + 0.5) to match the Lua script) absorbs float noise. */
function toUs(ms: number): number {
  return Math.floor(ms * US_PER_MS + 0.5);
}

function ceilMs(us: number): number {
  return Math.ceil(us / US_PER_MS);
}

/**
 * Decides one request of `cost` units against `rule` for a key whose stored TAT is `tatMs`
 * (`undefined` for a key never seen or expired), at time `nowMs` (ms since the epoch).
 *
 * - cost 0 is a peek: always allowed (unless the stored TAT is beyond the burst tolerance,
 *   which only a clock that went backwards can produce) and consumes nothing.
 * - cost > limit is refused with `retryAfterMs: Infinity`; the state is left unchanged.
 * - a refused request consumes nothing, so retrying early does not push the wait further.
 *
 * Throws a `RangeError` for an invalid rule or cost (see `assertLimitArgs`).
 */
export function decideLimit(tatMs: number | undefined, nowMs: number, cost: number, rule: RateLimitRule): LimitOutcome {
  assertLimitArgs(rule, cost);
  const nowUs = toUs(nowMs);
  const interval = emissionIntervalUs(rule);
  const tolerance = interval * rule.limit;
  // A TAT in the past means a full bucket; credit does not accumulate beyond it.
  const tat = tatMs === undefined ? nowUs : Math.max(toUs(tatMs), nowUs);
  const unchanged = tatMs ?? nowMs;

  if (cost > rule.limit) {
    return {
      decision: { allowed: false, limit: rule.limit, remaining: remainingAt(tat, nowUs, tolerance, interval), resetMs: ceilMs(tat - nowUs), retryAfterMs: Number.POSITIVE_INFINITY },
      tatMs: unchanged,
    };
  }

  const newTat = tat + cost * interval;
  const allowAt = newTat - tolerance;
  if (allowAt > nowUs) {
    return {
      decision: { allowed: false, limit: rule.limit, remaining: remainingAt(tat, nowUs, tolerance, interval), resetMs: ceilMs(tat - nowUs), retryAfterMs: ceilMs(allowAt - nowUs) },
      tatMs: unchanged,
    };
  }
  return {
    decision: { allowed: true, limit: rule.limit, remaining: remainingAt(newTat, nowUs, tolerance, interval), resetMs: ceilMs(newTat - nowUs), retryAfterMs: 0 },
    tatMs: newTat / US_PER_MS,
  };
}

/*
 * Through an outage of the shared store (Redis), each instance decides locally. Three pure
 * pieces keep that close to the shared limit; the stores and `createResilientStore` apply them.
 *
 * Comparing states across instances and stores uses a key's time until full (TAT - now)
 * rather than its TAT: it does not depend on whose clock said "now", and for one window it
 * reads the same under the rule and under an instance's share of it (both buckets are full
 * again `windowMs` after a full burst), so a local state can be carried into Redis and back.
 */

/**
 * The rule one of `instances` instances enforces on its own during an outage: the same
 * window with `ceil(limit / instances)` requests, so the instances together allow about
 * the limit when a client's requests are spread over them. A client pinned to one instance
 * gets only the share until the shared store is back: conservative on purpose.
 */
export function shareOfRule(rule: RateLimitRule, instances: number): RateLimitRule {
  return instances <= 1 ? rule : { limit: Math.ceil(rule.limit / instances), windowMs: rule.windowMs };
}

/**
 * The TAT to decide from when the caller carries knowledge of its own: the stored TAT
 * raised to `nowMs + carriedResetMs` (a time until full that another store saw, capped at
 * the burst tolerance so even a skewed value cannot lock a key out). This is how state comes
 * back after an outage: the first shared decision for a key after it carries the local
 * state, and the store keeps the later of the two. Taking the later (not adding) never
 * counts one request twice, whether the shared store kept its data (a hang) or lost it (a
 * restart); the price is that consumption on instances that have not carried yet is missing
 * until they do, which the documented worst case counts.
 */
export function carryTat(storedTatMs: number | undefined, nowMs: number, carriedResetMs: number, rule: RateLimitRule): number | undefined {
  if (!(carriedResetMs > 0)) return storedTatMs;
  // In whole µs, step for step as the Lua script does it, so both raise to the same TAT.
  const carriedTatUs = toUs(nowMs) + Math.min(toUs(carriedResetMs), emissionIntervalUs(rule) * rule.limit);
  return storedTatMs === undefined || carriedTatUs > toUs(storedTatMs) ? carriedTatUs / US_PER_MS : storedTatMs;
}
