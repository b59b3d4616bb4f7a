/** Environment variables of the REST BFF (partner). */
import { defineManifest, type BffManifest, type RestRoutes } from '../manifest';
import { ConfigError, readEnv } from './env';
import { policiesFromEnv } from './auth-env';
import { enforceProductionChecks } from './production-checks';
import { readPrefixedUrls, serverEnvSpec, serverSettingsFrom } from './server-env';
import { readPrefixedTargets, UPSTREAM_TARGETS_PREFIX } from './targets-env';
import { SUBGRAPH_URL_PREFIX } from './graphql-env';

export const UPSTREAM_URL_PREFIX = 'UPSTREAM_URL_';

/**
 * Applies the environment to a REST BFF manifest; `UPSTREAM_URL_<NAME>` overrides an
 * upstream origin, `UPSTREAM_TARGETS_<NAME>` (JSON) gives it several targets.
 */
export function restManifestFromEnv(manifest: BffManifest<RestRoutes>, env: NodeJS.ProcessEnv): BffManifest<RestRoutes> {
  if (!manifest.routes) throw new Error(`manifest '${manifest.name}' has no routes`);
  const parsed = readEnv(env, serverEnvSpec(manifest.server));
  const overrides = readPrefixedUrls(env, UPSTREAM_URL_PREFIX);
  const targets = readPrefixedTargets(env, UPSTREAM_TARGETS_PREFIX);
  const unknown = [
    ...Object.keys(overrides).filter((name) => !manifest.routes?.upstreams[name]).map((name) => [UPSTREAM_URL_PREFIX, name]),
    ...Object.keys(targets).filter((name) => !manifest.routes?.upstreams[name]).map((name) => [UPSTREAM_TARGETS_PREFIX, name]),
  ];
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map(([prefix, name]) => `${prefix}${(name as string).toUpperCase().replace(/-/g, '_')}: no upstream named '${name}' (known: ${Object.keys(manifest.routes?.upstreams ?? {}).join(', ')})`));
  }
  const upstreamTargets = { ...manifest.routes.upstreamTargets, ...targets };
  // Operation-backed aggregates call subgraphs at the supergraph's URLs unless told otherwise.
  const subgraphUrls = readPrefixedUrls(env, SUBGRAPH_URL_PREFIX);
  const graphql = manifest.routes.graphql && Object.keys(subgraphUrls).length > 0 ? { graphql: { ...manifest.routes.graphql, subgraphUrls: { ...manifest.routes.graphql.subgraphUrls, ...subgraphUrls } } } : {};
  const upstreams = Object.fromEntries(
    Object.entries(manifest.routes.upstreams).map(([name, upstream]) => [name, overrides[name] ? { ...upstream, origin: new URL(overrides[name]).origin } : upstream]),
  );
  return enforceProductionChecks(defineManifest({ ...manifest, server: serverSettingsFrom(parsed, manifest.server), routes: { ...manifest.routes, ...graphql, upstreams, ...(Object.keys(upstreamTargets).length > 0 ? { upstreamTargets } : {}) }, policies: { ...manifest.policies, ...policiesFromEnv(env) } }), env);
}
