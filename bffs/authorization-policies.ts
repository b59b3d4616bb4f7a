/**
 * The rules the demo supergraph's `@policy` names refer to, shared by the three BFFs so a
 * name means the same wherever an operation runs. A name used in a subgraph schema and
 * missing here stops the supergraph from loading.
 */
import type { AuthorizationPolicy } from '../shared/graphql/authorization/authorization-policies';

export const DEMO_AUTHORIZATION_POLICIES: Readonly<Record<string, AuthorizationPolicy>> = {
  /** Signed-in staff: a user with the `support` or `admin` role. */
  backOffice: { principalKinds: ['user'], anyRole: ['support', 'admin'] },
};
