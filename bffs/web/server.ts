/** Builds the web BFF (not listening): the shared pipeline, filled by its manifest. */
import type { FastifyInstance } from 'fastify';
import type { BffManifest } from '../../shared/manifest';
import { createBffApp } from '../../shared/pipeline';
import { webManifest } from './manifest';

export function buildServer(manifest: BffManifest = webManifest): Promise<FastifyInstance> {
  return createBffApp(manifest);
}
