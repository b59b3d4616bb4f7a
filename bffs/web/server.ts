/** Builds the web BFF (not listening). */
import type { FastifyInstance } from 'fastify';
import { createGraphqlBff } from '../../shared/graphql/graphql-bff';
import type { BffManifest } from '../../shared/manifest';
import { webManifest } from './manifest';

export function buildServer(manifest: BffManifest = webManifest): Promise<FastifyInstance> {
  return createGraphqlBff(manifest);
}
