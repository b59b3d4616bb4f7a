/**
 * One undici Pool per upstream: keep-alive sockets reused across requests, bounded
 * connection count, and separate connect / first-byte / body timeouts so a slow or dead
 * upstream costs a bounded amount of time.
 */
import { Pool } from 'undici';
import { DEFAULT_UPSTREAM_DEADLINE_MS } from './upstream';

export interface UpstreamPoolOptions {
  /** Maximum open sockets to this upstream. Default 64. */
  connections?: number;
  /** Time to establish a TCP connection, in ms. Default 2,000. */
  connectTimeoutMs?: number;
  /** Time from sending the request until the response headers arrive, in ms. Default 10,000. */
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of the response body, in ms. Default 10,000. */
  bodyTimeoutMs?: number;
  /** How long an idle keep-alive socket is kept open, in ms. Default 30,000. */
  keepAliveTimeoutMs?: number;
  /**
   * Longest time for one whole call through the pool's upstream client: queued for a
   * connection, every attempt, to the last body byte, in ms. The timeouts above start only
   * once a connection takes the request; this one bounds the wait for it. A streamed
   * passthrough gets it until the response headers (its body is then bounded by
   * `bodyTimeoutMs`). Default 10,000.
   */
  deadlineMs?: number;
}

export const DEFAULT_UPSTREAM_POOL_OPTIONS: Required<UpstreamPoolOptions> = {
  connections: 64,
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  deadlineMs: DEFAULT_UPSTREAM_DEADLINE_MS,
};

/** Creates the pooled client for one upstream origin (`http://host:port`, no path). */
export function createUpstreamPool(origin: string, options: UpstreamPoolOptions = {}): Pool {
  const o = { ...DEFAULT_UPSTREAM_POOL_OPTIONS, ...options };
  return new Pool(origin, {
    connections: o.connections,
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 600_000),
  });
}
