/**
 * Stand-in subgraphs for the warm-up's requests (warm-up-traffic.ts): one loopback server
 * answering every subgraph fetch with made-up data, and per subgraph an upstream client built
 * as the real ones are, with a pool, breaker, deduplication and metrics of its own (none shared
 * with the real ones). The warm-up's fetches then run the code a client's fetches will run
 * (undici's pool and parser, the upstream client, the breaker, the JSON round trip), which a
 * fresh process otherwise compiles on its first clients' requests. Nothing real is called,
 * counted or tripped, and the server listens on loopback only while the warm-up runs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics } from '../observability/metrics';
import { createUpstreamBreaker, DEFAULT_BREAKER_OPTIONS } from '../upstream/breaker';
import { createUpstream, singleOriginEndpoints, type Upstream } from '../upstream/upstream';
import { createUpstreamObserver } from '../upstream/upstream-observer';
import { createUpstreamPool, type UpstreamPoolOptions } from '../upstream/upstream-pool';

/** Made-up data for one subgraph fetch (warm-up-answers.ts). */
export type WarmUpResponder = (query: string, variables: Record<string, unknown> | undefined) => { data: unknown };

export interface WarmUpUpstreams {
  /** The stand-in client of subgraph `name` (made on first use). */
  upstreamFor(name: string): Upstream;
  /** Fetches the stand-in server has answered. */
  readonly fetches: number;
  /** Closes the server and every pool. */
  close(): Promise<void>;
}

/** Largest fetch body the stand-in reads: the warm-up's own fetches are a few KiB; anything else on loopback is refused. */
export const MAX_STAND_IN_BODY_BYTES = 1_048_576;

/** A fetch's body, read whole up to the bound. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_STAND_IN_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the stand-in server on loopback; the clients use the pools' own settings (`pool`). */
export async function startWarmUpUpstreams(answer: WarmUpResponder, pool?: UpstreamPoolOptions): Promise<WarmUpUpstreams> {
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((text) => {
        const { query, variables } = JSON.parse(text) as { query?: string; variables?: Record<string, unknown> };
        fetches += 1;
        const body = JSON.stringify(answer(query ?? '', variables));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      })
      .catch(() => {
        // Not one of the warm-up's fetches: refused, and the connection closed.
        res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
        res.end('{"errors":[{"message":"not a warm-up fetch"}]}');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  // Their own metrics registry: the warm-up's calls run the recording code without reaching /metrics.
  const observe = createUpstreamObserver(createMetrics({ bff: 'warm-up', collectDefaultMetrics: false }));
  const clients = new Map<string, { upstream: Upstream; close(): Promise<void> }>();
  return {
    get fetches() {
      return fetches;
    },
    upstreamFor(name) {
      let client = clients.get(name);
      if (!client) {
        const created = createUpstreamPool(origin, pool);
        const breaker = createUpstreamBreaker(name, DEFAULT_BREAKER_OPTIONS);
        const upstream = createUpstream({ name, endpoints: singleOriginEndpoints(origin, created), breaker, observe, deadlineMs: pool?.deadlineMs });
        client = {
          upstream,
          close: () => {
            breaker.shutdown();
            return created.close();
          },
        };
        clients.set(name, client);
      }
      return client.upstream;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
