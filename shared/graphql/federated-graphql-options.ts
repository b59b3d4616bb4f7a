/** The options of the federated GraphQL route (web and mobile BFFs). */
import type { GraphqlAuthorizationSettings } from './authorization/authorization-policies';
import type { OperationLimits } from './operation-limits';
import type { UpstreamTargetsSettings } from '../upstream/target-settings';
import type { UpstreamPoolOptions } from '../upstream/upstream-pool';
import type { WarmUpSettings } from './warm-up';
import type { TrustedDocumentsSettings } from './trusted-documents-settings';
import type { GraphqlExecutorKind } from './executor/plan-executor';
import type { GraphqlClientMetricsLimits } from '../observability/graphql-client-metrics';

export interface FederatedGraphqlOptions {
  /** Path of the composed supergraph SDL file. */
  supergraphPath: string;
  /** URL the supergraph is fetched from instead of the file (polled every `watchSupergraphMs`, with `If-None-Match`). Default: none. */
  supergraphUrl?: string;
  /** Subgraph URL overrides by subgraph name; others use the URL in the supergraph. */
  subgraphUrls?: Readonly<Record<string, string>>;
  /**
   * Subgraphs served by several weighted targets (canary, discovery, health checks), by
   * subgraph name; the endpoints replace the URL's origin, its path stays. Default: none.
   */
  subgraphTargets?: Readonly<Record<string, UpstreamTargetsSettings>>;
  /** Identical subgraph queries in flight at once (same document, variables and identity headers) share one call. Default true. */
  dedupeSubgraphQueries?: boolean;
  /** Pool settings for every subgraph (`all`) and per subgraph by name. */
  subgraphPools?: { all?: UpstreamPoolOptions; subgraphs?: Readonly<Record<string, UpstreamPoolOptions>> };
  /**
   * Overall deadline of one GraphQL request, from its arrival, in ms: subgraph calls still
   * unfinished then are abandoned with UPSTREAM_TIMEOUT (calls not yet started fail at once),
   * and the answer holds the data already fetched with errors for the rest. Default 10,000.
   */
  deadlineMs?: number;
  /**
   * Which executor runs query plans: Portico's (compiled per operation; plans it does not
   * run go to Apollo Gateway's, counted in `portico_graphql_plan_executions_total`) or
   * Apollo Gateway's for every operation. Default `portico`.
   */
  executor?: GraphqlExecutorKind;
  /**
   * Whether a request for an operation Apollo Server already ran on Portico's executor is
   * answered without Apollo Server's request pipeline, with the same checks and the same
   * answer (direct-execution.ts). Only with Portico's executor and no response cache. Default true.
   */
  directExecution?: boolean;
  /**
   * Most errors with a path that one failed subgraph fetch adds to the answer (one per field
   * it leaves null); past it, one error without a path counts the rest (`extensions.omittedPaths`).
   * Default 100.
   */
  maxFieldErrorsPerFetch?: number;
  /** Route path. Default `/graphql`. */
  path?: string;
  /** Serve schema introspection. Default false. */
  introspection?: boolean;
  /** Production mode: no landing page, no field suggestions in errors. Default false. */
  production?: boolean;
  /** Operation limits (depth, aliases, root fields, directives, cost, tokens); unset keys use the defaults. */
  limits?: Partial<OperationLimits>;
  /** Estimated cost covered by one rate-limit unit. Default 100. */
  costPerRateLimitUnit?: number;
  /** Automatic persisted queries (hash-registered queries). Default true. */
  persistedQueries?: boolean;
  /** Accept JSON arrays of operations in one request. Default false (a batch multiplies the work behind one request). */
  allowBatching?: boolean;
  /** Serve a contract: operations validate and introspection answers against this schema file. */
  contract?: { schemaPath: string };
  /**
   * Folder of the client's registered operations (`*.graphql`, one named operation each),
   * warmed before a supergraph serves. The trusted documents are warmed too. Default: none.
   */
  operationsDir?: string;
  /** Warm-up of the registered operations before a supergraph serves (start and every reload). Default: on, 10,000 ms budget. */
  warmUp?: WarmUpSettings;
  /** Trusted documents: Portico's manifest and the imported client manifests; with `requireTrusted` (production) nothing else runs. */
  trustedDocuments?: TrustedDocumentsSettings;
  /** Wait between attempts while the supergraph file is missing or invalid, in ms. Default 1,000. */
  loadRetryMs?: number;
  /** How often the supergraph file is checked for changes once loaded, in ms; 0 turns hot reload off. Default 1,000. */
  watchSupergraphMs?: number;
  /**
   * Bounds of the per-client metrics' label values (`portico_graphql_operation_*`): operation
   * names besides the registered ones, client names, versions per client, combinations, error
   * codes. Default `DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS`: 500, 50, 20, 2,000, 50.
   */
  clientMetrics?: Partial<GraphqlClientMetricsLimits>;
  /**
   * Enforcement of the supergraph's `@authenticated`, `@requiresScopes` and `@policy`
   * (always on): the rules `@policy` names refer to, and whether an operation with an
   * unauthorized field is refused whole. Default: no policies, unauthorized fields answer null.
   */
  authorization?: GraphqlAuthorizationSettings;
}

export const DEFAULT_GRAPHQL_PATH = '/graphql';

/** A third of the default request timeout, and no longer than one subgraph call's own deadline. */
export const DEFAULT_GRAPHQL_DEADLINE_MS = 10_000;

/** The IDE page is served in development where introspection is on; never in production. */
export function landingPageEnabled(opts: FederatedGraphqlOptions): boolean {
  return !opts.production && opts.introspection === true;
}
