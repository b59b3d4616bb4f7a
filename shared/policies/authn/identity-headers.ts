/**
 * Header hygiene, the pure core: what a client may never assert about itself, and what
 * Portico asserts toward upstreams once it has verified who the caller is.
 *
 * Upstream services trust these headers, so a client-sent copy must never get through in
 * any spelling: any letter case, repeated, or with underscores (some servers treat
 * `x_user_id` as `x-user-id`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './principal';

/** The headers that carry the verified identity toward upstreams (which read them); client-sent copies are stripped. */
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

/** Every header stripped from client requests by default: the identity headers above plus any `x-portico-*`. */
export const DEFAULT_STRIPPED_HEADERS: readonly string[] = Object.values(IDENTITY_HEADERS);
const RESERVED_PREFIX = 'x-portico-';

function canonical(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Builds the stripping predicate once per configuration. */
export function createIdentityHeaderMatcher(extraNames: readonly string[] = []): (headerName: string) => boolean {
  const names = new Set([...DEFAULT_STRIPPED_HEADERS, ...extraNames].map(canonical));
  return (headerName) => {
    // Every header of every request passes here: the underscore rewrite only when there is one.
    const lower = headerName.toLowerCase();
    const c = lower.includes('_') ? lower.replace(/_/g, '-') : lower;
    return names.has(c) || c.startsWith(RESERVED_PREFIX);
  };
}

/** Removes every matching header from `headers` in place; returns the names removed. */
export function stripIdentityHeaders(headers: IncomingHttpHeaders, isIdentityHeader: (name: string) => boolean): string[] {
  let removed: string[] | undefined;
  for (const name in headers) {
    if (isIdentityHeader(name)) {
      delete headers[name];
      (removed ??= []).push(name);
    }
  }
  return removed ?? [];
}

/** Removes matching names from a raw header list (`[name, value, name, value, ...]`) in place. */
export function stripRawIdentityHeaders(rawHeaders: string[], isIdentityHeader: (name: string) => boolean): void {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (isIdentityHeader(rawHeaders[i] as string)) rawHeaders.splice(i, 2);
  }
}

/** Upstream headers of a request without a verified identity: one shared, frozen, empty set. */
export const NO_IDENTITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

const headersByPrincipal = new WeakMap<Principal, Readonly<Record<string, string>>>();

/**
 * `identityHeadersFor`, computed once per principal object and frozen: a principal answered
 * from memory (a cached API key) gets the same headers on every request.
 */
export function cachedIdentityHeadersFor(principal: Principal): Readonly<Record<string, string>> {
  let headers = headersByPrincipal.get(principal);
  if (!headers) headersByPrincipal.set(principal, (headers = Object.freeze(identityHeadersFor(principal))));
  return headers;
}

/** The verified identity as upstream headers; absent fields are omitted, never empty. */
export function identityHeadersFor(principal: Principal): Record<string, string> {
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.principalKind]: principal.kind,
    [IDENTITY_HEADERS.authMethod]: principal.method,
    [IDENTITY_HEADERS.plan]: principal.plan,
  };
  if (principal.kind === 'user') headers[IDENTITY_HEADERS.userId] = principal.id;
  if (principal.roles.length > 0) headers[IDENTITY_HEADERS.roles] = principal.roles.join(' ');
  if (principal.scopes.length > 0) headers[IDENTITY_HEADERS.scopes] = principal.scopes.join(' ');
  if (principal.tenant) headers[IDENTITY_HEADERS.tenant] = principal.tenant;
  if (principal.clientId) headers[IDENTITY_HEADERS.clientId] = principal.clientId;
  return headers;
}
