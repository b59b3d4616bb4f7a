/** Environment variables of the GraphQL BFFs (web, mobile). */
import type { BffManifest, GraphqlRoutes, ServerSettings } from '../manifest';
import { defineManifest } from '../manifest';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from '../graphql/operation-limits';
import { integer, oneOf, optionalHttpUrl, optionalText, readEnv, text } from './env';
import { DEFAULT_WATCH_SUPERGRAPH_MS } from '../graphql/federated-graphql-plugin';
import { policiesFromEnv } from './auth-env';
import { enforceProductionChecks } from './production-checks';
import { readPrefixedUrls, serverEnvSpec, serverSettingsFrom } from './server-env';
import { readPrefixedTargets, SUBGRAPH_TARGETS_PREFIX } from './targets-env';

export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

export function graphqlEnvSpec(defaults: { server: ServerSettings; supergraphPath: string; watchSupergraphMs: number; limits: OperationLimits }) {
  return {
    ...serverEnvSpec(defaults.server),
    NODE_ENV: optionalText('`production` turns off introspection (unless INTROSPECTION=true), the landing page and field suggestions'),
    SUPERGRAPH_PATH: text('Supergraph SDL file served by the BFF', defaults.supergraphPath),
    SUPERGRAPH_URL: optionalHttpUrl('URL the supergraph SDL is fetched and polled from, instead of SUPERGRAPH_PATH'),
    SUBGRAPH_DEDUP: oneOf('Share one subgraph call among identical queries in flight at once (same document, variables and identity): `on` or `off`', ['on', 'off'] as const, 'on'),
    SUPERGRAPH_WATCH_MS: integer('How often the supergraph (file or URL) is checked for changes, in ms; 0 = never', defaults.watchSupergraphMs, { min: 0, max: 86_400_000 }),
    INTROSPECTION: oneOf('Serve schema introspection (true/false); default true in development, false in production', ['true', 'false', 'default'] as const, 'default'),
    TRUSTED_DOCUMENTS_ONLY: oneOf('Refuse operations not in the trusted documents manifest (BFFs that have one); default true in production', ['true', 'false', 'default'] as const, 'default'),
    GRAPHQL_MAX_DEPTH: integer('Deepest field nesting', defaults.limits.maxDepth, { min: 1 }),
    GRAPHQL_MAX_ALIASES: integer('Most aliases per operation', defaults.limits.maxAliases, { min: 1 }),
    GRAPHQL_MAX_ROOT_FIELDS: integer('Most root fields per operation', defaults.limits.maxRootFields, { min: 1 }),
    GRAPHQL_MAX_DIRECTIVES_PER_FIELD: integer('Most directives on one field', defaults.limits.maxDirectivesPerField, { min: 1 }),
    GRAPHQL_MAX_COST: integer('Highest estimated operation cost', defaults.limits.maxCost, { min: 1 }),
    GRAPHQL_MAX_TOKENS: integer('Most lexical tokens per document', defaults.limits.maxTokens, { min: 1 }),
  };
}

/** Applies the environment to a GraphQL BFF manifest; throws ConfigError naming bad variables. */
export function graphqlManifestFromEnv(manifest: BffManifest<GraphqlRoutes>, env: NodeJS.ProcessEnv): BffManifest<GraphqlRoutes> {
  const parsed = readEnv(env, graphqlEnvSpec({ server: manifest.server, supergraphPath: manifest.routes.supergraphPath, watchSupergraphMs: manifest.routes.watchSupergraphMs ?? DEFAULT_WATCH_SUPERGRAPH_MS, limits: { ...DEFAULT_OPERATION_LIMITS, ...manifest.routes.limits } }));
  const production = parsed.NODE_ENV === 'production';
  const subgraphUrls = { ...manifest.routes.subgraphUrls, ...readPrefixedUrls(env, SUBGRAPH_URL_PREFIX) };
  const subgraphTargets = { ...manifest.routes.subgraphTargets, ...readPrefixedTargets(env, SUBGRAPH_TARGETS_PREFIX) };
  return enforceProductionChecks(defineManifest({
    ...manifest,
    server: serverSettingsFrom(parsed, manifest.server),
    routes: {
      ...manifest.routes,
      supergraphPath: parsed.SUPERGRAPH_PATH,
      ...(parsed.SUPERGRAPH_URL ? { supergraphUrl: parsed.SUPERGRAPH_URL } : {}),
      watchSupergraphMs: parsed.SUPERGRAPH_WATCH_MS,
      dedupeSubgraphQueries: parsed.SUBGRAPH_DEDUP === 'on',
      production,
      introspection: parsed.INTROSPECTION === 'default' ? !production && (manifest.routes.introspection ?? true) : parsed.INTROSPECTION === 'true',
      limits: {
        ...manifest.routes.limits,
        maxDepth: parsed.GRAPHQL_MAX_DEPTH,
        maxAliases: parsed.GRAPHQL_MAX_ALIASES,
        maxRootFields: parsed.GRAPHQL_MAX_ROOT_FIELDS,
        maxDirectivesPerField: parsed.GRAPHQL_MAX_DIRECTIVES_PER_FIELD,
        maxCost: parsed.GRAPHQL_MAX_COST,
        maxTokens: parsed.GRAPHQL_MAX_TOKENS,
      },
      subgraphUrls,
      ...(Object.keys(subgraphTargets).length > 0 ? { subgraphTargets } : {}),
      ...(manifest.routes.trustedDocuments
        ? { trustedDocuments: { ...manifest.routes.trustedDocuments, requireTrusted: parsed.TRUSTED_DOCUMENTS_ONLY === 'default' ? production : parsed.TRUSTED_DOCUMENTS_ONLY === 'true' } }
        : {}),
    },
    policies: { ...manifest.policies, ...policiesFromEnv(env) },
  }), env);
}
