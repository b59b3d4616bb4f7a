/**
 * The check of a supergraph's authorization rules against one operation and principal:
 * pure, and free of Apollo Server, so the partner's registered operations enforce the same
 * rules as the GraphQL BFFs' plugin without loading it (operation-executor.ts).
 */
import type { DocumentNode } from 'graphql';
import type { Principal } from '../../policies/authn/principal';
import type { GraphqlAuthorizationSettings } from './authorization-policies';
import { authorizeOperation, touchesAuthorizationRules, type AuthorizationOutcome } from './authorize-operation';
import type { AuthorizedSupergraph } from './supergraph-authorization';

/**
 * Pure: what `principal` may not read of an operation, or undefined when it may read all of
 * it (including every operation that meets no rule, judged once per document object).
 */
export type AuthorizationCheck = (document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>>, principal: Principal | undefined) => AuthorizationOutcome | undefined;

/** The check of the rules of `supergraph`, shared by the plugin, direct execution (direct-execution.ts) and the partner's operation executor. */
export function createAuthorizationCheck(supergraph: AuthorizedSupergraph, settings: GraphqlAuthorizationSettings = {}): AuthorizationCheck {
  const policies = settings.policies ?? {};
  // The validated-document cache hands the same document object back, so the rule scan runs once per document.
  const ruledDocuments = new WeakMap<DocumentNode, boolean>();
  return (document, operationName, variables, principal) => {
    let ruled = ruledDocuments.get(document);
    if (ruled === undefined) {
      ruled = touchesAuthorizationRules(supergraph, document);
      ruledDocuments.set(document, ruled);
    }
    if (!ruled) return undefined;
    const result = authorizeOperation(supergraph, policies, document, operationName, variables, principal);
    return result.denied.length === 0 ? undefined : result;
  };
}
