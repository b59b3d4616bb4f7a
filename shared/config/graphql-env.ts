/**
 * The environment of the GraphQL BFFs (web, mobile), composed from the variables each part
 * declares: server (`shared/server-env.ts`), GraphQL routes
 * (`shared/graphql/federated-graphql-env.ts`), subgraph targets
 * (`shared/upstream/target-settings-env.ts`) and the policies (`./auth-env.ts`), over the
 * optional configuration file (`./config-file.ts`).
 */
import type { BffManifest, GraphqlRoutes } from '../manifest';
import { defineManifest } from '../manifest';
import { graphqlRoutesEnvSpec, graphqlRoutesFrom, SUBGRAPH_URL_PREFIX } from '../graphql/federated-graphql-env';
import { serverEnvSpec, serverSettingsFrom } from '../server-env';
import { readPrefixedTargets, SUBGRAPH_TARGETS_PREFIX } from '../upstream/target-settings-env';
import { readEnv } from './env';
import { effectivePolicies } from './policies-env';
import { applyConfigFile } from './config-file';
import { enforceProductionChecks } from './production-checks';
import { readPrefixedUrls } from './server-env';

export { SUBGRAPH_URL_PREFIX } from '../graphql/federated-graphql-env';

/** Applies the environment to a GraphQL BFF manifest; throws ConfigError naming bad variables. */
export function graphqlManifestFromEnv(code: BffManifest<GraphqlRoutes>, env: NodeJS.ProcessEnv): BffManifest<GraphqlRoutes> {
  const { manifest, filePolicies } = applyConfigFile(code, env);
  const parsed = readEnv(env, { ...serverEnvSpec(manifest.server), ...graphqlRoutesEnvSpec(manifest.routes) });
  const subgraphUrls = { ...manifest.routes.subgraphUrls, ...readPrefixedUrls(env, SUBGRAPH_URL_PREFIX) };
  const subgraphTargets = { ...manifest.routes.subgraphTargets, ...readPrefixedTargets(env, SUBGRAPH_TARGETS_PREFIX) };
  return enforceProductionChecks(defineManifest({
    ...manifest,
    server: serverSettingsFrom(parsed, manifest.server),
    routes: { ...graphqlRoutesFrom(parsed, manifest.routes), subgraphUrls, ...(Object.keys(subgraphTargets).length > 0 ? { subgraphTargets } : {}) },
    policies: effectivePolicies(manifest.policies, env, filePolicies),
  }), env);
}
