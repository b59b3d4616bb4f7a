/**
 * Enforces the operation limits once an operation is resolved (so variables are known for
 * list sizes) and charges its estimated cost to the caller's rate limit: a query that
 * fans out to thousands of entities costs more of the budget than `{ me { name } }`.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, GraphQLError, type FragmentDefinitionNode } from 'graphql';
import { isPorticoError } from '../errors';
import type { GatewayContext } from './gateway-context';
import { checkOperationLimits, measureOperation, type OperationLimits } from './operation-limits';

/** Estimated cost covered by one rate-limit unit: operations up to this cost count as one request. Default 100. */
export const DEFAULT_COST_PER_RATE_LIMIT_UNIT = 100;

export function rateLimitUnitsFor(cost: number, costPerUnit = DEFAULT_COST_PER_RATE_LIMIT_UNIT): number {
  return Math.max(1, Math.ceil(cost / costPerUnit));
}

export function operationLimitsPlugin(limits: OperationLimits, costPerUnit = DEFAULT_COST_PER_RATE_LIMIT_UNIT): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request, contextValue }) {
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          if (!operation) return;
          const measured = measureOperation(schema, operation, fragments, request.variables ?? {}, limits.assumedListSize);
          const [violation] = checkOperationLimits(measured, limits);
          if (violation) {
            throw new GraphQLError(violation.message, {
              extensions: { code: violation.code, cost: measured.cost, http: { status: 400 } },
            });
          }
          // The request already paid one unit at the door; the rest of its cost is charged now.
          const extra = rateLimitUnitsFor(measured.cost, costPerUnit) - 1;
          if (extra > 0 && contextValue.chargeRateLimit) {
            try {
              await contextValue.chargeRateLimit(extra);
            } catch (err) {
              if (!isPorticoError(err)) throw err;
              throw new GraphQLError(err.message, {
                extensions: { code: err.code, cost: measured.cost, http: { status: err.statusCode, headers: new Map(Object.entries(err.headers)) } },
              });
            }
          }
        },
      };
    },
  };
}
