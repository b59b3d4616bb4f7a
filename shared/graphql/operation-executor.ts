/**
 * Runs registered GraphQL operations against the supergraph from inside a REST BFF, for
 * aggregate endpoints whose data is a federated query. The operations are known at build
 * time, so all the work that does not depend on a request is done at start: each operation
 * is validated against the supergraph, planned by Apollo's query planner and compiled for
 * Portico's executor (executor/). A schema change that breaks one, or a plan Portico's
 * executor does not run, stops the process with the operation's name instead of failing
 * requests.
 *
 * A request then goes through the checks Apollo Server's pipeline made for it, in its
 * order: the operation limits with the request's variables, the supergraph's authorization
 * rules for the caller (fields it may not read come back null, from a plan of the reduced
 * document, as on the GraphQL BFFs), the variables against their definitions; then the
 * plan's subgraph calls through the subgraphs' data sources. Its answers and errors match
 * the Apollo Server and Apollo Gateway path this replaced
 * (test/integration/operation-executor-differential.test.ts).
 *
 * Neither Apollo Server nor Apollo Gateway is loaded: with what they load at start
 * (OpenTelemetry metrics, cloud resource detectors, fetch and protobuf libraries) they
 * were about a third of a partner process's memory.
 */
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { GraphQLError, Kind, getVariableValues, parse, print, specifiedRules, validate, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ERROR_CATALOGUE, PorticoError, type ErrorCode } from '../errors';
import type { UpstreamPoolOptions } from '../upstream/upstream-pool';
import type { UpstreamRegistry } from '../upstream/upstream-registry';
import { createAuthorizationCheck } from './authorization/authorization-check';
import { assertPoliciesDeclared, type GraphqlAuthorizationSettings } from './authorization/authorization-policies';
import type { AuthorizationOutcome } from './authorization/authorize-operation';
import { completeUnauthorizedFields, UNAUTHORIZED_FIELD_OR_TYPE } from './authorization/complete-unauthorized';
import { prepareSupergraph } from './authorization/supergraph-authorization';
import { hasIntrospection, literalDefaults, runCompiledOperation, subgraphSender, type OperationResult, type RunnableOperation } from './executor/compiled-operation';
import { compilePlan, UnsupportedPlanError } from './executor/plan-execution';
import { OperationProjection } from './executor/response-projection';
import { createSupergraphPlanner, type SupergraphPlanner } from './executor/supergraph-planner';
import type { GatewayContext } from './gateway-context';
import { operationAttributes } from './graphql-tracing-plugin';
import { DEFAULT_OPERATION_LIMITS, fragmentsOf } from './operation-limits';
import { chargeOperation, operationCharge } from './operation-limits-plugin';
import { readOperationFiles } from './operation-files';
import { SubgraphDataSource } from './subgraph-data-source';
import { DEFAULT_WARMUP_BUDGET_MS, warmUpVariables, type WarmUpSettings } from './warm-up';
import { createWarmUpResponder } from './warm-up-answers';

export interface OperationExecutorOptions {
  supergraphPath: string;
  /** Folder of `*.graphql` files, one named operation each. */
  operationsDir: string;
  /** Subgraph URL overrides by subgraph name. */
  subgraphUrls?: Readonly<Record<string, string>>;
  /** Pool settings of each subgraph's pool, when the registry creates it. Default: the pool defaults. */
  pool?: UpstreamPoolOptions;
  /**
   * The rules `@policy` names refer to. The supergraph's authorization rules are enforced
   * on every registered operation against the caller's principal, as on the GraphQL BFFs:
   * unauthorized fields come back null. Default: no policies.
   */
  authorization?: Pick<GraphqlAuthorizationSettings, 'policies'>;
  /**
   * Warm-up at start, before the BFF listens: each operation runs once on made-up subgraph
   * answers (no subgraph call), so its first request finds the run path compiled. Planning
   * happens at start whatever this says. Default: on, 10,000 ms budget.
   */
  warmUp?: WarmUpSettings;
}

export interface OperationExecutor {
  /**
   * Runs a registered operation as `context.principal`; returns its data (fields the
   * principal may not read are null), or throws a PorticoError for upstream failures.
   */
  execute<T>(name: string, variables: Record<string, unknown>, context: GatewayContext): Promise<T>;
  operationNames(): string[];
}

export function readOperations(dir: string): Map<string, string> {
  return new Map(readOperationFiles(dir).map(({ name, body }) => [name, body]));
}

/**
 * Reduced documents (what a caller may read of an operation) whose compiled plan is kept.
 * A registered operation has few: one per combination of the rules it meets that callers
 * fail.
 */
export const MAX_REDUCED_OPERATIONS = 100;

const KNOWN_CODES = new Set(Object.keys(ERROR_CATALOGUE));

