/**
 * The warm-up's second part: once a GraphQL BFF's first supergraph serves, and before the BFF
 * reports ready, it sends itself its registered operations through its whole request pipeline
 * (`inject`: routing, every stage's hooks, direct execution, the executor, serialisation), a few
 * thousand times. V8 compiles a path only after running it many times; without this, a fresh
 * instance's first seconds cost about three times the CPU per request of a warm one (measured
 * in the cold-start bench), which its first clients pay as latency.
 *
 * These requests are the BFF's own (warm-up-request.ts): no client's budget, metrics, logs or
 * traces see them, and their subgraph fetches are answered with made-up data, so no upstream is
 * called. Whatever fails is counted and reported, never a reason to stay unready.
 */
import type { FastifyInstance } from 'fastify';
import { warmUpRequestHeaders } from '../warm-up-request';

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

/** Sends `requests` warm-up requests round-robin over `operations`, until done or `until` (`performance.now()` clock) has passed. */
export async function sendWarmUpTraffic(app: FastifyInstance, path: string, operations: readonly WarmUpRequest[], opts: { requests: number; until: number }): Promise<TrafficWarmUpReport> {
  const startedAt = performance.now();
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...warmUpRequestHeaders() };
  const payloads = operations.map((o) => JSON.stringify({ query: o.body, operationName: o.name, variables: o.variables }));
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.requests && payloads.length > 0 && performance.now() < opts.until) {
      const payload = payloads[next++ % payloads.length] as string;
      const response = await app.inject({ method: 'POST', url: path, headers, payload });
      if (response.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: WARMUP_TRAFFIC_CONCURRENCY }, worker));
  return { sent: Math.min(next, opts.requests), failed, durationMs: performance.now() - startedAt };
}
