/**
 * The web BFF: the full federated schema for the browser app.
 * Pipeline order is fixed by `shared/pipeline.ts`; this file says what fills it.
 */
import path from 'node:path';
import { DEFAULT_SUPERGRAPH_PATH } from '../supergraph-file';
import { DEMO_AUTHORIZATION_POLICIES } from '../authorization-policies';
import { DEFAULT_SERVER_SETTINGS, defineManifest, type BffManifest, type GraphqlRoutes } from '../../shared/manifest';

export const WEB_DEFAULT_PORT = 4000;
/** The web app's GraphQL documents, checked against every supergraph change by `npm run schema:check`. */
export const WEB_OPERATIONS_DIR = path.join(__dirname, 'operations');

export const webManifest = defineManifest({
  name: 'web',
  server: { ...DEFAULT_SERVER_SETTINGS, port: WEB_DEFAULT_PORT },
  routes: {
    kind: 'graphql',
    supergraphPath: DEFAULT_SUPERGRAPH_PATH,
    // The supergraph's @authenticated, @requiresScopes and @policy are enforced; these are the @policy rules.
    authorization: { policies: DEMO_AUTHORIZATION_POLICIES },
    introspection: true,
    // Warmed before every supergraph serves, so the app's first requests find their plans ready.
    operationsDir: WEB_OPERATIONS_DIR,
    subgraphPools: { all: { connections: 64, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 } },
  },
  // The browser app's users; partner credentials are refused here.
  policies: { principalKinds: ['user'] },
} satisfies BffManifest<GraphqlRoutes>);
