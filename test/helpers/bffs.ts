/**
 * Builds the real BFFs for tests, listening on 127.0.0.1:0 with quiet logs, and waits
 * for readiness where asked.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer as buildMobile } from '../../bffs/mobile/server';
import { mobileManifest } from '../../bffs/mobile/manifest';
import { buildServer as buildPartner } from '../../bffs/partner/server';
import { partnerManifest, type PartnerManifest } from '../../bffs/partner/manifest';
import { buildServer as buildWeb } from '../../bffs/web/server';
import { webManifest } from '../../bffs/web/manifest';
import type { FederatedGraphqlOptions } from '../../shared/graphql/federated-graphql-plugin';
import type { BffManifest, GraphqlRoutes, PolicySettings, ServerSettings } from '../../shared/manifest';
import type { RestUpstream, RouteTable } from '../../shared/rest/route-table';
import { SUBGRAPH_GRAPHQL_PATH, SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';

export interface RunningBff {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const TEST_SERVER: Partial<ServerSettings> = { host: '127.0.0.1', port: 0, logLevel: 'silent' };

async function listen(app: FastifyInstance): Promise<RunningBff> {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, close: () => app.close() };
}

export async function waitForReady(app: FastifyInstance, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    if (res.statusCode === 200) return;
    last = res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`BFF not ready after ${timeoutMs} ms: ${last}`);
}

/** Every partner upstream pointed at one origin (a recording upstream standing in for all services). */
export function allUpstreamsAt(origin: string): Record<string, RestUpstream> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, { origin }]));
}

/** `UPSTREAM_URL_<NAME>` for every partner upstream, all at `origin`: the partner's code names its upstreams, the environment places them. */
export function partnerUpstreamEnv(origin = 'http://127.0.0.1:1'): Record<string, string> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`UPSTREAM_URL_${name.toUpperCase()}`, origin]));
}

/** Waits until a GraphQL BFF has loaded its supergraph (its subgraphs may still be down). */
export async function waitForSupergraph(bff: RunningBff, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await bff.app.inject({ method: 'GET', url: '/readyz' });
    if ((res.json() as { checks: { supergraph?: { ok: boolean } } }).checks.supergraph?.ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('supergraph never loaded');
}

export interface GraphqlBffOverrides {
  graphql?: Partial<FederatedGraphqlOptions>;
  policies?: PolicySettings;
  server?: Partial<ServerSettings>;
  ready?: boolean;
}

function graphqlManifest(base: BffManifest<GraphqlRoutes>, o: GraphqlBffOverrides): BffManifest<GraphqlRoutes> {
  return {
    ...base,
    server: { ...base.server, ...TEST_SERVER, ...o.server },
    // No warm-up requests unless a test asks for them: a test's own requests start at once, on a quiet process.
    routes: { ...base.routes, loadRetryMs: 50, warmUp: { requests: 0 }, ...o.graphql },
    ...(o.policies ? { policies: o.policies } : {}),
  };
}

export async function startWebBff(overrides: GraphqlBffOverrides = {}): Promise<RunningBff> {
  const running = await listen(await buildWeb(graphqlManifest(webManifest, overrides)));
  if (overrides.ready !== false) await waitForReady(running.app);
  return running;
}

export async function startMobileBff(overrides: GraphqlBffOverrides = {}): Promise<RunningBff> {
  const running = await listen(await buildMobile(graphqlManifest(mobileManifest, overrides)));
  if (overrides.ready !== false) await waitForReady(running.app);
  return running;
}

export async function startPartnerBff(
  upstreams: Record<string, RestUpstream>,
  overrides: { server?: Partial<ServerSettings>; ready?: boolean; policies?: PolicySettings; versions?: readonly RouteTable[] } = {},
): Promise<RunningBff> {
  // Upstreams a test does not start get an origin nothing listens on (port 1 needs root to bind).
  const unreachable = Object.fromEntries(Object.entries(partnerManifest.routes.upstreams).map(([name, u]) => [name, { ...u, origin: 'http://127.0.0.1:1' }]));
  const allUpstreams: Record<string, RestUpstream> = { ...unreachable, ...upstreams };
  // The demo services answer GraphQL on the origin of their REST routes: the operation-backed aggregates call them there.
  const subgraphUrls = Object.fromEntries(Object.entries(allUpstreams).map(([name, u]) => [name, `${u.origin}${SUBGRAPH_GRAPHQL_PATH}`]));
  const graphql = partnerManifest.routes.graphql ? { graphql: { ...partnerManifest.routes.graphql, subgraphUrls } } : {};
  const manifest: PartnerManifest = {
    ...partnerManifest,
    server: { ...partnerManifest.server, ...TEST_SERVER, ...overrides.server },
    routes: { ...partnerManifest.routes, ...graphql, upstreams: allUpstreams, ...(overrides.versions ? { versions: overrides.versions } : {}) },
    ...(overrides.policies ? { policies: overrides.policies } : {}),
  };
  const running = await listen(await buildPartner(manifest));
  if (overrides.ready !== false) await waitForReady(running.app);
  return running;
}
