/**
 * The partner BFF: a versioned REST facade over the upstream services.
 * Pipeline order is fixed by `shared/pipeline.ts`; this file says what fills it.
 */
import { DEFAULT_SERVER_SETTINGS, defineManifest, type BffManifest } from '../../shared/manifest';
import type { RestFacadeOptions, RestUpstream } from '../../shared/rest/route-table';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, type SubgraphName } from '../../supergraph/subgraphs/catalog';
import { v1Routes } from './versions/v1';
import { v2Routes } from './versions/v2';

export const PARTNER_DEFAULT_PORT = 4002;

/** The demo services' REST side, on the same processes as their subgraphs. */
const demoUpstreams = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [name, { origin: `http://127.0.0.1:${SUBGRAPH_PORTS[name]}`, healthPath: '/healthz' }]),
) as Record<SubgraphName, RestUpstream>;

export const partnerManifest = defineManifest({
  name: 'partner',
  server: { ...DEFAULT_SERVER_SETTINGS, port: PARTNER_DEFAULT_PORT },
  routes: {
    upstreams: demoUpstreams,
    versions: [v1Routes, v2Routes],
  },
} satisfies BffManifest<RestFacadeOptions>);

export type PartnerManifest = BffManifest<RestFacadeOptions>;
