/**
 * The verified caller of a request, set by the authentication stage and read by every
 * later stage (rate limit keys, identity headers toward upstreams). Nothing a client
 * sends is trusted until it has become a Principal.
 */

export type PrincipalKind = 'user' | 'client';

export interface Principal {
  /** 'user' for a token subject, 'client' for an API key holder or a client-credentials token. */
  kind: PrincipalKind;
  /** Stable id: the token's `sub` (introspection: else `username`), or the client id. */
  id: string;
  /** Granted scopes (JWT `scope`/`scp`, or the API key's scopes). */
  scopes: readonly string[];
  /** Roles (JWT `roles` claim); empty for API keys. */
  roles: readonly string[];
  /** Tenant (JWT `tenant` claim), when the token carries one. */
  tenant?: string;
  /** Client id: the JWT `azp`/`client_id`, or the API key's client id. */
  clientId?: string;
  /** Commercial plan used for rate limits (API keys; JWT `plan` claim); 'default' otherwise. */
  plan: string;
  /** Which method verified it; `warm-up` is the BFF's own warm-up requests (warm-up-request.ts), never a client. */
  method: 'jwt' | 'introspection' | 'api-key' | 'warm-up';
}

/** The principal as a cache scope: private cached responses are keyed by it and served to it alone. */
export function principalCacheScope(principal: Principal): string {
  return JSON.stringify([principal.kind, principal.tenant ?? '', principal.id]);
}
