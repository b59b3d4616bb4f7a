/**
 * One loaded supergraph, ready to serve: Apollo Gateway (built only by
 * `createAuthorizedGateway`) under Apollo Server with Portico's plugins, its Fastify
 * handler, and the readiness checks of its subgraphs. Subgraph calls go through the app's
 * upstream registry, whose clients outlive any one supergraph: a reload keeps their
 * keep-alive sockets, breakers, budgets and targets' health state.
 */
import { createHash } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReadinessCheck } from '../observability/health';
import { principalCacheScope } from '../policies/authn/principal';
import { graphqlResponseCachePlugins } from '../policies/response-cache/graphql-response-cache';
import { graphqlReportOf, routingInputOf } from '../request-context';
import type { UpstreamRegistry } from '../upstream/upstream-registry';
import { createAuthorizedGateway } from './authorization/authorized-gateway';
import { contractIntrospectionPlugin, contractValidationRule, loadContractSchema } from './contract';
import { DEFAULT_GRAPHQL_DEADLINE_MS, landingPageEnabled, type FederatedGraphqlOptions } from './federated-graphql-options';
import { formatClientError } from './format-error';
import type { GatewayContext } from './gateway-context';
import { LANDING_PAGE_AUTHORIZATION_HINT, LANDING_PAGE_DOCUMENT } from './landing-page';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits';
import { operationLimitsPlugin } from './operation-limits-plugin';
import { startWarmUpUpstreams, type WarmUpUpstreams } from './warm-up-upstreams';
import { DEFAULT_GRAPHQL_EXECUTOR, installPlanExecutor, supergraphSchemaOf, type ExecutionRoute, type PlanExecutor } from './executor/plan-executor';
import { createDirectExecution } from './direct-execution';
import { createQueryPlanCache } from './query-plan-cache';
import { createWarmUpResponder } from './warm-up-answers';
import { SubgraphDataSource } from './subgraph-data-source';
import { graphqlTracingPlugin } from './graphql-tracing-plugin';
import { DEFAULT_WARMUP_BUDGET_MS, warmUpVariables, type RegisteredOperation, type WarmUpReport } from './warm-up';
import type { WarmUpRequest } from './warm-up-traffic';
import { markWarmUpPlanned, warmUpApolloServer } from './warm-up-apollo';

export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface SupergraphServer {
  apollo: ApolloServer<GatewayContext>;
  handler: RouteHandler;
  /** Readiness checks of its subgraphs, registered while it serves. */
  probes: Array<[string, ReadinessCheck]>;
  /** How its warm-up went; undefined when warm-up is off. */
  warmUp?: WarmUpReport;
  /** The operations its warm-up planned, with variables they accept: what the warm-up's requests send (warm-up-traffic.ts). */
  warmUpRequests?: WarmUpRequest[];
  /** Stand-in subgraphs for the warm-up's requests (warm-up-upstreams.ts): started before they are sent, stopped after. */
  standInSubgraphs?: { start(): Promise<void>; stop(): Promise<number> };
}

/** Adds the request id to every error so a client report can be matched to the logs. */
const requestIdOnErrors: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ contextValue }) {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
        for (const error of response.body.singleResult.errors) {
          (error.extensions as Record<string, unknown> | undefined ?? {}).requestId = contextValue.requestId;
        }
      },
    };
  },
};

/** Notes the operation Apollo Server resolved and the first error code of its answer, for the per-client metrics (direct execution notes its own). */
const reportingListener: GraphQLRequestListener<GatewayContext> = {
  async didResolveOperation({ operationName, contextValue }) {
    if (contextValue.report) contextValue.report.operation = operationName ?? '';
  },
  async willSendResponse({ response, contextValue }) {
    const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
    const code = errors?.[0]?.extensions?.code;
    if (errors && errors.length > 0 && contextValue.report) contextValue.report.errorCode = typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  },
};
const operationReporting: ApolloServerPlugin<GatewayContext> = {
  // One listener for every request: it keeps nothing of its own.
  async requestDidStart() {
    return reportingListener;
  },
};

/**
 * Builds the server of one supergraph text and warms `registered` on it (unless warm-up
 * is off); rejects when the text is invalid or its authorization rules are.
 */
