/**
 * The GraphQL routes' environment variables (web, mobile) and how they map into
 * `manifest.routes`: supergraph source, subgraph dedup, introspection, trusted documents,
 * operation limits. Defaults are the BFF manifest's own values.
 */
import { integer, oneOf, optionalHttpUrl, optionalText, shownDefault, text, type EnvFamily, type Parsed } from '../config/env';
import { DEFAULT_GRAPHQL_EXECUTOR, GRAPHQL_EXECUTORS } from './executor/plan-executor';
import { DEFAULT_MAX_FIELD_ERRORS_PER_FETCH } from './failed-fetch-errors';
import { DEFAULT_GRAPHQL_DEADLINE_MS, type FederatedGraphqlOptions } from './federated-graphql-options';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits';
import { DEFAULT_WATCH_SUPERGRAPH_MS } from './supergraph-runtime';
import { DEFAULT_MANIFEST_LIMITS } from './trusted-document-manifests';
import { DEFAULT_UNKNOWN_CLIENTS } from './trusted-documents';
import { DEFAULT_WARMUP_BUDGET_MS } from './warm-up';
import { DEFAULT_WARMUP_REQUESTS } from './warm-up-traffic';
import { DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS } from '../observability/graphql-client-metrics';

export const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

/** The prefixed variables of the GraphQL BFFs (read by `shared/config/graphql-env.ts`). */
export const GRAPHQL_ENV_FAMILIES: readonly EnvFamily[] = [
  { pattern: `${SUBGRAPH_URL_PREFIX}<NAME>`, defaultText: 'URL in the supergraph', description: "override one subgraph's URL, e.g. `SUBGRAPH_URL_ACCOUNTS=http://accounts:4101/graphql`; partner: where the operation-backed aggregates (`/v2/customers/:id`) reach it" },
];

