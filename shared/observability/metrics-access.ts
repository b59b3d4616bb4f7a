/**
 * Where `/metrics` is served: on the client port (optionally behind a bearer token), or on
 * a separate admin port that only the scraper's network reaches. Metrics name upstreams,
 * routes and failure rates: in production they are never public on the client port.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsAccess {
  /** Serve `/metrics` on this port instead of the client port (0 picks a free one). Default: the client port. */
  port?: number;
  /** Bearer token `/metrics` requires wherever it is served. Default: none. */
  token?: string;
}

/** Pure: whether an Authorization header carries the metrics token (constant-time comparison). */
export function metricsTokenMatches(authorization: string | undefined, token: string): boolean {
  if (typeof authorization !== 'string' || authorization.length > token.length + 64) return false;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface MetricsListener {
  /** The bound address, once listening. */
  address(): AddressInfo | undefined;
  close(): Promise<void>;
}

/**
 * Serves the scrape endpoint alone on its own port: GET/HEAD `/metrics`, 404 otherwise,
 * 401 without the token when one is set. No pipeline: nothing else is reachable there.
 */
export async function listenForMetrics(host: string, access: MetricsAccess & { port: number }, render: () => Promise<{ contentType: string; body: string }>): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"statusCode":404,"code":"NOT_FOUND","error":"Not Found","message":"Only /metrics is served here."}');
      return;
    }
    if (access.token && !metricsTokenMatches(req.headers.authorization, access.token)) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="portico-metrics"' }).end('{"statusCode":401,"code":"AUTH_REQUIRED","error":"Unauthorized","message":"The metrics token is required."}');
      return;
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(access.port, host, () => resolve());
  });
  return {
    address: () => (server.address() as AddressInfo | null) ?? undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
