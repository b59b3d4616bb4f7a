/**
 * Serving a contract: the gateway executes against the full supergraph, but a client on a
 * contract may only use the contract's schema. Operations are validated against it (a
 * hidden field fails exactly as if it did not exist), and introspection answers from it.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { readFileSync } from 'node:fs';
import { Kind, buildSchema, execute, specifiedRules, validate, type GraphQLSchema, type OperationDefinitionNode, type ValidationRule } from 'graphql';
import type { GatewayContext } from './gateway-context';

export function loadContractSchema(schemaPath: string): GraphQLSchema {
  return buildSchema(readFileSync(schemaPath, 'utf8'));
}

/**
 * Validation rule reporting what is invalid against the contract but valid against the
 * full schema (errors both agree on are already reported by the standard rules).
 */
export function contractValidationRule(contract: GraphQLSchema): ValidationRule {
  return (context) => ({
    Document: {
      enter(document) {
        const full = new Set(validate(context.getSchema(), document, specifiedRules).map((e) => e.message));
        for (const error of validate(contract, document, specifiedRules)) if (!full.has(error.message)) context.reportError(error);
        return false;
      },
    },
  });
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(s.name.value));
}

/** Answers introspection-only operations from the contract, so the hidden part of the graph is never described. */
export function contractIntrospectionPlugin(contract: GraphQLSchema): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ operation, document, request }) {
          if (!isIntrospectionOnly(operation)) return null;
          const result = await execute({ schema: contract, document, variableValues: request.variables, operationName: request.operationName });
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: result.data as Record<string, unknown>, ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) } },
          };
        },
      };
    },
  };
}
