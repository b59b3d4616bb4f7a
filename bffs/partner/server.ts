/** Builds the partner BFF (not listening): the shared pipeline with the versioned REST facade. */
import type { FastifyInstance } from 'fastify';
import { createBffApp } from '../../shared/pipeline';
import { restFacadePlugin } from '../../shared/rest/rest-facade-plugin';
import { partnerManifest, type PartnerManifest } from './manifest';

export function buildServer(manifest: PartnerManifest = partnerManifest): Promise<FastifyInstance> {
  const routes = manifest.routes;
  if (!routes) throw new Error(`manifest '${manifest.name}' has no routes`);
  return createBffApp({
    manifest,
    routes: async (app) =>
      restFacadePlugin(app, {
        ...routes,
        bodyLimitBytes: manifest.server.bodyLimitBytes,
        docs: { title: 'Portico partner API', apiKeys: Boolean(manifest.policies?.authn?.apiKeys), bearerTokens: Boolean(manifest.policies?.authn?.jwt || manifest.policies?.authn?.introspection), ...(manifest.policies?.rateLimit ? { rateLimit: manifest.policies.rateLimit } : {}) },
      }),
  });
}