export function graphqlRoutesEnvSpec(routes: Pick<FederatedGraphqlOptions, 'supergraphPath' | 'watchSupergraphMs' | 'limits' | 'deadlineMs' | 'warmUp' | 'maxFieldErrorsPerFetch' | 'executor' | 'directExecution' | 'trustedDocuments' | 'clientMetrics'>) {
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...routes.limits };
  const metricsLimits = { ...DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS, ...routes.clientMetrics };
  const trusted = routes.trustedDocuments;
  return {
    NODE_ENV: shownDefault(optionalText('`production` turns off introspection (unless `INTROSPECTION=true`), the landing page and field suggestions, and requires trusted documents on mobile'), '(development)'),
    SUPERGRAPH_PATH: text(
      'supergraph SDL to serve; any composed supergraph works. A missing or invalid file is retried every second while `/readyz` says why. Once serving, the file is checked every `SUPERGRAPH_WATCH_MS`: a changed supergraph is swapped in without a restart (requests already running finish on the old one); a broken one is refused, the previous keeps serving, and `/readyz`, the log and `portico_supergraph_reloads_total{outcome="failure"}` say so',
      routes.supergraphPath,
    ),
    SUPERGRAPH_URL: shownDefault(
      optionalHttpUrl(
        'fetch the supergraph from this URL instead (a schema registry, an artifact store); polled every `SUPERGRAPH_WATCH_MS` with `If-None-Match`, so an unchanged supergraph costs a 304. A URL that cannot be reached at start (or answers anything but 200/304, or more than 32 MiB, or not within 5 s) keeps the BFF not ready with `supergraph URL unreachable`; once serving, a failing URL leaves the current supergraph serving',
      ),
      '(none: the file)',
    ),
    SUBGRAPH_DEDUP: oneOf('`off` sends every subgraph query even when an identical one (same document, variables and identity headers) is already in flight', ['on', 'off'] as const, 'on'),
    SUPERGRAPH_WATCH_MS: integer('how often the supergraph file or URL is checked for changes, in ms; `0` = never (consider 10000 or more for a remote URL)', routes.watchSupergraphMs ?? DEFAULT_WATCH_SUPERGRAPH_MS, { min: 0, max: 86_400_000 }),
    GRAPHQL_DEADLINE_MS: integer(
      'overall deadline of one GraphQL request from its arrival, in ms: subgraph calls unfinished by then are abandoned (`UPSTREAM_TIMEOUT` on their fields) and the data already fetched is returned with those errors; keep it below `REQUEST_TIMEOUT_MS`',
      routes.deadlineMs ?? DEFAULT_GRAPHQL_DEADLINE_MS,
      { min: 1 },
    ),
    GRAPHQL_EXECUTOR: oneOf(
      "`apollo` runs every operation on Apollo Gateway's executor instead of Portico's; Portico's runs the plans compiled once per operation, and leaves the ones it does not run (`@defer`, subscriptions, `@fromContext`, schema introspection) to Apollo Gateway's, counted in `portico_graphql_plan_executions_total{executor,route}`",
      GRAPHQL_EXECUTORS,
      routes.executor ?? DEFAULT_GRAPHQL_EXECUTOR,
    ),
    GRAPHQL_DIRECT_EXECUTION: oneOf(
      "`off` sends every request through Apollo Server's request pipeline. `on`: a POST of an operation Apollo Server has already run on Portico's executor (same text and operation name) skips that pipeline, repeating its checks (authorization, operation limits and cost, variables) and writing the same answer; anything those checks refuse, and GET, batches and persisted queries, stay with Apollo Server. Counted in `portico_graphql_requests_total{pipeline}`",
      ['on', 'off'] as const,
      routes.directExecution === false ? 'off' : 'on',
    ),
    GRAPHQL_WARMUP: oneOf(
      "`off` skips the warm-up: otherwise, each supergraph (at start and on every reload) runs the BFF's registered operations (web's operation files, mobile's trusted documents) through its own pipeline before it serves, so their query plans and validated documents are cached and the hot path compiled before the first client waits; no subgraph is called, nothing is counted as traffic. An operation the supergraph refuses is logged and skipped, and `/readyz` (`graphql-warmup`) and `portico_graphql_warmup_operations` say how it went",
      ['on', 'off'] as const,
      routes.warmUp?.enabled === false ? 'off' : 'on',
    ),
    GRAPHQL_WARMUP_BUDGET_MS: integer('most time one warm-up may take, in ms; operations not reached by then are left to the first requests', routes.warmUp?.budgetMs ?? DEFAULT_WARMUP_BUDGET_MS, { min: 1, max: 600_000 }),
    GRAPHQL_WARMUP_REQUESTS: integer(
      "requests of the registered operations the BFF sends itself through its whole pipeline once its first supergraph serves, before it reports ready, so V8 has compiled the path its first clients take (within the warm-up budget). They are the BFF's own: their bearer token is signed by a key made at start and verified by a verifier trusting only that key, their rate-limit charge goes to a store of their own (no client's budget), no metrics, logs or traces see them, and their subgraph fetches go to stand-in subgraphs answering made-up data (no upstream is called); 0 = none",
      routes.warmUp?.requests ?? DEFAULT_WARMUP_REQUESTS,
      { min: 0, max: 100_000 },
    ),
    GRAPHQL_MAX_FIELD_ERRORS_PER_FETCH: integer(
      'most errors with a path one failed subgraph call adds to an answer (one per field it leaves null); past it, one error without a path stands for the rest, their number in `extensions.omittedPaths`',
      routes.maxFieldErrorsPerFetch ?? DEFAULT_MAX_FIELD_ERRORS_PER_FETCH,
      { min: 1 },
    ),
    GRAPHQL_METRICS_MAX_OPERATIONS: integer(
      'per-client metrics (`portico_graphql_operation_*`): most operation names labelled besides the registered operations and trusted documents, which always are; later names count as `__other`',
      metricsLimits.maxOperations,
      { min: 0, max: 100_000 },
    ),
    GRAPHQL_METRICS_MAX_CLIENTS: integer('per-client metrics: most client names (`apollographql-client-name` or `x-client-name`) labelled; later ones count as `__other`, malformed ones as `__invalid`', metricsLimits.maxClients, { min: 0, max: 10_000 }),
    GRAPHQL_METRICS_MAX_CLIENT_VERSIONS: integer('per-client metrics: most versions labelled per client name; later ones count as `__other`', metricsLimits.maxVersionsPerClient, { min: 0, max: 10_000 }),
    GRAPHQL_METRICS_MAX_SERIES: integer('per-client metrics: most (operation, client, version) combinations; a later one keeps its client and version and counts under operation `__other`', metricsLimits.maxSeries, { min: 1, max: 1_000_000 }),
    INTROSPECTION: shownDefault(oneOf('serve schema introspection (`true`/`false`; mobile introspects its contract)', ['true', 'false', 'default'] as const, 'default'), '`true` in development, `false` in production'),
    TRUSTED_DOCUMENTS_ONLY: shownDefault(oneOf('mobile: refuse documents that are not in the trusted documents manifest (`true`/`false`)', ['true', 'false', 'default'] as const, 'default'), '`true` in production'),
    TRUSTED_DOCUMENTS_CLIENT_MANIFESTS_DIR: shownDefault(
      optionalText(
        "mobile: folder of the imported client manifests, `<client>/<version>.json` (`npm run operations:import`); a request's `apollographql-client-name` (or `x-client-name`) chooses its client's manifests, and `apollographql-client-version` one version's when imported. A manifest that is not valid fails the start, naming the file",
      ),
      'mobile: `bffs/mobile/client-manifests`',
    ),
    TRUSTED_DOCUMENTS_UNKNOWN_CLIENTS: oneOf(
      "mobile: what a request whose client name has no imported manifest may run: `shared` (Portico's own manifest only) or `any` (every imported document too). The client name is not a credential: it selects documents, it grants nothing",
      ['shared', 'any'] as const,
      trusted?.unknownClients ?? DEFAULT_UNKNOWN_CLIENTS,
    ),
    TRUSTED_DOCUMENTS_MAX_MANIFEST_BYTES: integer('mobile: largest trusted documents manifest, in bytes; a larger one fails the import and the start', trusted?.maxManifestBytes ?? DEFAULT_MANIFEST_LIMITS.maxManifestBytes, { min: 1 }),
    TRUSTED_DOCUMENTS_MAX_OPERATIONS: integer('mobile: most operations in one trusted documents manifest; more fails the import and the start', trusted?.maxOperationsPerManifest ?? DEFAULT_MANIFEST_LIMITS.maxOperationsPerManifest, { min: 1 }),
    GRAPHQL_MAX_DEPTH: integer('operation limit: deepest field nesting', limits.maxDepth, { min: 1 }),
    GRAPHQL_MAX_ALIASES: integer('operation limit: most aliases per operation', limits.maxAliases, { min: 1 }),
    GRAPHQL_MAX_ROOT_FIELDS: integer('operation limit: most root fields per operation', limits.maxRootFields, { min: 1 }),
    GRAPHQL_MAX_DIRECTIVES_PER_FIELD: integer('operation limit: most directives on one field', limits.maxDirectivesPerField, { min: 1 }),
    GRAPHQL_MAX_COST: integer('operation limit: highest estimated operation cost', limits.maxCost, { min: 1 }),
    GRAPHQL_MAX_TOKENS: integer('operation limit: most lexical tokens per document', limits.maxTokens, { min: 1 }),
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
    deadlineMs: parsed.GRAPHQL_DEADLINE_MS,
    executor: parsed.GRAPHQL_EXECUTOR,
    directExecution: parsed.GRAPHQL_DIRECT_EXECUTION === 'on',
    warmUp: { enabled: parsed.GRAPHQL_WARMUP === 'on', budgetMs: parsed.GRAPHQL_WARMUP_BUDGET_MS, requests: parsed.GRAPHQL_WARMUP_REQUESTS },
    maxFieldErrorsPerFetch: parsed.GRAPHQL_MAX_FIELD_ERRORS_PER_FETCH,
    clientMetrics: {
      ...routes.clientMetrics,
      maxOperations: parsed.GRAPHQL_METRICS_MAX_OPERATIONS,
      maxClients: parsed.GRAPHQL_METRICS_MAX_CLIENTS,
      maxVersionsPerClient: parsed.GRAPHQL_METRICS_MAX_CLIENT_VERSIONS,
      maxSeries: parsed.GRAPHQL_METRICS_MAX_SERIES,
    },
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
      ? {
          trustedDocuments: {
            ...routes.trustedDocuments,
            requireTrusted: parsed.TRUSTED_DOCUMENTS_ONLY === 'default' ? production : parsed.TRUSTED_DOCUMENTS_ONLY === 'true',
            ...(parsed.TRUSTED_DOCUMENTS_CLIENT_MANIFESTS_DIR ? { clientManifestsDir: parsed.TRUSTED_DOCUMENTS_CLIENT_MANIFESTS_DIR } : {}),
            unknownClients: parsed.TRUSTED_DOCUMENTS_UNKNOWN_CLIENTS,
            maxManifestBytes: parsed.TRUSTED_DOCUMENTS_MAX_MANIFEST_BYTES,
            maxOperationsPerManifest: parsed.TRUSTED_DOCUMENTS_MAX_OPERATIONS,
          },
        }
      : {}),
  };
}
