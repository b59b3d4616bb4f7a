/** Builds the partner BFF (not listening): the shared pipeline, filled by its manifest. */
import type { FastifyInstance } from 'fastify';
import type { BffManifest } from '../../shared/manifest';
import { createBffApp } from '../../shared/pipeline';
import { partnerManifest } from './manifest';

export function buildServer(manifest: BffManifest = partnerManifest): Promise<FastifyInstance> {
  return createBffApp(manifest);
}
