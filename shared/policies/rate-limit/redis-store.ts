/**
 * Buckets in Redis, shared by every instance of a BFF. Each decision is one atomic Lua
 * script call on one key (one round trip, no read-then-write race between instances), the
 * same GCRA as `decideLimit` in gcra.ts, timed by the Redis server's clock so instances
 * with skewed clocks agree.
 *
 * Keys are `${keyPrefix}{${key}}`: the caller's key is a Redis Cluster hash tag, so a key
 * always maps to one slot and the script works unchanged on a cluster. `keyPrefix` should
 * name the BFF (e.g. `portico:web:rl:`) and contain no `{`.
 */
import type { Cluster, Redis } from 'ioredis';
import { closeRedisClient, DEFAULT_REDIS_STARTUP_WAIT_MS, waitForRedisReady } from '../../redis';
import { assertLimitArgs, type LimitDecision, type RateLimitRule } from './gcra';
import type { SharedRateLimitStore } from './rate-limit-store';

/**
 * The GCRA in Lua, kept step for step identical to `decideLimit` (integer microseconds,
 * same rounding) so both give the same answers for the same inputs.
 *
 * KEYS[1]: the bucket. ARGV: limit, windowMs, cost, carriedResetMs (0 for none: otherwise
 * the stored TAT is first raised to now + carriedResetMs, as `carryTat` does, and the raise
 * is kept even when the request is refused), and optionally a fixed now in ms that replaces
 * the server clock (for tests that compare with `decideLimit`; the store never sends it).
 * The key holds the TAT in µs since the epoch and expires when the bucket is full again.
 * Returns `{ allowed (0|1), remaining, resetMs, retryAfterMs }`, retryAfterMs being -1 when
 * cost > limit (never allowed).
 */
export const GCRA_SCRIPT = `
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local carried_us = math.floor(tonumber(ARGV[4]) * 1000 + 0.5)
local now_us
if ARGV[5] then
  now_us = math.floor(tonumber(ARGV[5]) * 1000 + 0.5)
else
  -- Before Redis 5, a write after TIME is refused unless effects are replicated.
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = math.ceil(window_ms * 1000 / limit)
local tolerance = interval * limit

local tat = now_us
local stored = tonumber(redis.call('GET', KEYS[1]))
if stored and stored > now_us then tat = stored end
local raised = false
if carried_us > 0 then
  local carried_tat = now_us + math.min(carried_us, tolerance)
  if carried_tat > tat then
    tat = carried_tat
    raised = true
  end
end

local function remaining_at(t)
  return math.max(0, math.floor((tolerance - (t - now_us)) / interval))
end
local function ceil_ms(us)
  return math.ceil(us / 1000)
end
local function store(t)
  redis.call('SET', KEYS[1], string.format('%.0f', t), 'PX', ceil_ms(t - now_us))
end

if cost > limit then
  if raised then store(tat) end
  return { 0, remaining_at(tat), ceil_ms(tat - now_us), -1 }
end
local new_tat = tat + cost * interval
local allow_at = new_tat - tolerance
if allow_at > now_us then
  if raised then store(tat) end
  return { 0, remaining_at(tat), ceil_ms(tat - now_us), ceil_ms(allow_at - now_us) }
end
if new_tat > now_us then store(new_tat) end
return { 1, remaining_at(new_tat), ceil_ms(new_tat - now_us), 0 }
`;

/** Name under which the script is registered on the client (`defineCommand`). */
export const GCRA_COMMAND = 'porticoGcra';

type GcraClient = {
  [GCRA_COMMAND](key: string, limit: number, windowMs: number, cost: number, carriedResetMs: number): Promise<unknown>;
};

export interface RedisStoreOptions {
  /** The connection, preferably from `createRedisClient`. Shared, not closed by the store unless `ownsClient`. */
  client: Redis | Cluster;
  /** Prepended to every key, naming the BFF, e.g. `portico:web:rl:`. Required. */
  keyPrefix: string;
  /** Whether `close()` also closes `client`. Default false. */
  ownsClient?: boolean;
  /** Longest wait in `whenReady()` for the connection at startup, in ms. Default `DEFAULT_REDIS_STARTUP_WAIT_MS` (5,000). */
  startupWaitMs?: number;
}

export interface RedisStore extends SharedRateLimitStore {
  readonly kind: 'redis';
  whenReady(): Promise<void>;
  ping(): Promise<void>;
}

/** Turns the script's reply into a decision; throws on anything unexpected rather than guessing. */
function toDecision(reply: unknown, limit: number): LimitDecision {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
    throw new Error(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
  }
  const [allowed, remaining, resetMs, retryAfterMs] = reply as [number, number, number, number];
  return {
    allowed: allowed === 1,
    limit,
    remaining,
    resetMs,
    retryAfterMs: retryAfterMs < 0 ? Number.POSITIVE_INFINITY : retryAfterMs,
  };
}

/**
 * Creates a store over a Redis (or Redis Cluster) connection. Registers the script on the
 * client once (EVALSHA, falling back to EVAL after a script cache flush). Errors from Redis
 * (timeouts, connection refused) reject `consume`; wrap the store with
 * `createResilientStore` to fall back to local limits instead.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { client, keyPrefix, ownsClient = false, startupWaitMs = DEFAULT_REDIS_STARTUP_WAIT_MS } = options;
  if (typeof (client as unknown as Partial<GcraClient>)[GCRA_COMMAND] !== 'function') {
    client.defineCommand(GCRA_COMMAND, { numberOfKeys: 1, lua: GCRA_SCRIPT });
  }
  const gcra = client as unknown as GcraClient;
  return {
    kind: 'redis',
    async consume(key: string, rule: RateLimitRule, cost: number, carriedResetMs = 0): Promise<LimitDecision> {
      assertLimitArgs(rule, cost);
      const reply = await gcra[GCRA_COMMAND](`${keyPrefix}{${key}}`, rule.limit, rule.windowMs, cost, carriedResetMs > 0 ? carriedResetMs : 0);
      return toDecision(reply, rule.limit);
    },
    async whenReady(): Promise<void> {
      await waitForRedisReady(client, startupWaitMs);
    },
    async ping(): Promise<void> {
      // Commands are not queued while disconnected, so a down Redis rejects at once and a hung one within the command timeout.
      await client.ping();
    },
    async close(): Promise<void> {
      if (ownsClient) await closeRedisClient(client);
    },
  };
}
