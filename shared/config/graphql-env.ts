/** Environment variables of the GraphQL BFFs (web, mobile). */
import type { BffManifest } from '../manifest';
import { defineManifest } from '../manifest';
import { oneOf, readEnv, text } from './env';
import { policiesFromEnv } from './auth-env';
import { readPrefixedUrls, serverEnvSpec, serverSettingsFrom } from './server-env';

export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

export function graphqlEnvSpec(defaults: { port: number; supergraphPath: string; introspection: boolean }) {
  return {
    ...serverEnvSpec(defaults.port),
    SUPERGRAPH_PATH: text('Supergraph SDL file served by the BFF', defaults.supergraphPath),
    INTROSPECTION: oneOf('Serve schema introspection (true/false)', ['true', 'false'] as const, defaults.introspection ? 'true' : 'false'),
  };
}

/** Applies the environment to a GraphQL BFF manifest; throws ConfigError naming bad variables. */
export function graphqlManifestFromEnv<M extends BffManifest>(manifest: M, env: NodeJS.ProcessEnv): M {
  if (!manifest.graphql) throw new Error(`manifest '${manifest.name}' has no graphql section`);
  const parsed = readEnv(env, graphqlEnvSpec({ port: manifest.server.port, supergraphPath: manifest.graphql.supergraphPath, introspection: manifest.graphql.introspection ?? false }));
  const subgraphUrls = { ...manifest.graphql.subgraphUrls, ...readPrefixedUrls(env, SUBGRAPH_URL_PREFIX) };
  return defineManifest({
    ...manifest,
    server: serverSettingsFrom(parsed),
    graphql: { ...manifest.graphql, supergraphPath: parsed.SUPERGRAPH_PATH, introspection: parsed.INTROSPECTION === 'true', subgraphUrls },
    policies: { ...manifest.policies, ...policiesFromEnv(env) },
  });
}
