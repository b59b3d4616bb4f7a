/**
 * Runs registered GraphQL operations against the supergraph from inside a REST BFF, for
 * aggregate endpoints whose data is a federated query. The operations are known at build
 * time and validated against the supergraph at start, so a schema change that breaks one
 * stops the process with the operation's name instead of failing requests.
 */
import { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { DEFAULT_OPERATION_LIMITS } from './operation-limits';
import { operationLimitsPlugin } from './operation-limits-plugin';
import { readOperationFiles } from './operation-files';
import { GraphQLError, parse, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import { ERROR_CATALOGUE, PorticoError, type ErrorCode } from '../errors';
import type { UpstreamPoolOptions } from '../upstream/upstream-pool';
import type { UpstreamRegistry } from '../upstream/upstream-registry';
import type { GatewayContext } from './gateway-context';
import { graphqlTracingPlugin } from './graphql-tracing-plugin';
import type { GraphqlAuthorizationSettings } from './authorization/authorization-policies';
import { createAuthorizedGateway } from './authorization/authorized-gateway';
import { UNAUTHORIZED_FIELD_OR_TYPE } from './authorization/complete-unauthorized';
import { SubgraphDataSource } from './subgraph-data-source';
import { DEFAULT_WARMUP_BUDGET_MS, type WarmUpSettings } from './warm-up';
import { markWarmUpPlanned, warmUpApolloServer } from './warm-up-apollo';

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
  /** Warm-up of the operations at start, before the BFF listens (no subgraph call). Default: on, 10,000 ms budget. */
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

const KNOWN_CODES = new Set(Object.keys(ERROR_CATALOGUE));

function failure(errors: readonly GraphQLFormattedError[], name: string): PorticoError {
  const code = errors.map((e) => e.extensions?.code).find((c): c is ErrorCode => typeof c === 'string' && KNOWN_CODES.has(c));
  return new PorticoError(code ?? 'UPSTREAM_BAD_RESPONSE', code ? undefined : `The '${name}' query returned errors.`, { cause: new Error(errors.map((e) => e.message).join('; ')) });
}

/** `upstreams`: the app's registry; each subgraph is called through its client at the subgraph's origin (never through a REST upstream's targets). */
export async function createOperationExecutor(app: FastifyInstance, upstreams: UpstreamRegistry, opts: OperationExecutorOptions): Promise<OperationExecutor> {
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
