/**
 * Serving a contract: the gateway executes against the full supergraph, but a client on a
 * contract may only use the contract's schema. Operations are validated against it (a
 * hidden field fails exactly as if it did not exist), and introspection answers from it.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { readFileSync } from 'node:fs';
import { Kind, buildSchema, execute, specifiedRules, validate, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';
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

/** Root fields answered from the schema itself. */
const SCHEMA_FIELDS = new Set(['__schema', '__type']);

/** The root field names of an operation, through fragments (each fragment read once). */
function rootFieldNames(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return names;
}

/**
 * Answers introspection-only operations from the contract, so the hidden part of the graph
 * is never described. Introspection mixed with data fields (`{ me { id } __type(name: "User")
 * { fields { name } } }`) would be answered by the gateway from the full schema: it is
 * refused, and must be sent on its own.
 */
export function contractIntrospectionPlugin(contract: GraphQLSchema): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ operation, document, request }) {
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          const names = rootFieldNames(operation, fragments);
          const describesSchema = [...names].some((n) => SCHEMA_FIELDS.has(n));
          const readsData = [...names].some((n) => n !== '__typename' && !SCHEMA_FIELDS.has(n));
          if (describesSchema && readsData) {
            return {
              http: { status: 400, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { errors: [{ message: 'Introspection (__schema, __type) must be sent in an operation of its own on this API.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } },
            };
          }
          if (!describesSchema) return null;
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
