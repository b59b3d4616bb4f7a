/**
 * Starts the real demo upstream services in-process on 127.0.0.1:0, each over its own
 * copy of the seed data, and closes them all together.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SUBGRAPHS_DIR, composeSupergraph, loadSubgraphDefinitions } from '../../supergraph/composition';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../supergraph/subgraphs/catalog';
import { createSubgraphServer } from '../../supergraph/subgraphs/server';
import { createService } from '../../supergraph/subgraphs/services';
import type { SubgraphService } from '../../supergraph/subgraphs/service';

export interface RunningSubgraphs {
  /** GraphQL endpoint per service (`http://127.0.0.1:<port>/graphql`). */
  urls: Record<SubgraphName, string>;
  /** Origin per service, for REST calls. */
  origins: Record<SubgraphName, string>;
  services: Record<SubgraphName, SubgraphService>;
  apps: Record<SubgraphName, FastifyInstance>;
  close(): Promise<void>;
}

export async function startSubgraphs(names: readonly SubgraphName[] = SUBGRAPH_NAMES): Promise<RunningSubgraphs> {
  const running = {
    urls: {} as Record<SubgraphName, string>,
    origins: {} as Record<SubgraphName, string>,
    services: {} as Record<SubgraphName, SubgraphService>,
    apps: {} as Record<SubgraphName, FastifyInstance>,
  };
  const close = async () => {
    await Promise.all(Object.values(running.apps).map((app) => app.close()));
  };
  try {
    for (const name of names) {
      const service = createService(name);
      const app = createSubgraphServer(service);
      running.apps[name] = app;
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      running.services[name] = service;
      running.origins[name] = origin;
      running.urls[name] = `${origin}/graphql`;
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { ...running, close };
}

/** The demo supergraph without `Product.description` (which web's ProductPage reads), composed from edited subgraph schemas copied under `dir`. */
export async function supergraphWithoutDescription(dir: string): Promise<string> {
  const fixture = path.join(dir, 'subgraphs');
  for (const name of SUBGRAPH_NAMES) await cp(path.join(SUBGRAPHS_DIR, name, 'schema.graphql'), path.join(fixture, name, 'schema.graphql'));
  const products = path.join(fixture, 'products', 'schema.graphql');
  await writeFile(products, (await readFile(products, 'utf8')).replace(/  "Long-form text for the web product page."\n  description: String @tag\(name: "web-only"\)\n/, ''));
  const outcome = composeSupergraph(await loadSubgraphDefinitions(fixture));
  if (!outcome.ok) throw new Error('fixture did not compose');
  return outcome.supergraphSdl;
}
