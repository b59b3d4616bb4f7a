/**
 * Portico's query-plan executor, installed in place of Apollo Gateway's. Apollo Gateway
 * still loads the supergraph and plans operations (its planner, Portico's plan cache);
 * Portico runs the plans (plan-execution.ts) and shapes the response (response-projection.ts),
 * both compiled once per operation and kept beside it, so a request costs one map lookup
 * before its subgraph calls. Plans this executor does not run (`@defer`, subscriptions,
 * `@fromContext`) and operations it does not shape (schema introspection) go to Apollo
 * Gateway's executor, chosen once per operation and counted by reason.
 */
import { createHash } from 'node:crypto';
import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { GraphQLError, Kind, getVariableValues, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { TraceScope } from '../../observability/tracing';
import type { QueryPlanCache } from '../query-plan-cache';
import { compilePlan, UnsupportedPlanError, type CompiledPlan } from './plan-execution';
import { OperationProjection } from './response-projection';
import { hasIntrospection, literalDefaults, runCompiledOperation, subgraphSender } from './compiled-operation';

/** Which executor runs GraphQL operations: Portico's (default) or Apollo Gateway's for every operation. */
export type GraphqlExecutorKind = 'portico' | 'apollo';
export const GRAPHQL_EXECUTORS: readonly GraphqlExecutorKind[] = ['portico', 'apollo'];
export const DEFAULT_GRAPHQL_EXECUTOR: GraphqlExecutorKind = 'portico';

/** Why an operation ran where it ran: `compiled` on Portico's executor, otherwise the feature it left to Apollo Gateway's. */
export type ExecutionRoute = 'compiled' | '@defer' | 'subscription' | '@fromContext' | 'introspection' | 'configured';

export interface PlanExecutorOptions {
  /** The plan cache the gateway was configured with (shared, so warm-up and fallback plans serve both). */
  planCache: QueryPlanCache;
  /** Called when an operation reaches the planner's result (the warm-up's signal). */
  didResolveQueryPlan?: (args: { requestContext: { context: unknown } }) => void;
  /** Counts each execution by route. */
  onExecution: (route: ExecutionRoute) => void;
  /** Called when a request finds its plan beside its compiled operation (a plan cache hit that skipped the cache). */
  onPlanKept?: () => void;
}

type Executor = ApolloGateway['executor'];
type ExecutorRequestContext = Parameters<Executor>[0];
type ExecutorResult = Awaited<ReturnType<Executor>>;

/** Most operations whose compiled form is kept (each a projection and a compiled plan). */
const COMPILED_OPERATIONS = 2_000;

interface CompiledOperation {
  planKey: string;
  projection?: OperationProjection;
  variableDefaults: ReadonlyMap<string, unknown>;
  hasVariables: boolean;
  /** Set once the plan is known: Portico's compiled plan, or the reason Apollo Gateway's executor runs it. */
  plan?: CompiledPlan | Exclude<ExecutionRoute, 'compiled'>;
  /** The planning under way: concurrent first requests wait for one plan (and then send their fetches together). */
  planning?: Promise<CompiledPlan | Exclude<ExecutionRoute, 'compiled'>>;
}

/** What a compiled operation needs of a request to run. */
export interface CompiledRequest {
  variables: Record<string, unknown>;
  /** The gateway context handed to the subgraph data sources. */
  context: unknown;
  /** What the data sources read of Apollo Server's request context: `overallCachePolicy`, restricted by each subgraph's `Cache-Control`. */
  incomingRequestContext: unknown;
}

/** Runs an operation whose compiled form and plan are kept. */
export type PreparedExecution = (request: CompiledRequest) => Promise<ExecutorResult>;

/** Portico's executor as seen from outside Apollo Server (direct execution, direct-execution.ts). */
export interface PlanExecutor {
  /**
   * The run of an operation this executor has already compiled and planned (Apollo Server
   * ran it once), with `variables` valid for it; undefined when it has not, when Apollo
   * Gateway's executor runs it, or when the variables are invalid: Apollo Server answers.
   */
  prepare(queryHash: string, operationName: string | undefined, operation: OperationDefinitionNode, schema: GraphQLSchema, variables: Record<string, unknown>): PreparedExecution | undefined;
}

/** The gateway's planner and API schema: not public API, read once and checked. */
function plannerOf(gateway: ApolloGateway): { planner: QueryPlanner; apiSchema: Schema; supergraphSchema: GraphQLSchema; limits: { recursiveSelectionsLimitDisabled: boolean; nonLocalSelectionsLimitDisabled: boolean }; dataSource(name: string): GraphQLDataSource } {
  const internals = gateway as unknown as {
    queryPlanner?: QueryPlanner;
    apiSchema?: Schema;
    supergraphSchema?: GraphQLSchema;
    recursiveSelectionsLimitDisabled?: boolean;
    nonLocalSelectionsLimitDisabled?: boolean;
    serviceMap?: Record<string, { dataSource: GraphQLDataSource }>;
  };
  const { queryPlanner, apiSchema, supergraphSchema, serviceMap } = internals;
  if (!queryPlanner || !apiSchema || !supergraphSchema || !serviceMap) throw new Error('Apollo Gateway has not loaded a supergraph (or its internals changed): no query planner, API schema or service map');
  return {
    planner: queryPlanner,
    apiSchema,
    // The whole supergraph, `@inaccessible` types included: `@requires` type conditions may name them.
    supergraphSchema,
    limits: { recursiveSelectionsLimitDisabled: internals.recursiveSelectionsLimitDisabled ?? false, nonLocalSelectionsLimitDisabled: internals.nonLocalSelectionsLimitDisabled ?? false },
    dataSource(name) {
      const service = serviceMap[name];
      if (!service) throw new Error(`Couldn't find service with name "${name}"`);
      return service.dataSource;
    },
  };
}

/**
 * Replaces `gateway.executor` (before the Apollo Server over it starts: the server takes
 * the executor when it loads the gateway).
 */
export function installPlanExecutor(gateway: ApolloGateway, opts: PlanExecutorOptions): PlanExecutor {
  const apolloExecutor = gateway.executor;
  const operations = new LRUCache<string, CompiledOperation>({ max: COMPILED_OPERATIONS });
  const plans = new WeakMap<QueryPlan, CompiledPlan | Exclude<ExecutionRoute, 'compiled'>>();
  let internals: ReturnType<typeof plannerOf> | undefined;

  const compileOperation = (requestContext: ExecutorRequestContext): CompiledOperation => {
    const { request, queryHash, operation, document, schema } = requestContext;
    const planKey = request.operationName ? createHash('sha256').update(queryHash).update(request.operationName).digest('hex') : queryHash;
    const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
    const op = operation as OperationDefinitionNode;
    const compiled: CompiledOperation = { planKey, variableDefaults: literalDefaults(op, schema), hasVariables: (op.variableDefinitions?.length ?? 0) > 0 };
    if (hasIntrospection(op, fragments)) compiled.plan = 'introspection';
    else compiled.projection = new OperationProjection(schema, op, fragments);
    return compiled;
  };

  const planOf = async (compiled: CompiledOperation, requestContext: ExecutorRequestContext): Promise<CompiledPlan | Exclude<ExecutionRoute, 'compiled'>> => {
    internals ??= plannerOf(gateway);
    let plan = await opts.planCache.get(compiled.planKey);
    if (!plan) {
      const span = (requestContext.context as { trace?: TraceScope } | undefined)?.trace?.child('graphql.plan');
      try {
        const operation = operationFromDocument(internals.apiSchema, requestContext.document as DocumentNode, { operationName: requestContext.request.operationName });
        plan = internals.planner.buildQueryPlan(operation, internals.limits);
      } catch (err) {
        span?.end(err);
        throw err;
      }
      span?.end();
      await opts.planCache.set(compiled.planKey, plan);
    }
    let runnable = plans.get(plan);
    if (!runnable) {
      try {
        runnable = compilePlan(plan, internals.supergraphSchema);
      } catch (err) {
        if (!(err instanceof UnsupportedPlanError)) throw err;
        runnable = err.message as Exclude<ExecutionRoute, 'compiled'>;
      }
      plans.set(plan, runnable);
    }
    return runnable;
  };

  /** Runs a compiled plan and shapes its answer (variables already checked). */
  const runCompiled = async (compiled: CompiledOperation, plan: CompiledPlan, request: CompiledRequest): Promise<ExecutorResult> => {
    // Warm-up runs are not traffic.
    if (!isWarmUp(request)) opts.onExecution('compiled');
    const data = internals as ReturnType<typeof plannerOf>;
    const send = subgraphSender((name) => data.dataSource(name), request.context, request.incomingRequestContext);
    return runCompiledOperation({ plan, projection: compiled.projection as OperationProjection, variableDefaults: compiled.variableDefaults }, request.variables, send);
  };

  gateway.executor = async (requestContext): Promise<ExecutorResult> => {
    const { request, schema } = requestContext;
    // No operation to run. Answered as errors, which Apollo Server reports as the client's
    // mistake (400, OPERATION_RESOLUTION_FAILURE); Apollo Gateway's executor throws them, a 500.
    if (!requestContext.operation) {
      const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
      return { errors: [new GraphQLError(message)] };
    }
    const key = operationKey(requestContext.queryHash, request.operationName);
    let compiled = operations.get(key);
    if (!compiled) {
      compiled = compileOperation(requestContext);
      operations.set(key, compiled);
    }
    if (compiled.hasVariables) {
      // Variables are checked against their definitions before anything is planned or sent.
      const { errors } = getVariableValues(schema, (requestContext.operation as OperationDefinitionNode).variableDefinitions ?? [], request.variables ?? {});
      if (errors) return { errors };
    }
    if (typeof compiled.plan !== 'object' && compiled.plan !== undefined) {
      opts.onExecution(compiled.plan);
      return apolloExecutor(requestContext);
    }
    let plan: CompiledPlan | Exclude<ExecutionRoute, 'compiled'>;
    if (compiled.plan) {
      plan = compiled.plan;
      opts.onPlanKept?.();
    } else {
      const op = compiled;
      op.planning ??= planOf(op, requestContext).finally(() => {
        op.planning = undefined;
      });
      plan = op.plan = await op.planning;
    }
    opts.didResolveQueryPlan?.({ requestContext: requestContext as { context: unknown } });
    if (typeof plan !== 'object') {
      opts.onExecution(plan);
      return apolloExecutor(requestContext);
    }
    return runCompiled(compiled, plan, { variables: request.variables ?? {}, context: requestContext.context, incomingRequestContext: requestContext });
  };

  return {
    prepare(queryHash, operationName, operation, schema, variables) {
      const compiled = operations.get(operationKey(queryHash, operationName));
      const plan = compiled?.plan;
      if (!compiled || typeof plan !== 'object') return undefined;
      if (compiled.hasVariables && getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return undefined;
      return (request) => {
        if (!isWarmUp(request)) opts.onPlanKept?.();
        return runCompiled(compiled, plan, request);
      };
    },
  };
}

function isWarmUp(request: CompiledRequest): boolean {
  return (request.context as { warmUp?: unknown } | null)?.warmUp !== undefined;
}

/** The whole supergraph schema of a gateway that has loaded one (every subgraph's types and fields, `@inaccessible` ones included). */
export function supergraphSchemaOf(gateway: ApolloGateway): GraphQLSchema {
  return plannerOf(gateway).supergraphSchema;
}

function operationKey(queryHash: string, operationName: string | null | undefined): string {
  return `${queryHash}\u0000${operationName ?? ''}`;
}
