/** Builds the partner BFF (not listening): the shared pipeline with the versioned REST facade. */
import type { FastifyInstance } from 'fastify';
import { createBffApp } from '../../shared/pipeline';
import { restFacadePlugin } from '../../shared/rest/rest-facade-plugin';
import type { RestUpstream } from '../../shared/rest/route-table';
import { SUBGRAPH_GRAPHQL_PATH } from '../../supergraph/subgraphs/catalog';
import { partnerManifest, type PartnerManifest } from './manifest';

function subgraphUrlsOf(upstreams: Readonly<Record<string, RestUpstream>>): Record<string, string> {
  return Object.fromEntries(Object.entries(upstreams).map(([name, u]) => [name, `${u.origin}${SUBGRAPH_GRAPHQL_PATH}`]));
}

export function buildServer(manifest: PartnerManifest = partnerManifest): Promise<FastifyInstance> {
  const routes = manifest.routes;
  if (!routes) throw new Error(`manifest '${manifest.name}' has no routes`);
  return createBffApp({
    manifest,
    routes: async (app) =>
      restFacadePlugin(app, {
        ...routes,
        // The demo services answer GraphQL on the same origin as their REST routes.
        ...(routes.graphql ? { graphql: { ...routes.graphql, subgraphUrls: { ...subgraphUrlsOf(routes.upstreams), ...routes.graphql.subgraphUrls } } } : {}),
        bodyLimitBytes: manifest.server.bodyLimitBytes,
        docs: { title: 'Portico partner API', apiKeys: Boolean(manifest.policies?.authn?.apiKeys), bearerTokens: Boolean(manifest.policies?.authn?.jwt || manifest.policies?.authn?.introspection), ...(manifest.policies?.rateLimit ? { rateLimit: manifest.policies.rateLimit } : {}) },
      }),
  });
}
