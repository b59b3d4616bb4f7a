/**
 * Enforces the operation limits in two places and charges the estimated cost to the
 * caller's rate limit (a query that fans out to thousands of entities costs more of the
 * budget than `{ me { name } }`):
 * - right after parsing, before validation: every operation of the document is measured
 *   (linear, fragments once), so a fragment bomb or a directive flood is refused before
 *   graphql-js validation or query planning sees it;
 * - once the operation is resolved, with its variables: the cost with the real list sizes.
 * Documents served from the validated-document cache skip the first step; they passed it
 * when they were first seen (a refused document is never cached).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { isPorticoError } from '../errors';
import type { GatewayContext } from './gateway-context';
import { checkDocumentLimits, checkOperationLimits, fragmentsOf, measureOperation, type LimitViolation, type OperationLimits } from './operation-limits';

/** Estimated cost covered by one rate-limit unit: operations up to this cost count as one request. Default 100. */
export const DEFAULT_COST_PER_RATE_LIMIT_UNIT = 100;

export function rateLimitUnitsFor(cost: number, costPerUnit = DEFAULT_COST_PER_RATE_LIMIT_UNIT): number {
  return Math.max(1, Math.ceil(cost / costPerUnit));
}

/** Stand-in documents of refused requests, with the error that answers them. */
const REFUSED_DOCUMENTS = new WeakMap<DocumentNode, GraphQLError>();

function limitError(violation: LimitViolation, cost: number): GraphQLError {
  return new GraphQLError(violation.message, { extensions: { code: violation.code, cost, http: { status: 400 } } });
}

/** What an operation with its variables means for the limits: refused, or accepted at an estimated cost. */
export type OperationCharge = { refused: GraphQLError } | { cost: number; extraUnits: number };

/**
 * Pure: the operation measured with its variables against the limits, and the rate-limit
 * units it costs beyond the one the request paid at the door.
 */
export function operationCharge(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReturnType<typeof fragmentsOf>,
  variables: Readonly<Record<string, unknown>>,
  limits: OperationLimits,
  costPerUnit = DEFAULT_COST_PER_RATE_LIMIT_UNIT,
): OperationCharge {
  const measured = measureOperation(schema, operation, fragments, variables, limits.assumedListSize);
  const [violation] = checkOperationLimits(measured, limits);
  if (violation) return { refused: limitError(violation, measured.cost) };
  return { cost: measured.cost, extraUnits: rateLimitUnitsFor(measured.cost, costPerUnit) - 1 };
}

/** Charges `extraUnits` to the caller's rate limit; a refusal becomes the GraphQL error answering the request. */
export async function chargeOperation(charge: (units: number) => Promise<void>, extraUnits: number, cost: number): Promise<void> {
  try {
    await charge(extraUnits);
  } catch (err) {
    if (!isPorticoError(err)) throw err;
    throw new GraphQLError(err.message, {
      extensions: { code: err.code, cost, http: { status: err.statusCode, headers: new Map(Object.entries(err.headers)) } },
    });
  }
}

export function operationLimitsPlugin(limits: OperationLimits, costPerUnit = DEFAULT_COST_PER_RATE_LIMIT_UNIT): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async validationDidStart(requestContext) {
          const refused = checkDocumentLimits(requestContext.schema, requestContext.document, limits, requestContext.request.variables ?? {});
          if (!refused) return;
          // A hook cannot stop validation (a throw here becomes a 500), so validation is given
          // nothing to do and the refusal is answered when the (absent) operation resolves.
          const nothing: DocumentNode = { kind: Kind.DOCUMENT, definitions: [] };
          REFUSED_DOCUMENTS.set(nothing, limitError(refused.violation, refused.measured.cost));
          (requestContext as { document: DocumentNode }).document = nothing;
        },
        async didResolveOperation({ document, operation, schema, request, contextValue }) {
          // Also reached by a refused document served again from the validated-document cache.
          const refused = REFUSED_DOCUMENTS.get(document);
          if (refused) throw refused;
          if (!operation) return;
          const charge = operationCharge(schema, operation, fragmentsOf(document), request.variables ?? {}, limits, costPerUnit);
          if ('refused' in charge) throw charge.refused;
          // The request already paid one unit at the door; the rest of its cost is charged now.
          if (charge.extraUnits > 0 && contextValue.chargeRateLimit) await chargeOperation(contextValue.chargeRateLimit, charge.extraUnits, charge.cost);
        },
      };
    },
  };
}
