/**
 * The GraphQL routes' environment variables (web, mobile) and how they map into
 * `manifest.routes`: supergraph source, subgraph dedup, introspection, trusted documents,
 * operation limits. Defaults are the BFF manifest's own values.
 */
import { integer, oneOf, optionalHttpUrl, optionalText, text, type EnvFamily, type Parsed } from '../config/env';
import type { FederatedGraphqlOptions } from './federated-graphql-options';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits';
import { DEFAULT_WATCH_SUPERGRAPH_MS } from './supergraph-runtime';

export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

/** The prefixed variables of the GraphQL BFFs (read by `shared/config/graphql-env.ts`). */
export const GRAPHQL_ENV_FAMILIES: readonly EnvFamily[] = [
  { pattern: `${SUBGRAPH_URL_PREFIX}<NAME>`, description: "URL of subgraph <name> (lowercased, `_` for `-`), instead of the supergraph's; partner: the subgraphs its operations call" },
];

export function graphqlRoutesEnvSpec(routes: Pick<FederatedGraphqlOptions, 'supergraphPath' | 'watchSupergraphMs' | 'limits'>) {
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...routes.limits };
  return {
    NODE_ENV: optionalText('`production` turns off introspection (unless INTROSPECTION=true), the landing page and field suggestions'),
    SUPERGRAPH_PATH: text('Supergraph SDL file served by the BFF', routes.supergraphPath),
    SUPERGRAPH_URL: optionalHttpUrl('URL the supergraph SDL is fetched and polled from, instead of SUPERGRAPH_PATH'),
    SUBGRAPH_DEDUP: oneOf('Share one subgraph call among identical queries in flight at once (same document, variables and identity): `on` or `off`', ['on', 'off'] as const, 'on'),
    SUPERGRAPH_WATCH_MS: integer('How often the supergraph (file or URL) is checked for changes, in ms; 0 = never', routes.watchSupergraphMs ?? DEFAULT_WATCH_SUPERGRAPH_MS, { min: 0, max: 86_400_000 }),
    INTROSPECTION: oneOf('Serve schema introspection (true/false); default true in development, false in production', ['true', 'false', 'default'] as const, 'default'),
    TRUSTED_DOCUMENTS_ONLY: oneOf('Refuse operations not in the trusted documents manifest (BFFs that have one); default true in production', ['true', 'false', 'default'] as const, 'default'),
    GRAPHQL_MAX_DEPTH: integer('Deepest field nesting', limits.maxDepth, { min: 1 }),
    GRAPHQL_MAX_ALIASES: integer('Most aliases per operation', limits.maxAliases, { min: 1 }),
    GRAPHQL_MAX_ROOT_FIELDS: integer('Most root fields per operation', limits.maxRootFields, { min: 1 }),
    GRAPHQL_MAX_DIRECTIVES_PER_FIELD: integer('Most directives on one field', limits.maxDirectivesPerField, { min: 1 }),
    GRAPHQL_MAX_COST: integer('Highest estimated operation cost', limits.maxCost, { min: 1 }),
    GRAPHQL_MAX_TOKENS: integer('Most lexical tokens per document', limits.maxTokens, { min: 1 }),
  };
}

export type GraphqlRoutesEnv = Parsed<ReturnType<typeof graphqlRoutesEnvSpec>>;

/** Pure: the manifest's GraphQL route options with the environment applied (prefixed URL and target families aside). */
export function graphqlRoutesFrom<R extends FederatedGraphqlOptions>(parsed: GraphqlRoutesEnv, routes: R): R {
  const production = parsed.NODE_ENV === 'production';
  return {
    ...routes,
    supergraphPath: parsed.SUPERGRAPH_PATH,
    ...(parsed.SUPERGRAPH_URL ? { supergraphUrl: parsed.SUPERGRAPH_URL } : {}),
    watchSupergraphMs: parsed.SUPERGRAPH_WATCH_MS,
    dedupeSubgraphQueries: parsed.SUBGRAPH_DEDUP === 'on',
    production,
    introspection: parsed.INTROSPECTION === 'default' ? !production && (routes.introspection ?? true) : parsed.INTROSPECTION === 'true',
    limits: {
      ...routes.limits,
      maxDepth: parsed.GRAPHQL_MAX_DEPTH,
      maxAliases: parsed.GRAPHQL_MAX_ALIASES,
      maxRootFields: parsed.GRAPHQL_MAX_ROOT_FIELDS,
      maxDirectivesPerField: parsed.GRAPHQL_MAX_DIRECTIVES_PER_FIELD,
      maxCost: parsed.GRAPHQL_MAX_COST,
      maxTokens: parsed.GRAPHQL_MAX_TOKENS,
    },
    ...(routes.trustedDocuments
      ? { trustedDocuments: { ...routes.trustedDocuments, requireTrusted: parsed.TRUSTED_DOCUMENTS_ONLY === 'default' ? production : parsed.TRUSTED_DOCUMENTS_ONLY === 'true' } }
      : {}),
  };
}
