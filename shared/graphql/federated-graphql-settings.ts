/**
 * The schema of a GraphQL BFF's routes (`manifest.routes` with `kind: 'graphql'`, i.e.
 * `FederatedGraphqlOptions`), composed from the limits, authorization, target and pool
 * schemas their owners declare.
 */
import { Type } from '@sinclair/typebox';
import { UpstreamPoolOptionsSchema } from '../upstream/upstream-pool-settings';
import { UpstreamTargetsSettingsSchema } from '../upstream/target-settings';
import { GraphqlAuthorizationSettingsSchema } from './authorization/authorization-policies';
import { DEFAULT_GRAPHQL_EXECUTOR, GRAPHQL_EXECUTORS } from './executor/plan-executor';
import { DEFAULT_MAX_FIELD_ERRORS_PER_FETCH } from './failed-fetch-errors';
import { DEFAULT_GRAPHQL_DEADLINE_MS, DEFAULT_GRAPHQL_PATH } from './federated-graphql-options';
import { DEFAULT_COST_PER_RATE_LIMIT_UNIT } from './operation-limits-plugin';
import { OperationLimitsSchema } from './operation-limits';
import { DEFAULT_LOAD_RETRY_MS, DEFAULT_WATCH_SUPERGRAPH_MS } from './supergraph-runtime';
import { TrustedDocumentsSettingsSchema } from './trusted-documents-settings';
import { DEFAULT_WARMUP_BUDGET_MS } from './warm-up';
import { DEFAULT_WARMUP_REQUESTS } from './warm-up-traffic';
import { DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS as METRICS_LIMITS } from '../observability/graphql-client-metrics';

/** Bounds of the per-client GraphQL metrics' label values (`FederatedGraphqlOptions.clientMetrics`). */
export const GraphqlClientMetricsSettingsSchema = Type.Object(
  {
    maxOperations: Type.Optional(Type.Integer({ minimum: 0, default: METRICS_LIMITS.maxOperations, description: 'Most operation names labelled besides the registered ones; later ones count as __other' })),
    maxClients: Type.Optional(Type.Integer({ minimum: 0, default: METRICS_LIMITS.maxClients, description: 'Most client names labelled; later ones count as __other' })),
    maxVersionsPerClient: Type.Optional(Type.Integer({ minimum: 0, default: METRICS_LIMITS.maxVersionsPerClient, description: 'Most versions labelled per client name; later ones count as __other' })),
    maxSeries: Type.Optional(Type.Integer({ minimum: 1, default: METRICS_LIMITS.maxSeries, description: 'Most (operation, client, version) combinations; later ones count under operation __other' })),
    maxErrorCodes: Type.Optional(Type.Integer({ minimum: 0, default: METRICS_LIMITS.maxErrorCodes, description: 'Most distinct error codes labelled; later ones count as __other' })),
  },
  { additionalProperties: false },
);

export const HttpUrlSchema = Type.String({ pattern: '^https?://[^\\s]+$', errorMessage: 'must be an http(s) URL' });

export const GraphqlRoutesSchema = Type.Object(
  {
    kind: Type.Literal('graphql'),
    supergraphPath: Type.String({ minLength: 1, description: 'Path of the composed supergraph SDL file' }),
    supergraphUrl: Type.Optional({ ...HttpUrlSchema, description: 'URL the supergraph is fetched and polled from, instead of the file' }),
    subgraphUrls: Type.Optional(Type.Record(Type.String(), HttpUrlSchema, { description: 'Subgraph URL overrides by subgraph name' })),
    subgraphTargets: Type.Optional(Type.Record(Type.String(), UpstreamTargetsSettingsSchema, { description: 'Subgraphs served by several weighted targets, by name' })),
    dedupeSubgraphQueries: Type.Optional(Type.Boolean({ default: true, description: 'Identical subgraph queries in flight share one call' })),
    subgraphPools: Type.Optional(
      Type.Object({ all: Type.Optional(UpstreamPoolOptionsSchema), subgraphs: Type.Optional(Type.Record(Type.String(), UpstreamPoolOptionsSchema)) }, { additionalProperties: false }),
    ),
    deadlineMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_GRAPHQL_DEADLINE_MS, description: 'Overall deadline of one request, in ms: unfinished subgraph calls are then abandoned and the partial answer returned with errors' }),
    ),
    executor: Type.Optional(
      Type.Union(
        GRAPHQL_EXECUTORS.map((kind) => Type.Literal(kind)),
        { default: DEFAULT_GRAPHQL_EXECUTOR, description: "Which executor runs query plans: Portico's (plans it does not run go to Apollo Gateway's, counted) or Apollo Gateway's for every operation" },
      ),
    ),
    directExecution: Type.Optional(
      Type.Boolean({ default: true, description: "Answer repeated operations on Portico's executor without Apollo Server's request pipeline (same checks, same answers); Apollo Server answers everything else" }),
    ),
    maxFieldErrorsPerFetch: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_MAX_FIELD_ERRORS_PER_FETCH, description: 'Most errors with a path one failed subgraph fetch adds; past it one error counts the rest in extensions.omittedPaths' }),
    ),
    path: Type.Optional(Type.String({ pattern: '^/', errorMessage: 'must start with /', default: DEFAULT_GRAPHQL_PATH, description: 'Route path' })),
    introspection: Type.Optional(Type.Boolean({ default: false, description: 'Serve schema introspection' })),
    production: Type.Optional(Type.Boolean({ default: false, description: 'No landing page, no field suggestions in errors' })),
    limits: Type.Optional(OperationLimitsSchema),
    costPerRateLimitUnit: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: DEFAULT_COST_PER_RATE_LIMIT_UNIT, description: 'Estimated cost covered by one rate-limit unit' })),
    persistedQueries: Type.Optional(Type.Boolean({ default: true, description: 'Automatic persisted queries' })),
    allowBatching: Type.Optional(Type.Boolean({ default: false, description: 'Accept JSON arrays of operations in one request' })),
    contract: Type.Optional(Type.Object({ schemaPath: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    operationsDir: Type.Optional(Type.String({ minLength: 1, description: "Folder of the client's registered operations, warmed before a supergraph serves" })),
    warmUp: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ default: true, description: 'Warm the registered operations (and trusted documents) before a supergraph serves' })),
          budgetMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_WARMUP_BUDGET_MS, description: 'Most time one warm-up may take, in ms' })),
          requests: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: DEFAULT_WARMUP_REQUESTS, description: 'Requests of the registered operations the BFF sends itself through its pipeline before it first reports ready; 0 = none' })),
        },
        { additionalProperties: false },
      ),
    ),
    trustedDocuments: Type.Optional(TrustedDocumentsSettingsSchema),
    loadRetryMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_LOAD_RETRY_MS, description: 'Wait between attempts while the supergraph is missing or invalid, in ms' })),
    watchSupergraphMs: Type.Optional(Type.Integer({ minimum: 0, default: DEFAULT_WATCH_SUPERGRAPH_MS, description: 'How often the supergraph is checked for changes, in ms; 0 = never' })),
    authorization: Type.Optional(GraphqlAuthorizationSettingsSchema),
    clientMetrics: Type.Optional(GraphqlClientMetricsSettingsSchema),
  },
  { additionalProperties: false },
);
