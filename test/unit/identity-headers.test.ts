import { createIdentityHeaderMatcher, identityHeadersFor, stripIdentityHeaders, stripRawIdentityHeaders } from '../../shared/policies/authn/identity-headers';

describe('identity header stripping', () => {
  const isIdentity = createIdentityHeaderMatcher(['x-impersonate']);

  it('removes identity headers in any case, with underscores, repeated, and reserved prefixes', () => {
    const headers = {
      'x-user-id': ['1', '2'],
      'X-USER-ROLES': 'admin',
      x_user_id: 'admin',
      'x_Tenant_Id': 'other',
      'x-portico-anything': 'x',
      'x-impersonate': 'root',
      accept: 'application/json',
      'x-user-agent-ish': 'kept',
    };
    const removed = stripIdentityHeaders(headers, isIdentity);
    expect(removed.sort()).toEqual(['X-USER-ROLES', 'x-impersonate', 'x-portico-anything', 'x-user-id', 'x_Tenant_Id', 'x_user_id'].sort());
    expect(headers).toEqual({ accept: 'application/json', 'x-user-agent-ish': 'kept' });
  });

  it('removes them from the raw header list too', () => {
    const raw = ['Host', 'a', 'X-User-Id', '1', 'Accept', '*/*', 'x-user-id', '2', 'X_CLIENT_PLAN', 'enterprise'];
    stripRawIdentityHeaders(raw, isIdentity);
    expect(raw).toEqual(['Host', 'a', 'Accept', '*/*']);
  });
});

describe('identity headers toward upstreams', () => {
  it('carry the verified principal and omit what it does not have', () => {
    expect(identityHeadersFor({ kind: 'user', id: '7', scopes: ['a', 'b'], roles: [], plan: 'default', method: 'jwt' })).toEqual({
      'x-principal-kind': 'user',
      'x-auth-method': 'jwt',
      'x-client-plan': 'default',
      'x-user-id': '7',
      'x-user-scopes': 'a b',
    });
    expect(identityHeadersFor({ kind: 'client', id: 'acme', clientId: 'acme', scopes: [], roles: [], plan: 'pro', method: 'api-key' })).toEqual({
      'x-principal-kind': 'client',
      'x-auth-method': 'api-key',
      'x-client-plan': 'pro',
      'x-client-id': 'acme',
    });
  });
});
