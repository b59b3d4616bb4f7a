/**
 * The mobile BFF: the federated schema for the mobile app, on its own process and port
 * so its limits and contract can differ from web's without affecting it.
 * Pipeline order is fixed by `shared/pipeline.ts`; this file says what fills it.
 */
import { DEFAULT_SERVER_SETTINGS, defineManifest, type BffManifest } from '../../shared/manifest';
import { DEFAULT_SUPERGRAPH_PATH } from '../../shared/graphql/supergraph-path';

export const MOBILE_DEFAULT_PORT = 4001;

export const mobileManifest = defineManifest({
  name: 'mobile',
  // Mobile payloads are small; a tighter body limit rejects abuse earlier.
  server: { ...DEFAULT_SERVER_SETTINGS, port: MOBILE_DEFAULT_PORT, bodyLimitBytes: 262_144 },
  graphql: {
    supergraphPath: DEFAULT_SUPERGRAPH_PATH,
    introspection: true,
    // Mobile networks are slow; subgraph calls still answer within the same bounds as web.
    subgraphPools: { all: { connections: 32, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 } },
  },
} satisfies BffManifest);
