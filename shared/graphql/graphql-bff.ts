/** Assembles a GraphQL BFF (web, mobile): the shared pipeline with the federated GraphQL route. */
import type { FastifyInstance } from 'fastify';
import type { BffManifest } from '../manifest';
import { createBffApp } from '../pipeline';
import { federatedGraphqlPlugin } from './federated-graphql-plugin';

export async function createGraphqlBff(manifest: BffManifest): Promise<FastifyInstance> {
  const graphql = manifest.graphql;
  if (!graphql) throw new Error(`manifest '${manifest.name}' has no graphql section`);
  return createBffApp({ manifest, routes: async (app) => federatedGraphqlPlugin(app, graphql) });
}
