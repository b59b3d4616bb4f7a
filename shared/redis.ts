/**
 * The one Redis client factory of Portico: the rate limiter, the API key store and the
 * response cache each get a client from here, configured so that no request ever waits on
 * a down or slow Redis. One Redis (`REDIS_URL`) serves them all, each use under its own key
 * prefix, so they never collide; each use's own URL variable may still point elsewhere.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** Where each use keeps its keys; the limiter and the cache are per BFF, API keys are shared by every BFF (and `npm run apikey`). */
export const REDIS_KEY_PREFIXES = {
  rateLimit: (bff: string): string => `portico:${bff}:rl:`,
  responseCache: (bff: string): string => `portico:${bff}:cache:`,
  apiKeys: 'portico:apikeys:',
} as const;

export interface RedisClientOptions {
  /** Standalone server URL, e.g. `redis://127.0.0.1:6379`. Ignored when `clusterNodes` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Cluster seed nodes (`host:port` or `redis://host:port`); when given, a `Cluster` client is created. */
  clusterNodes?: string[];
  /** Longest wait for any one command's reply, in ms. Default `DEFAULT_REDIS_COMMAND_TIMEOUT_MS` (50). */
  commandTimeoutMs?: number;
  /** Longest wait to establish a connection, in ms. Default `DEFAULT_REDIS_CONNECT_TIMEOUT_MS` (500). */
  connectTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts, in ms. Default `DEFAULT_REDIS_RECONNECT_MAX_DELAY_MS` (2,000). */
  reconnectMaxDelayMs?: number;
  /** Called with every connection-level error (for logs); they never throw. Default: ignored. */
  onError?: (err: Error) => void;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 50;
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 500;
export const DEFAULT_REDIS_RECONNECT_MAX_DELAY_MS = 2_000;
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long startup waits for a Redis connection before serving without it, in ms. */
export const DEFAULT_REDIS_STARTUP_WAIT_MS = 5_000;

/** Reconnection delay: doubling from 50 ms, capped; it never gives up, so Redis coming back is noticed. */
function backoff(maxDelayMs: number): (times: number) => number {
  return (times) => Math.min(50 * 2 ** Math.min(times - 1, 16), maxDelayMs);
}

/**
 * Creates a Redis (or Cluster, when `clusterNodes` is given) client, configured so that no call ever waits on a down or slow Redis: each command times out
 * after `commandTimeoutMs`, commands issued while disconnected fail at once instead of
 * queueing (`enableOfflineQueue: false`), commands lost with a connection are failed
 * rather than retried (`maxRetriesPerRequest: 0`), and the client keeps reconnecting in
 * the background with a capped backoff. Connection errors go to `onError`, never to an
 * unhandled 'error' event.
 */
export function createRedisClient(options: RedisClientOptions = {}): Redis | Cluster {
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
  const retry = backoff(options.reconnectMaxDelayMs ?? DEFAULT_REDIS_RECONNECT_MAX_DELAY_MS);
  const onError = options.onError ?? (() => undefined);
  const common = {
    commandTimeout,
    connectTimeout,
    maxRetriesPerRequest: 0,
    // A socket that does not close promptly on disconnect is destroyed after this long, so
    // closing a client never holds the process open for the library's default 2 s.
    disconnectTimeout: connectTimeout,
    // A script whose reply was lost with the connection may have run: resending it could consume twice.
    autoResendUnfulfilledCommands: false,
  } satisfies Partial<RedisOptions>;

  if (options.clusterNodes && options.clusterNodes.length > 0) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      clusterNodeRetryStrategy: retry,
      slotsRefreshTimeout: Math.max(commandTimeout, connectTimeout),
      redisOptions: common,
    };
    const cluster = new Cluster(options.clusterNodes, clusterOptions);
    cluster.on('error', onError);
    return cluster;
  }
  const redis = new Redis(options.url ?? DEFAULT_REDIS_URL, { ...common, enableOfflineQueue: false, retryStrategy: retry });
  redis.on('error', onError);
  return redis;
}

/**
 * Waits until the client has connected, at most `timeoutMs`; true when it did. Commands are
 * not queued while disconnected, so a store that must answer its first request waits here at
 * startup instead of failing that request; a Redis that stays down does not block startup.
 */
export async function waitForRedisReady(client: Redis | Cluster, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const done = (ready: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('ready', onReady);
  });
}

/**
 * Closes a client without waiting on a dead server: QUIT when connected (pending replies
 * are delivered), otherwise an immediate disconnect that also stops reconnecting.
 */
export async function closeRedisClient(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // The connection dropped during QUIT; disconnect below still stops reconnection.
    }
  }
  client.disconnect();
}
