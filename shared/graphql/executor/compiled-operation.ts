/**
 * An operation compiled for Portico's executor (its plan and its response projection) and
 * one run of it: the plan's fetches through the subgraphs' data sources, the answer shaped
 * as Apollo Gateway shapes it. Shared by the GraphQL BFFs' executor (plan-executor.ts) and
 * the partner's registered operations (operation-executor.ts); free of Apollo Gateway and
 * Apollo Server at run time.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, Kind, getVariableValues, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { CompiledPlan, SubgraphAnswer, SubgraphRequest } from './plan-execution';
import { MalformedSubgraphDataError, UnsupportedOperationError, type OperationProjection } from './response-projection';

/** The data-source request kind of a client operation (the gateway's enum is not exported from its entry point). */
const INCOMING_OPERATION = 'incoming operation' as Extract<GraphQLDataSourceProcessOptions, { incomingRequestContext: unknown }>['kind'];

/** An executor's answer: what Apollo Gateway's executor returns. */
export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLError[];
  extensions?: Record<string, unknown>;
}

/** What a run needs of a compiled operation. */
export interface RunnableOperation {
  plan: CompiledPlan;
  projection: OperationProjection;
  /** Default values of the operation's variables (for `@skip`/`@include` conditions the client left out). */
  variableDefaults: ReadonlyMap<string, unknown>;
}

/** Pure: whether an operation asks for schema introspection (`__schema`, `__type`), which Portico's projection does not answer. */
export function hasIntrospection(operation: OperationDefinitionNode, fragments: readonly FragmentDefinitionNode[]): boolean {
  const sets = [operation.selectionSet, ...fragments.map((f) => f.selectionSet)];
  while (sets.length > 0) {
    const set = sets.pop();
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type')) return true;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) sets.push(selection.selectionSet);
    }
  }
  return false;
}

/** Pure: the coerced default values of an operation's variables (the values graphql-js uses for variables the client left out). */
export function literalDefaults(operation: OperationDefinitionNode, schema: GraphQLSchema): ReadonlyMap<string, unknown> {
  const defaults = new Map<string, unknown>();
  const withDefaults = (operation.variableDefinitions ?? []).filter((d) => d.defaultValue);
  if (withDefaults.length === 0) return defaults;
  const { coerced } = getVariableValues(schema, withDefaults, {});
  for (const [name, value] of Object.entries(coerced ?? {})) defaults.set(name, value);
  return defaults;
}

/**
 * How a plan's fetches reach the subgraphs: each through its data source, as Apollo
 * Gateway calls it for a client operation. `incomingRequestContext`: Apollo Server's
 * request context, or the part of one the data sources read (`overallCachePolicy`).
 */
export function subgraphSender(dataSource: (name: string) => GraphQLDataSource, context: unknown, incomingRequestContext: unknown): (request: SubgraphRequest) => Promise<SubgraphAnswer> {
  return ({ fetch, variables, path }) =>
    dataSource(fetch.serviceName).process({
      kind: INCOMING_OPERATION,
      request: { query: fetch.operation, variables, operationName: fetch.operationName },
      incomingRequestContext: incomingRequestContext as Extract<GraphQLDataSourceProcessOptions, { incomingRequestContext: unknown }>['incomingRequestContext'],
      context: context as Record<string, unknown>,
      document: fetch.operationDocumentNode,
      pathInIncomingRequest: path,
    }) as Promise<SubgraphAnswer>;
}

/** Runs a compiled operation (variables already checked against their definitions) and shapes its answer. */
export async function runCompiledOperation(operation: RunnableOperation, variables: Record<string, unknown>, send: (request: SubgraphRequest) => Promise<SubgraphAnswer>): Promise<OperationResult> {
  const result = await operation.plan.run({ variables, variableDefaults: operation.variableDefaults, send });
  let shaped: ReturnType<OperationProjection['project']>;
  try {
    shaped = operation.projection.project(result.data, variables);
  } catch (err) {
    if (err instanceof MalformedSubgraphDataError || err instanceof UnsupportedOperationError) return { errors: [new GraphQLError(err.message, { originalError: err })] };
    throw err;
  }
  const errors = result.errors as GraphQLError[];
  // Value-completion problems are reported as Apollo Gateway does: in extensions, and only when no fetch failed.
  if (errors.length === 0 && shaped.errors.length > 0) return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
  return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
}
