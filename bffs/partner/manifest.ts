/**
 * The partner BFF: a versioned REST facade over the upstream services.
 * Pipeline order is fixed by `shared/pipeline.ts`; this file says what fills it.
 */
import path from 'node:path';
import { DEFAULT_SUPERGRAPH_PATH } from '../supergraph-file';
import { DEMO_AUTHORIZATION_POLICIES } from '../authorization-policies';
import { DEFAULT_SERVER_SETTINGS, defineManifest, type BffManifest, type RestRoutes } from '../../shared/manifest';
import type { RestUpstream } from '../../shared/rest/route-table';
import { v1Routes } from './versions/v1';
import { v2Routes } from './versions/v2';

export const PARTNER_DEFAULT_PORT = 4002;
/** GraphQL operations behind partner aggregates, one per file. */
export const PARTNER_OPERATIONS_DIR = path.join(__dirname, 'operations');

/**
 * The services the route tables call, by name. Where they run is configuration:
 * `UPSTREAM_URL_<NAME>` (the demo launcher and docker-compose set them) or the config file.
 */
const upstreams: Record<'accounts' | 'products' | 'inventory' | 'reviews' | 'orders', RestUpstream> = {
  accounts: { healthPath: '/healthz' },
  products: { healthPath: '/healthz' },
  inventory: { healthPath: '/healthz' },
  reviews: { healthPath: '/healthz' },
  orders: { healthPath: '/healthz' },
};

export const partnerManifest = defineManifest({
  name: 'partner',
  server: { ...DEFAULT_SERVER_SETTINGS, port: PARTNER_DEFAULT_PORT },
  routes: {
    kind: 'rest',
    docs: { title: 'Portico partner API' },
    upstreams,
    versions: [v1Routes, v2Routes],
    // Aggregates backed by a federated query run these registered operations.
    graphql: { supergraphPath: DEFAULT_SUPERGRAPH_PATH, operationsDir: PARTNER_OPERATIONS_DIR, authorization: { policies: DEMO_AUTHORIZATION_POLICIES } },
  },
  // Partner integrations (API keys, client-credentials tokens); end-user tokens are refused here.
  policies: { principalKinds: ['client'] },
} satisfies BffManifest<RestRoutes>);

export type PartnerManifest = BffManifest<RestRoutes>;
