/**
 * The partner's former operation executor, kept for the differential test only
 * (test/integration/operation-executor-differential.test.ts): each registered operation
 * run through Apollo Server over an authorized Apollo Gateway, with Apollo Gateway's own
 * plan execution. The executor the partner runs (shared/graphql/operation-executor.ts)
 * must answer as this one does, without loading either.
 */
import { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { DEFAULT_OPERATION_LIMITS } from '../../shared/graphql/operation-limits';
import { operationLimitsPlugin } from '../../shared/graphql/operation-limits-plugin';
import { GraphQLError, parse, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import { ERROR_CATALOGUE, PorticoError, type ErrorCode } from '../../shared/errors';
import type { UpstreamRegistry } from '../../shared/upstream/upstream-registry';
import type { GatewayContext } from '../../shared/graphql/gateway-context';
import { graphqlTracingPlugin } from '../../shared/graphql/graphql-tracing-plugin';
import { createAuthorizedGateway } from '../../shared/graphql/authorization/authorized-gateway';
import { UNAUTHORIZED_FIELD_OR_TYPE } from '../../shared/graphql/authorization/complete-unauthorized';
import { SubgraphDataSource } from '../../shared/graphql/subgraph-data-source';
import { DEFAULT_WARMUP_BUDGET_MS } from '../../shared/graphql/warm-up';
import { markWarmUpPlanned, warmUpApolloServer } from '../../shared/graphql/warm-up-apollo';
import { readOperations, type OperationExecutor, type OperationExecutorOptions } from '../../shared/graphql/operation-executor';

const KNOWN_CODES = new Set(Object.keys(ERROR_CATALOGUE));

function failure(errors: readonly GraphQLFormattedError[], name: string): PorticoError {
  const code = errors.map((e) => e.extensions?.code).find((c): c is ErrorCode => typeof c === 'string' && KNOWN_CODES.has(c));
  return new PorticoError(code ?? 'UPSTREAM_BAD_RESPONSE', code ? undefined : `The '${name}' query returned errors.`, { cause: new Error(errors.map((e) => e.message).join('; ')) });
}

/** `upstreams`: the app's registry; each subgraph is called through its client at the subgraph's origin (never through a REST upstream's targets). */
export async function createApolloOperationExecutor(app: FastifyInstance, upstreams: UpstreamRegistry, opts: OperationExecutorOptions): Promise<OperationExecutor> {
  const operations = readOperations(opts.operationsDir);
  const supergraphText = readFileSync(opts.supergraphPath, 'utf8');
  // A partner route never runs an operation past the rules the web and mobile BFFs enforce.
  const { gateway, supergraph, plugin: authorization } = createAuthorizedGateway<GatewayContext>(supergraphText, opts.authorization, {
    logger: app.log,
    experimental_didResolveQueryPlan: markWarmUpPlanned,
    buildService: ({ name, url }) => {
      const target = opts.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`subgraph '${name}' has no URL`);
      return new SubgraphDataSource({ name, url: target, upstream: upstreams.atOrigin(name, new URL(target).origin, opts.pool) });
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: app.log,
    stopOnTerminationSignals: false,
    introspection: false,
    // The documents are registered, but their variables (list sizes) come from partner requests.
    plugins: [...(app.tracing ? [graphqlTracingPlugin] : []), operationLimitsPlugin(DEFAULT_OPERATION_LIMITS), authorization],
  });
  await apollo.start();
  app.addHook('onClose', async () => {
    await apollo.stop();
  });

  // Fail at start, naming the operation, rather than on the first request.
  const schema = supergraph.apiSchema;
  for (const [name, body] of operations) {
    const errors = validate(schema, parse(body), specifiedRules);
    if (errors.length > 0) throw new Error(`registered operation '${name}' is invalid against the supergraph: ${errors.map((e) => e.message).join('; ')}`);
  }
  // Plans and the hot path ready before the BFF listens, so the first aggregate requests do not pay for them.
  if (opts.warmUp?.enabled !== false) {
    await warmUpApolloServer(app.log, apollo, schema, [...operations].map(([name, body]) => ({ name, body })), opts.warmUp?.budgetMs ?? DEFAULT_WARMUP_BUDGET_MS);
  }

  return {
    operationNames: () => [...operations.keys()],
    async execute<T>(name: string, variables: Record<string, unknown>, context: GatewayContext): Promise<T> {
      const query = operations.get(name);
      if (!query) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error(`no registered operation '${name}'`) });
      const response = await apollo.executeOperation({ query, variables, operationName: name }, { contextValue: context });
      if (response.body.kind !== 'single') throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new GraphQLError('incremental delivery is not used here') });
      const { data } = response.body.singleResult;
      // Fields the caller may not read are null by design; any other error fails the route.
      const errors = response.body.singleResult.errors?.filter((e) => e.extensions?.code !== UNAUTHORIZED_FIELD_OR_TYPE);
      if (errors?.length) throw failure(errors, name);
      return data as T;
    },
  };
}
