/** Builds the mobile BFF (not listening). */
import type { FastifyInstance } from 'fastify';
import { createGraphqlBff } from '../../shared/graphql/graphql-bff';
import type { BffManifest } from '../../shared/manifest';
import { mobileManifest } from './manifest';

export function buildServer(manifest: BffManifest = mobileManifest): Promise<FastifyInstance> {
  return createGraphqlBff(manifest);
}
