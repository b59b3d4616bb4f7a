/**
 * The Apollo Server side of GraphQL authorization, for the GraphQL BFFs and the partner's
 * registered operations alike. Once the operation is resolved (parsed and validated) and
 * before Apollo Gateway plans it, the document is replaced by what the principal may
 * read; the response then answers the removed fields with null and an error each, or,
 * with `rejectUnauthorized`, the operation is refused as a whole.
 *
 * The replaced document gets its own query hash and source text: Apollo Gateway caches
 * query plans by hash and the response cache keys entries by source, so an operation
 * reduced for one caller never reuses the plan or the cached answer of the full one.
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from '@apollo/server';
import { print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../../policies/authn/principal';
import type { AuthorizationCheck } from './authorization-check';
import type { GraphqlAuthorizationSettings } from './authorization-policies';
import type { AuthorizationOutcome } from './authorize-operation';
import { completeUnauthorizedFields, unauthorizedOperationErrors } from './complete-unauthorized';

/** What the plugin needs from the request context: the verified principal, absent for anonymous callers. */
export interface AuthorizationContext {
  principal?: Principal;
  /** Only the warm-up's own runs (warm-up.ts) set it: they plan the whole document and answer no one. */
  warmUp?: unknown;
}

/** HTTP status of an operation refused as a whole (`rejectUnauthorized`). */
export const UNAUTHORIZED_OPERATION_STATUS = 403;

type Rewritable = { -readonly [K in 'document' | 'operation' | 'queryHash' | 'source']?: GraphQLRequestContext<AuthorizationContext>[K] };

function replaceDocument(requestContext: GraphQLRequestContext<AuthorizationContext>, document: DocumentNode, operation: OperationDefinitionNode | undefined): void {
  const text = print(document);
  const writable = requestContext as unknown as Rewritable;
  writable.document = document;
  writable.operation = operation;
  writable.source = text;
  writable.queryHash = createHash('sha256').update(text).digest('hex');
}

/** Enforces `check` (the rules of the supergraph the gateway serving this server was built from). */
export function authorizationPlugin<C extends AuthorizationContext>(check: AuthorizationCheck, settings: GraphqlAuthorizationSettings = {}): ApolloServerPlugin<C> {
  const reject = settings.rejectUnauthorized ?? false;
  return {
    async requestDidStart() {
      let outcome: AuthorizationOutcome | undefined;
      return {
        async didResolveOperation(requestContext) {
          const { document, request, contextValue } = requestContext;
          // A warm-up plans what a caller allowed to read everything is planned; it calls no subgraph and its answer is dropped.
          if (contextValue.warmUp) return;
          outcome = check(document, request.operationName, request.variables ?? {}, contextValue.principal);
          if (outcome && !reject) replaceDocument(requestContext as GraphQLRequestContext<AuthorizationContext>, outcome.document, outcome.operation);
        },
        async responseForOperation() {
          if (!outcome || !reject) return null;
          return {
            http: { status: UNAUTHORIZED_OPERATION_STATUS, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { errors: unauthorizedOperationErrors(outcome) } },
          };
        },
        async willSendResponse({ response }) {
          if (!outcome || reject || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const completed = completeUnauthorizedFields(outcome, result.data);
          result.data = completed.data;
          if (completed.errors.length > 0) result.errors = [...completed.errors, ...(result.errors ?? [])];
        },
      };
    },
  };
}
