/**
 * The environment of the REST BFF (partner), composed from the variables each part
 * declares: server, REST upstreams (`shared/rest/rest-routes-env.ts`), upstream targets,
 * the subgraphs its operations call, and the policies, over the optional configuration file.
 */
import { defineManifest, type BffManifest, type RestRoutes } from '../manifest';
import { SUBGRAPH_URL_PREFIX } from '../graphql/federated-graphql-env';
import { refuseUnknownUpstreams, requireUpstreamOrigins, UPSTREAM_URL_PREFIX, upstreamsWithOverrides } from '../rest/rest-routes-env';
import { serverEnvSpec, serverSettingsFrom } from '../server-env';
import { readPrefixedTargets, UPSTREAM_TARGETS_PREFIX } from '../upstream/target-settings-env';
import { readEnv } from './env';
import { effectivePolicies } from './policies-env';
import { applyConfigFile } from './config-file';
import { enforceProductionChecks } from './production-checks';
import { readPrefixedUrls } from './server-env';

export { UPSTREAM_URL_PREFIX } from '../rest/rest-routes-env';

/** Applies the environment to a REST BFF manifest; throws ConfigError naming bad variables. */
export function restManifestFromEnv(code: BffManifest<RestRoutes>, env: NodeJS.ProcessEnv): BffManifest<RestRoutes> {
  if (!code.routes) throw new Error(`manifest '${code.name}' has no routes`);
  const { manifest, filePolicies } = applyConfigFile(code, env);
  const parsed = readEnv(env, serverEnvSpec(manifest.server));
  const overrides = readPrefixedUrls(env, UPSTREAM_URL_PREFIX);
  const targets = readPrefixedTargets(env, UPSTREAM_TARGETS_PREFIX);
  refuseUnknownUpstreams(manifest.routes, [[UPSTREAM_URL_PREFIX, Object.keys(overrides)], [UPSTREAM_TARGETS_PREFIX, Object.keys(targets)]]);
  const upstreamTargets = { ...manifest.routes.upstreamTargets, ...targets };
  // Operation-backed aggregates call subgraphs at the supergraph's URLs unless told otherwise.
  const subgraphUrls = readPrefixedUrls(env, SUBGRAPH_URL_PREFIX);
  const graphql = manifest.routes.graphql && Object.keys(subgraphUrls).length > 0 ? { graphql: { ...manifest.routes.graphql, subgraphUrls: { ...manifest.routes.graphql.subgraphUrls, ...subgraphUrls } } } : {};
  const upstreams = upstreamsWithOverrides(manifest.routes.upstreams, overrides);
  requireUpstreamOrigins({ ...manifest.routes, upstreams, upstreamTargets });
  return enforceProductionChecks(defineManifest({ ...manifest, server: serverSettingsFrom(parsed, manifest.server), routes: { ...manifest.routes, ...graphql, upstreams, ...(Object.keys(upstreamTargets).length > 0 ? { upstreamTargets } : {}) }, policies: effectivePolicies(manifest.policies, env, filePolicies) }), env);
}
