/**
 * The names of the headers that carry a verified identity toward upstreams. They belong to
 * the upstream side of the gateway: upstream services read them, and multi-target routing
 * places a caller by them. Authentication (`policies/authn`) fills them and strips
 * client-sent copies; it imports these names from here, never the other way round.
 */
export const IDENTITY_HEADERS = {
  principalKind: 'x-principal-kind',
  userId: 'x-user-id',
  roles: 'x-user-roles',
  scopes: 'x-user-scopes',
  tenant: 'x-tenant-id',
  clientId: 'x-client-id',
  plan: 'x-client-plan',
  authMethod: 'x-auth-method',
} as const;
