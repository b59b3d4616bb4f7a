/**
 * Spans of the GraphQL phases Apollo Server runs (parse, validate, execute), under the
 * request's span; installed only when tracing is on. While the operation executes, the
 * context's `trace` is the execution's span, so planning and every subgraph fetch open
 * under it. Parse and validate appear only when Apollo Server does them: a document from
 * its cache skips both. Direct execution (direct-execution.ts) and the partner's operation
 * executor (operation-executor.ts) open their own execute span.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Attributes } from '@opentelemetry/api';
import type { OperationTypeNode } from 'graphql';
import type { GatewayContext } from './gateway-context';

/** Pure: the GraphQL semantic conventions' attributes of an operation (never its document or variables). */
export function operationAttributes(type: OperationTypeNode | undefined, name: string | null | undefined, pipeline: 'apollo-server' | 'direct'): Attributes {
  return { ...(type ? { 'graphql.operation.type': type } : {}), ...(name ? { 'graphql.operation.name': name } : {}), 'portico.graphql.pipeline': pipeline };
}

export const graphqlTracingPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ contextValue }) {
    const request = contextValue.trace;
    if (!request || contextValue.warmUp) return;
    return {
      async parsingDidStart() {
        const span = request.child('graphql.parse');
        return async (err) => span.end(err ?? undefined);
      },
      async validationDidStart() {
        const span = request.child('graphql.validate');
        return async (errs) => span.end(errs && errs.length > 0 ? { code: 'GRAPHQL_VALIDATION_FAILED' } : undefined);
      },
      async executionDidStart({ operation, operationName }) {
        const span = request.child('graphql.execute', operationAttributes(operation?.operation, operationName, 'apollo-server'));
        contextValue.trace = span;
        return {
          async executionDidEnd(err) {
            contextValue.trace = request;
            span.end(err ?? undefined);
          },
        };
      },
    };
  },
};
