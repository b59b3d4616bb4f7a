/**
 * The mobile BFF: the federated schema for the mobile app, on its own process and port
 * so its limits and contract can differ from web's without affecting it.
 * Pipeline order is fixed by `shared/pipeline.ts`; this file says what fills it.
 */
import { DEMO_AUTHORIZATION_POLICIES } from '../authorization-policies';
import { DEFAULT_SERVER_SETTINGS, defineManifest, type BffManifest, type GraphqlRoutes } from '../../shared/manifest';
import path from 'node:path';
import { DEFAULT_SUPERGRAPH_PATH, MOBILE_CONTRACT_PATH } from '../supergraph-file';

export const MOBILE_DEFAULT_PORT = 4001;
/** The app's operations, one per file; `npm run operations:manifest` registers them. */
export const MOBILE_OPERATIONS_DIR = path.join(__dirname, 'operations');
export const MOBILE_TRUSTED_DOCUMENTS = path.join(MOBILE_OPERATIONS_DIR, 'manifest.json');
/** The manifests of app versions in the field, `<client>/<version>.json`; `npm run operations:import` adds them. */
export const MOBILE_CLIENT_MANIFESTS = path.join(__dirname, 'client-manifests');

export const mobileManifest = defineManifest({
  name: 'mobile',
  // Mobile payloads are small; a tighter body limit rejects abuse earlier.
  server: { ...DEFAULT_SERVER_SETTINGS, port: MOBILE_DEFAULT_PORT, bodyLimitBytes: 262_144, compress: true, etag: true },
  routes: {
    kind: 'graphql',
    supergraphPath: DEFAULT_SUPERGRAPH_PATH,
    // The supergraph's @authenticated, @requiresScopes and @policy are enforced; these are the @policy rules.
    authorization: { policies: DEMO_AUTHORIZATION_POLICIES },
    introspection: true,
    // Mobile networks are slow; subgraph calls still answer within the same bounds as web.
    subgraphPools: { all: { connections: 32, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 } },
    // The app sees the mobile contract only, and runs only the operations it shipped with
    // (any document is accepted in development; production requires trusted ones): Portico's
    // own manifest for every client, and each client's imported manifests for that client.
    contract: { schemaPath: MOBILE_CONTRACT_PATH },
    trustedDocuments: { manifestPath: MOBILE_TRUSTED_DOCUMENTS, clientManifestsDir: MOBILE_CLIENT_MANIFESTS, requireTrusted: false },
    // Screens are fixed; a tighter budget than web.
    limits: { maxDepth: 8, maxCost: 2_000 },
  },
  // The app's users; partner credentials are refused here.
  policies: { principalKinds: ['user'] },
} satisfies BffManifest<GraphqlRoutes>);
