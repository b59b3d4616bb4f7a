/**
 * Executes GraphQL requests against one subgraph schema with graphql-js directly: the
 * demo upstreams should cost as little CPU as possible so that benchmarks measure the
 * gateway, so parsed and validated documents are cached (bounded) by their text.
 */
import { GraphQLError, execute, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

export interface GraphqlRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GraphqlOutcome {
  status: number;
  body: ExecutionResult;
}

type Prepared = { ok: true; document: DocumentNode } | { ok: false; outcome: GraphqlOutcome };

/** Documents kept after parse + validate; the gateway sends a small, stable set. */
export const DOCUMENT_CACHE_SIZE = 1_000;

function failure(code: string, errors: readonly GraphQLError[]): GraphqlOutcome {
  return {
    status: 400,
    body: { errors: errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code } })) },
  };
}

export function createGraphqlExecutor(schema: GraphQLSchema) {
  const prepared = new Map<string, Prepared>();

  function prepare(query: string): Prepared {
    const cached = prepared.get(query);
    if (cached) return cached;
    let result: Prepared;
    try {
      const document = parse(query);
      const errors = validate(schema, document, specifiedRules);
      result = errors.length ? { ok: false, outcome: failure('GRAPHQL_VALIDATION_FAILED', errors) } : { ok: true, document };
    } catch (err) {
      result = { ok: false, outcome: failure('GRAPHQL_PARSE_FAILED', [err as GraphQLError]) };
    }
    if (prepared.size >= DOCUMENT_CACHE_SIZE) prepared.delete(prepared.keys().next().value as string);
    prepared.set(query, result);
    return result;
  }

  return async function run(body: GraphqlRequestBody, context: unknown, method: 'GET' | 'POST'): Promise<GraphqlOutcome> {
    if (typeof body.query !== 'string' || body.query.trim() === '') {
      return failure('BAD_REQUEST', [new GraphQLError("The request must carry a 'query' string.")]);
    }
    if (body.variables !== undefined && body.variables !== null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) {
      return failure('BAD_REQUEST', [new GraphQLError("'variables' must be an object.")]);
    }
    if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') {
      return failure('BAD_REQUEST', [new GraphQLError("'operationName' must be a string.")]);
    }
    const ready = prepare(body.query);
    if (!ready.ok) return ready.outcome;
    const operationName = (body.operationName as string | null | undefined) ?? undefined;
    if (method === 'GET' && operationKind(ready.document, operationName) !== 'query') {
      return { status: 405, body: { errors: [new GraphQLError('Only queries may be sent with GET.', { extensions: { code: 'METHOD_NOT_ALLOWED' } })] } };
    }
    const result = await execute({
      schema,
      document: ready.document,
      variableValues: (body.variables as Record<string, unknown> | null | undefined) ?? undefined,
      operationName,
      contextValue: context,
    });
    // Invalid variables or an unknown operation name leave no data at all: a client error.
    const status = result.data === undefined && result.errors?.length ? 400 : 200;
    return { status, body: result };
  };
}

function operationKind(document: DocumentNode, operationName: string | undefined): string | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operation?.operation;
}
