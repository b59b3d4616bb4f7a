/**
 * Executors the differential harness compares: plain Apollo Gateway over the fixture's
 * subgraphs, and the oracle (graphql-js over the API schema and the dataset).
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { execute, parse, validate, type GraphQLFormattedError } from 'graphql';
import { installPlanExecutor } from '../../shared/graphql/executor/plan-executor';
import { createQueryPlanCache } from '../../shared/graphql/query-plan-cache';
import { createFieldResolver, rootNode } from './dataset';
import type { RunningFixture } from './fixture';

/** One answer, as a client would see it once serialised. */
export interface ExecutionOutcome {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/** Something that answers operations over a running fixture. */
export interface Executor {
  readonly name: string;
  execute(document: string, variables: Readonly<Record<string, unknown>>): Promise<ExecutionOutcome>;
  /** Releases what the executor started (optional). */
  close?(): Promise<void>;
}

/**
 * The expected answer: the monolithic API schema executed by graphql-js over the fixture's
 * dataset with the resolvers the subgraphs use.
 */
export function createOracleExecutor(running: RunningFixture): Executor {
  const { apiSchema, fixture } = running;
  const fieldResolver = createFieldResolver(fixture.dataset);
  const root = rootNode(fixture.dataset);
  return {
    name: 'oracle',
    async execute(source, variables) {
      const document = parse(source);
      const errors = validate(apiSchema, document);
      if (errors.length > 0) return { errors: errors.map((error) => error.toJSON()) };
      const result = await execute({ schema: apiSchema, document, rootValue: root, variableValues: variables, fieldResolver });
      // Through JSON like the gateway's answer: null-prototype objects become plain ones.
      return JSON.parse(JSON.stringify({ data: result.data, ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}) })) as ExecutionOutcome;
    },
  };
}

/**
 * Plain Apollo Gateway (no Portico policy) over the fixture's supergraph and subgraph URLs,
 * executed through Apollo Server's `executeOperation`.
 */
export async function createApolloGatewayExecutor(running: RunningFixture): Promise<Executor> {
  const gateway = new ApolloGateway({
    supergraphSdl: running.supergraphSdl,
    buildService: ({ url }) => new RemoteGraphQLDataSource({ url }),
  });
  return serverExecutor('apollo-gateway', gateway);
}

/** An executor answering through an Apollo Server over `gateway` (`executeOperation`), answers as JSON. */
async function serverExecutor(name: string, gateway: ApolloGateway): Promise<Executor> {
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    name,
    async execute(query, variables) {
      const response = await server.executeOperation({ query, variables: { ...variables } });
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not expected');
      const { data, errors, extensions } = response.body.singleResult;
      return JSON.parse(JSON.stringify({ data, ...(errors ? { errors } : {}), ...(extensions ? { extensions } : {}) })) as ExecutionOutcome;
    },
    close: () => server.stop(),
  };
}

/**
 * Portico's plan executor (shared/graphql/executor) installed on the same kind of gateway:
 * Apollo Gateway plans, Portico runs the plans and shapes the answers. Fetches go through
 * Apollo's default data source, so what differs from `createApolloGatewayExecutor` is the
 * executor alone.
 */
export async function createPorticoExecutor(running: RunningFixture): Promise<Executor & { fallbacks(): number }> {
  const planCache = createQueryPlanCache(() => undefined);
  const gateway = new ApolloGateway({
    supergraphSdl: running.supergraphSdl,
    buildService: ({ url }) => new RemoteGraphQLDataSource({ url }),
    queryPlannerConfig: { cache: planCache },
  });
  let fallbacks = 0;
  installPlanExecutor(gateway, {
    planCache,
    onExecution: (route) => {
      if (route !== 'compiled') fallbacks++;
    },
  });
  return { ...(await serverExecutor('portico', gateway)), fallbacks: () => fallbacks };
}