/** The route's error for an operation answered with errors: the first catalogue code among them, else a bad upstream response. */
function failure(errors: readonly GraphQLFormattedError[], name: string): PorticoError {
  const code = errors.map((e) => e.extensions?.code).find((c): c is ErrorCode => typeof c === 'string' && KNOWN_CODES.has(c));
  return new PorticoError(code ?? 'UPSTREAM_BAD_RESPONSE', code ? undefined : `The '${name}' query returned errors.`, { cause: new Error(errors.map((e) => e.message).join('; ')) });
}

/** An error as Apollo Server formats one (a code always) before `failure` reads it. */
function formatted(error: unknown): GraphQLFormattedError {
  const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error));
  return { ...graphqlError.toJSON(), extensions: { ...graphqlError.extensions, code: graphqlError.extensions.code ?? 'INTERNAL_SERVER_ERROR' } };
}

/** An operation compiled for Portico's executor: its plan, its projection, its variables. */
interface CompiledOperation extends RunnableOperation {
  operation: OperationDefinitionNode;
  hasVariables: boolean;
}

interface RegisteredOperation {
  /** The file's text. */
  body: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fragments: ReturnType<typeof fragmentsOf>;
  /** The whole document's. */
  compiled: CompiledOperation;
}

/** Plans and compiles `operationName` of `document`; throws naming what Portico's executor does not run. */
function compileOperation(planner: SupergraphPlanner, apiSchema: GraphQLSchema, document: DocumentNode, operationName: string): CompiledOperation {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName);
  if (!operation) throw new Error(`no operation named '${operationName}'`);
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  if (hasIntrospection(operation, fragments)) throw new UnsupportedPlanError('introspection');
  const plan = compilePlan(planner.plan(document, operationName), planner.supergraphSchema);
  return {
    operation,
    plan,
    projection: new OperationProjection(apiSchema, operation, fragments),
    variableDefaults: literalDefaults(operation, apiSchema),
    hasVariables: (operation.variableDefinitions?.length ?? 0) > 0,
  };
}

