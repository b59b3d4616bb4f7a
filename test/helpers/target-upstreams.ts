/**
 * Real upstreams for multi-target tests: each answers every path with its own name, so a
 * test can tell which endpoint served a call, and its `/healthz` can be switched to fail.
 * Also a partner BFF builder that accepts `upstreamTargets`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServer as buildPartner } from '../../bffs/partner/server';
import { partnerManifest, type PartnerManifest } from '../../bffs/partner/manifest';
import type { PolicySettings } from '../../shared/manifest';
import type { RestUpstream } from '../../shared/rest/route-table';
import type { UpstreamTargetsSettings } from '../../shared/upstream/target-settings';
import { allUpstreamsAt, waitForReady, type RunningBff } from './bffs';

export interface NamedUpstream {
  name: string;
  origin: string;
  port: number;
  /** Requests received, health checks excluded. */
  hits: number;
  /** Headers of the last request other than a health check. */
  lastHeaders: IncomingHttpHeaders | undefined;
  /** Answer `/healthz` with 200 (true) or 503 (false). */
  healthy: boolean;
  /** Answer every other request with this status. Default 200. */
  status: number;
  close(): Promise<void>;
}

/** Starts an upstream on `host` (default 127.0.0.1) and `port` (default: a free one) that names itself in every answer. */
export async function startNamedUpstream(name: string, { host = '127.0.0.1', port = 0 }: { host?: string; port?: number } = {}): Promise<NamedUpstream> {
  const upstream: NamedUpstream = { name, origin: '', port: 0, hits: 0, lastHeaders: undefined, healthy: true, status: 200, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(upstream.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: upstream.healthy ? 'ok' : 'down' }));
      return;
    }
    upstream.hits += 1;
    upstream.lastHeaders = req.headers;
    req.resume();
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served: name, items: [] }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  upstream.port = address.port;
  upstream.origin = `http://${host}:${address.port}`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}

/** A partner BFF whose upstreams are all at one origin (or as given), with the given multi-target upstreams and policies. */
export async function startPartnerWithTargets(upstreams: string | Record<string, RestUpstream>, upstreamTargets: Record<string, UpstreamTargetsSettings>, policies?: PolicySettings): Promise<RunningBff> {
  const manifest: PartnerManifest = {
    ...partnerManifest,
    server: { ...partnerManifest.server, host: '127.0.0.1', port: 0, logLevel: 'silent' },
    routes: { ...partnerManifest.routes, upstreams: typeof upstreams === 'string' ? allUpstreamsAt(upstreams) : upstreams, upstreamTargets },
    ...(policies ? { policies } : {}),
  };
  const app = await buildPartner(manifest);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await waitForReady(app);
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, url, close: () => app.close() };
}

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