export async function createSupergraphServer(
  app: FastifyInstance,
  opts: FederatedGraphqlOptions,
  upstreams: UpstreamRegistry,
  sdl: string,
  registered: readonly RegisteredOperation[] = [],
): Promise<SupergraphServer> {
  const probes: Array<[string, ReadinessCheck]> = [];
  // The rules and the SDL the gateway loads come from this one text (a load error when a policy is undeclared).
  const planCache = createQueryPlanCache((result) => app.metrics.queryPlanCache.inc({ result }));
  const { gateway, supergraph, plugin: authorization, check: authorizationCheck } = createAuthorizedGateway<GatewayContext>(sdl, opts.authorization, {
    logger: app.log,
    queryPlannerConfig: { cache: planCache },
    // The warm-up learns here that its operation reached the planner and has a cached plan.
    experimental_didResolveQueryPlan: markWarmUpPlanned,
    buildService: ({ name, url }) => {
      const target = opts.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`subgraph '${name}' has no URL in the supergraph and no override`);
      // Several targets replace the URL's origin (its path stays); otherwise the URL's origin is the one target.
      const parsed = new URL(target);
      const upstream = upstreams.withTargets(name) ?? upstreams.atOrigin(name, parsed.origin);
      const path = `${parsed.pathname}${parsed.search}`;
      probes.push([`subgraph:${name}`, upstream.probe('graphql', path)]);
      return new SubgraphDataSource({ name, url: target, upstream, dedupe: opts.dedupeSubgraphQueries ?? true, maxFieldErrorsPerFetch: opts.maxFieldErrorsPerFetch });
    },
  });
  let planExecutor: PlanExecutor | undefined;
  if ((opts.executor ?? DEFAULT_GRAPHQL_EXECUTOR) === 'portico') {
    const planHit = app.metrics.queryPlanCache.labels('hit');
    planExecutor = installPlanExecutor(gateway, { planCache, didResolveQueryPlan: markWarmUpPlanned, onExecution: countedExecutions(app), onPlanKept: () => planHit.inc() });
  } else {
    const apolloExecutor = gateway.executor;
    const configured = app.metrics.planExecutions.labels('apollo', 'configured');
    gateway.executor = (requestContext) => {
      configured.inc();
      return apolloExecutor(requestContext);
    };
  }
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...opts.limits };
  const contract = opts.contract ? loadContractSchema(opts.contract.schemaPath) : undefined;
  // Only subgraphs with several targets route by caller.
  const routed = upstreams.hasTargets;
  // The cache scope is only worked out when there is a cache to key.
  const scopeCache = app.responseCache !== undefined;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_GRAPHQL_DEADLINE_MS;
  // The BFF's own warm-up requests get made-up subgraph answers: no upstream is called (made once the gateway has loaded).
  let warmUpAnswer: ReturnType<typeof createWarmUpResponder> | undefined;
  const warmUpResponder = () => (warmUpAnswer ??= createWarmUpResponder(supergraphSchemaOf(gateway)));
  // While the warm-up's requests run, their fetches go through stand-in subgraph clients (warm-up-upstreams.ts).
  let standIns: WarmUpUpstreams | undefined;
  const warmUpContext = (): NonNullable<GatewayContext['warmUp']> => ({ planned: false, answer: warmUpResponder(), ...(standIns ? { upstream: standIns.upstreamFor } : {}) });
  const contextOf = async (request: FastifyRequest, reply: FastifyReply): Promise<GatewayContext> => ({
    // The deadline is a time, not a timer: each subgraph call gets what is left of it.
    deadlineAt: performance.now() - reply.elapsedTime + deadlineMs,
    requestId: request.id,
    forwardHeaders: request.upstreamHeaders ?? {},
    report: graphqlReportOf(request),
    ...(request.principal ? { principal: request.principal } : {}),
    ...(request.chargeRateLimit ? { chargeRateLimit: request.chargeRateLimit } : {}),
    ...(scopeCache && request.principal ? { cacheScope: principalCacheScope(request.principal) } : {}),
    ...(routed ? { routing: routingInputOf(request) } : {}),
    ...(request.trace ? { trace: request.trace } : {}),
    // Present on every context, undefined on a client's: a warm-up's context then has the same
    // shape as a client's, so what V8 compiled on the warm-up's is what a client's runs.
    warmUp: request.warmUp ? warmUpContext() : undefined,
  });
  // Answers from the response cache are Apollo Server plugins' work: with a cache, every request goes through it.
  const direct =
    planExecutor && opts.directExecution !== false && !app.responseCache
      ? createDirectExecution({ executor: planExecutor, authorization: authorizationCheck, limits, costPerRateLimitUnit: opts.costPerRateLimitUnit, formatError: (formatted) => formatClientError(formatted), contextOf, onRequest: countedRequests(app) })
      : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: app.log,
    introspection: opts.introspection ?? false,
    // Browsers can send "simple" cross-site requests without a preflight; those are refused.
    csrfPrevention: true,
    allowBatchedHttpRequests: opts.allowBatching ?? false,
    persistedQueries: opts.persistedQueries === false ? false : {},
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: contract ? [contractValidationRule(contract)] : [],
    includeStacktraceInErrorResponses: false,
    // The process lifecycle (shared/lifecycle.ts) owns signals; Apollo's own handler would
    // re-raise the signal and cut the graceful drain short.
    stopOnTerminationSignals: false,
    formatError: (formatted) => formatClientError(formatted),
    plugins: [
      // First: its spans open before any other plugin's work on the phase.
      ...(app.tracing ? [graphqlTracingPlugin] : []),
      landingPageEnabled(opts)
        ? ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: false }, headers: { authorization: LANDING_PAGE_AUTHORIZATION_HINT }, document: LANDING_PAGE_DOCUMENT, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...(opts.production ? [ApolloServerPluginDisableSuggestions()] : []),
      // Before the request id is added to errors (it adds it to the authorization errors too) and before the cache is consulted.
      authorization,
      requestIdOnErrors,
      operationReporting,
      ...(contract ? [contractIntrospectionPlugin(contract)] : []),
      operationLimitsPlugin(limits, opts.costPerRateLimitUnit),
      // Last: limits and costs are checked and charged before a cached answer is served.
      // Entries are keyed by the supergraph too: a reload never serves answers shaped by the old schema.
      ...(app.responseCache ? graphqlResponseCachePlugins<GatewayContext>(app.responseCache, createHash('sha256').update(sdl).digest('base64url')) : []),
      ...(direct ? [direct.plugin] : []),
    ],
  });
  await apollo.start();
  const apolloHandler = fastifyApolloHandler<GatewayContext>(apollo, { context: direct ? direct.contextOf : contextOf }) as unknown as RouteHandler;
  const requestsViaApollo = app.metrics.graphqlRequests.labels('apollo-server');
  const handler: RouteHandler = direct
    ? direct.handler(apolloHandler)
    : (request, reply) => {
        if (!request.warmUp) requestsViaApollo.inc();
        return apolloHandler(request, reply);
      };
  const warmUp = opts.warmUp?.enabled === false || registered.length === 0 ? undefined : await warmUpApolloServer(app.log, apollo, supergraph.apiSchema, registered, opts.warmUp?.budgetMs ?? DEFAULT_WARMUP_BUDGET_MS);
  if (!warmUp) return { apollo, handler, probes };
  const planned = new Set(warmUp.planned);
  const warmUpRequests = registered.filter((o) => planned.has(o.name)).map((o) => ({ ...o, variables: warmUpVariables(supergraph.apiSchema, o.body, o.name) }));
  const standInSubgraphs = {
    start: async () => {
      standIns ??= await startWarmUpUpstreams(warmUpResponder());
    },
    stop: async () => {
      const running = standIns;
      standIns = undefined;
      await running?.close();
      return running?.fetches ?? 0;
    },
  };
  return { apollo, handler, probes, warmUp, warmUpRequests, standInSubgraphs };
}

/** Counts requests by pipeline, through children bound once. */
function countedRequests(app: FastifyInstance): (pipeline: 'direct' | 'apollo-server') => void {
  const direct = app.metrics.graphqlRequests.labels('direct');
  const apolloServer = app.metrics.graphqlRequests.labels('apollo-server');
  return (pipeline) => (pipeline === 'direct' ? direct : apolloServer).inc();
}

/** Counts executions by route, through children bound once (no label lookup per request). */
function countedExecutions(app: FastifyInstance): (route: ExecutionRoute) => void {
  const compiled = app.metrics.planExecutions.labels('portico', 'compiled');
  return (route) => {
    if (route === 'compiled') compiled.inc();
    else app.metrics.planExecutions.inc({ executor: 'apollo', route });
  };
}

export async function stopSupergraphServer(supergraph: SupergraphServer): Promise<void> {
  await supergraph.apollo.stop();
}