/** `upstreams`: the app's registry; each subgraph is called through its client at the subgraph's origin (never through a REST upstream's targets). */
export async function createOperationExecutor(app: FastifyInstance, upstreams: UpstreamRegistry, opts: OperationExecutorOptions): Promise<OperationExecutor> {
  const startedAt = performance.now();
  // The rules and the SDL the planner reads come from this one text (a load error when a policy is undeclared).
  const supergraph = prepareSupergraph(readFileSync(opts.supergraphPath, 'utf8'));
  assertPoliciesDeclared(supergraph.rules, opts.authorization?.policies);
  // A partner route never runs an operation past the rules the web and mobile BFFs enforce.
  const authorize = createAuthorizationCheck(supergraph, opts.authorization);
  const apiSchema = supergraph.apiSchema;
  const planner = createSupergraphPlanner(supergraph.gatewaySdl);

  const dataSources = new Map<string, SubgraphDataSource>();
  for (const { name, url } of planner.subgraphs) {
    const target = opts.subgraphUrls?.[name] ?? url;
    if (!target) throw new Error(`subgraph '${name}' has no URL`);
    dataSources.set(name, new SubgraphDataSource({ name, url: target, upstream: upstreams.atOrigin(name, new URL(target).origin, opts.pool) }));
  }
  const dataSource = (name: string): SubgraphDataSource => {
    const found = dataSources.get(name);
    if (!found) throw new Error(`Couldn't find service with name "${name}"`);
    return found;
  };

  // Fail at start, naming the operation, rather than on the first request.
  const operations = new Map<string, RegisteredOperation>();
  for (const [name, body] of readOperations(opts.operationsDir)) {
    const document = parse(body);
    const errors = validate(apiSchema, document, specifiedRules);
    if (errors.length > 0) throw new Error(`registered operation '${name}' is invalid against the supergraph: ${errors.map((e) => e.message).join('; ')}`);
    let compiled: CompiledOperation;
    try {
      compiled = compileOperation(planner, apiSchema, document, name);
    } catch (err) {
      if (err instanceof UnsupportedPlanError) throw new Error(`registered operation '${name}' cannot run on Portico's executor: it uses ${err.message}`);
      throw new Error(`registered operation '${name}' could not be planned: ${(err as Error).message}`, { cause: err });
    }
    operations.set(name, { body, document, operation: compiled.operation, fragments: fragmentsOf(document), compiled });
  }

  const reduced = new LRUCache<string, CompiledOperation>({ max: MAX_REDUCED_OPERATIONS });
  /** The compiled form of what the caller may read, planned on first use. */
  const reducedOperation = (name: string, outcome: AuthorizationOutcome, context: GatewayContext): CompiledOperation => {
    const key = `${name}\u0000${print(outcome.document)}`;
    let compiled = reduced.get(key);
    if (compiled) return compiled;
    const span = context.trace?.child('graphql.plan');
    try {
      compiled = compileOperation(planner, apiSchema, outcome.document, name);
    } catch (err) {
      span?.end(err);
      throw err;
    }
    span?.end();
    reduced.set(key, compiled);
    return compiled;
  };

  // Nothing a subgraph answers is cached by a partner route; the data sources' cache hints have nowhere to go.
  const incomingRequestContext = {};

  /** Runs a registered operation; its answer as Apollo Server gave it (errors formatted, unauthorized fields completed). */
  const run = async (name: string, registered: RegisteredOperation, variables: Record<string, unknown>, context: GatewayContext): Promise<{ data?: Record<string, unknown> | null; errors: GraphQLFormattedError[] }> => {
    // The limits on the whole document with these variables, before authorization (the plugins' order on the GraphQL BFFs).
    const charge = operationCharge(apiSchema, registered.operation, registered.fragments, variables, DEFAULT_OPERATION_LIMITS);
    if ('refused' in charge) return { errors: [formatted(charge.refused)] };
    if (charge.extraUnits > 0 && context.chargeRateLimit) {
      try {
        await chargeOperation(context.chargeRateLimit, charge.extraUnits, charge.cost);
      } catch (err) {
        return { errors: [formatted(err)] };
      }
    }
    // A warm-up run plans the whole document and answers no one.
    const outcome = context.warmUp ? undefined : authorize(registered.document, name, variables, context.principal);
    // The execution's span parents the planning of a reduced document and the plan's subgraph fetches.
    const span = context.trace?.child('graphql.execute', operationAttributes(registered.operation.operation, name, 'direct'));
    const executionContext: GatewayContext = span ? { ...context, trace: span } : context;
    let result: OperationResult;
    try {
      const compiled = outcome ? reducedOperation(name, outcome, executionContext) : registered.compiled;
      // Variables are checked against their definitions before anything is sent.
      const invalid = compiled.hasVariables ? getVariableValues(apiSchema, compiled.operation.variableDefinitions ?? [], variables).errors : undefined;
      result = invalid ? { errors: invalid } : await runCompiledOperation(compiled, variables, subgraphSender(dataSource, executionContext, incomingRequestContext));
      span?.end();
    } catch (err) {
      span?.end(err);
      return { errors: [formatted(err)] };
    }
    const errors = (result.errors ?? []).map(formatted);
    if (!outcome) return { data: result.data, errors };
    const completed = completeUnauthorizedFields(outcome, result.data);
    return { data: completed.data, errors: [...completed.errors, ...errors] };
  };

  if (opts.warmUp?.enabled !== false) await warmUp(app, operations, apiSchema, planner, run, opts.warmUp?.budgetMs ?? DEFAULT_WARMUP_BUDGET_MS);
  app.log.info({ operations: operations.size, durationMs: Math.round(performance.now() - startedAt) }, `registered GraphQL operations: ${operations.size} planned for Portico's executor`);

  return {
    operationNames: () => [...operations.keys()],
    async execute<T>(name: string, variables: Record<string, unknown>, context: GatewayContext): Promise<T> {
      const registered = operations.get(name);
      if (!registered) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error(`no registered operation '${name}'`) });
      const { data, errors } = await run(name, registered, variables, context);
      // Fields the caller may not read are null by design; any other error fails the route.
      const failed = errors.filter((e) => e.extensions?.code !== UNAUTHORIZED_FIELD_OR_TYPE);
      if (failed.length > 0) throw failure(failed, name);
      return data as T;
    },
  };
}

/** Runs each operation once on made-up subgraph answers, within `budgetMs`; what it has not reached is left to the first requests. */
async function warmUp(
  app: FastifyInstance,
  operations: ReadonlyMap<string, RegisteredOperation>,
  apiSchema: GraphQLSchema,
  planner: SupergraphPlanner,
  run: (name: string, registered: RegisteredOperation, variables: Record<string, unknown>, context: GatewayContext) => Promise<{ errors: GraphQLFormattedError[] }>,
  budgetMs: number,
): Promise<void> {
  const startedAt = performance.now();
  const answer = createWarmUpResponder(planner.supergraphSchema);
  for (const [name, registered] of operations) {
    if (performance.now() - startedAt >= budgetMs) break;
    const variables = warmUpVariables(apiSchema, registered.body, name);
    const { errors } = await run(name, registered, variables, { requestId: `warm-up:${name}`, forwardHeaders: {}, warmUp: { planned: true, answer } });
    if (errors.length > 0) app.log.warn({ operation: name, errors: errors.map((e) => e.message) }, `registered operation '${name}' failed its warm-up run`);
  }
}
