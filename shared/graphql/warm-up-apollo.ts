/**
 * The warm-up (warm-up.ts) on an Apollo Server over Portico's gateway: each run is an
 * `executeOperation` with a warm-up context, and the gateway's `didResolveQueryPlan` (set
 * by the caller, see supergraph-server.ts) marks it planned. Used by the GraphQL BFFs'
 * supergraph servers and the partner's operation executor.
 */
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { DEFAULT_WARMUP_ROUNDS, describeWarmUp, warmUpOperations, warmUpVariables, type RegisteredOperation, type WarmUpExecute, type WarmUpReport } from './warm-up';

export interface WarmUpLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The gateway option that tells a warm-up run its operation was planned. */
export function markWarmUpPlanned({ requestContext }: { requestContext: { context: unknown } }): void {
  const warmUp = (requestContext.context as GatewayContext).warmUp;
  if (warmUp) warmUp.planned = true;
}

/** Runs the registered operations on a server that does not serve yet, and logs how it went. */
export async function warmUpApolloServer(log: WarmUpLog, apollo: ApolloServer<GatewayContext>, apiSchema: GraphQLSchema, registered: readonly RegisteredOperation[], budgetMs: number): Promise<WarmUpReport> {
  const execute: WarmUpExecute = async (operation, variables) => {
    const warmUp = { planned: false };
    const response = await apollo.executeOperation<Record<string, unknown>>(
      { query: operation.body, operationName: operation.name, variables },
      { contextValue: { requestId: `warm-up:${operation.name}`, forwardHeaders: {}, warmUp } },
    );
    const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []).map((e) => e.message) : [];
    return { planned: warmUp.planned, errors };
  };
  const report = await warmUpOperations({
    operations: registered,
    variablesOf: (operation) => warmUpVariables(apiSchema, operation.body, operation.name),
    execute,
    budgetMs,
    rounds: DEFAULT_WARMUP_ROUNDS,
    now: () => performance.now(),
  });
  for (const { name, errors } of report.invalid) log.warn({ operation: name, errors }, `registered operation '${name}' was refused by the supergraph and is not warmed: ${errors.join('; ')}`);
  log.info({ planned: report.planned.length, refused: report.invalid.length, skipped: report.skipped.length, runs: report.runs, durationMs: Math.round(report.durationMs) }, `graphql warm-up: ${describeWarmUp(report)}`);
  return report;
}
