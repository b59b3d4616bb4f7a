/**
 * The warm-up's second part: once a GraphQL BFF's first supergraph serves, and before the BFF
 * reports ready, it sends its registered operations to its own listener a few thousand times,
 * through its whole request pipeline (Node's HTTP server, routing, every stage's hooks, direct
 * execution, the executor, serialisation). V8 compiles a path only after running it many times,
 * and for the objects it ran on: without this, a fresh instance's first seconds cost about three
 * times the CPU per request of a warm one (measured in the cold-start bench), which its first
 * clients pay as latency. Requests injected without a socket were measured to warm much less.
 *
 * These requests are the BFF's own (warm-up-request.ts): no client's budget, metrics, logs or
 * traces see them, and their subgraph fetches are answered with made-up data, so no upstream is
 * called. Whatever fails is counted and reported, never a reason to stay unready.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { openWarmUpWindow, warmUpRequestHeaders } from '../warm-up-request';

/** Requests sent by default: enough for a fresh web BFF's first minute to run at the steady state's latency in the cold-start bench. */
export const DEFAULT_WARMUP_REQUESTS = 5_000;
/** Requests in flight at once: enough to interleave them as a client's load does, few enough not to build up memory. */
export const WARMUP_TRAFFIC_CONCURRENCY = 8;

/** One request to send: a registered operation with variables its definitions accept. */
export interface WarmUpRequest {
  name: string;
  body: string;
  variables: Record<string, unknown>;
}

export interface TrafficWarmUpReport {
  sent: number;
  /** Answers other than 200 (the operation refused or failed on made-up data). */
  failed: number;
  durationMs: number;
}

/**
 * The header sets and orders the warm-up's requests come in, as different clients send theirs
 * (a browser, an app, a script): Node builds a request's headers object in the order received,
 * so code compiled on one shape only is thrown away by the first client sending another, and
 * recompiled while that client waits. Six shapes are more than V8 specialises code for (four),
 * so the compiled path is left handling any client's headers. The values are ones a client may
 * send and none changes what the answer is.
 */
const CLIENT_HEADER_SHAPES: readonly (readonly (readonly [string, string] | 'own')[])[] = [
  [['content-type', 'application/json'], ['accept', 'application/json'], 'own'],
  [['accept', '*/*'], ['user-agent', 'portico-warm-up'], ['content-type', 'application/json'], 'own'],
  ['own', ['content-type', 'application/json'], ['accept-encoding', 'gzip, deflate, br'], ['accept', 'application/graphql-response+json, application/json']],
  [['user-agent', 'portico-warm-up'], ['accept', 'application/json'], ['accept-language', 'en'], ['content-type', 'application/json'], 'own'],
  [['apollographql-client-name', 'portico-warm-up'], ['apollographql-client-version', '1'], ['content-type', 'application/json'], 'own', ['accept', 'application/json']],
  [['content-type', 'application/json'], 'own', ['accept', 'application/json'], ['cache-control', 'no-cache'], ['accept-encoding', 'gzip'], ['accept-language', 'en']],
];

/** The warm-up's request headers in each of {@link CLIENT_HEADER_SHAPES}, its own (`own`) where the shape puts them. */
export function warmUpHeaderShapes(own: Readonly<Record<string, string>>): Record<string, string>[] {
  return CLIENT_HEADER_SHAPES.map((shape) => {
    const headers: Record<string, string> = {};
    for (const entry of shape) {
      if (entry === 'own') Object.assign(headers, own);
      else headers[entry[0]] = entry[1];
    }
    return headers;
  });
}

function isLoopbackOrAnyAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The listener's own address, once it listens (undefined if it does not before `until`). */
async function ownOrigin(app: FastifyInstance, until: number): Promise<string | undefined> {
  while (!app.server.listening) {
    if (performance.now() >= until) return undefined;
    // Unreferenced: a BFF closed before it ever listened is not kept alive by this wait.
    await new Promise((resolve) => setTimeout(resolve, 10).unref());
  }
  const address = app.server.address() as AddressInfo | string | null;
  if (!address || typeof address === 'string') return undefined;
  // A listener bound to one non-loopback address would see these requests come from that address:
  // not the warm-up's (warm-up-request.ts), so they would be sent as a client's. None are sent.
  if (!isLoopbackOrAnyAddress(address.address)) return undefined;
  // A listener on every address answers on loopback too; the warm-up's requests must come from loopback.
  const host = address.family === 'IPv6' ? (address.address === '::' ? '::1' : address.address) : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return `http://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`;
}

/** Sends `requests` warm-up requests round-robin over `operations` to the BFF's own listener, until done or `until` (`performance.now()` clock) has passed. */
export async function sendWarmUpTraffic(app: FastifyInstance, path: string, operations: readonly WarmUpRequest[], opts: { requests: number; until: number }): Promise<TrafficWarmUpReport> {
  const startedAt = performance.now();
  const origin = await ownOrigin(app, opts.until);
  if (!origin) return { sent: 0, failed: 0, durationMs: performance.now() - startedAt };
  const close = openWarmUpWindow();
  const pool = new Pool(origin, { connections: WARMUP_TRAFFIC_CONCURRENCY });
  const shapes = warmUpHeaderShapes(await warmUpRequestHeaders());
  const payloads = operations.map((o) => JSON.stringify({ query: o.body, operationName: o.name, variables: o.variables }));
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.requests && payloads.length > 0 && performance.now() < opts.until) {
      const i = next++;
      const body = payloads[i % payloads.length] as string;
      // Each operation in turn under each shape.
      const headers = shapes[Math.floor(i / payloads.length) % shapes.length];
      const response = await pool.request({ method: 'POST', path, headers, body });
      await response.body.dump();
      if (response.statusCode !== 200) failed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: WARMUP_TRAFFIC_CONCURRENCY }, worker));
  } finally {
    close();
    await pool.close();
  }
  return { sent: Math.min(next, opts.requests), failed, durationMs: performance.now() - startedAt };
}
