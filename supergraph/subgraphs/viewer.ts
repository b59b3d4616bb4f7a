/**
 * Who is asking a demo service, and what they may see of the objects it owns. The gateway
 * states the verified caller in identity headers (after stripping any client-sent copy);
 * the services own their business rules and apply them here: a user sees their own
 * personal data and orders, back-office staff and clients granted a scope see more.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { IDENTITY_HEADERS } from '../../shared/policies/authn/identity-headers';

/** Who `me` is when the gateway sends no identity at all (authentication off): the demo's first user. */
export const DEMO_VIEWER_ID = '1';

/** Roles of back-office staff, who may read any customer's personal data and orders. */
export const BACK_OFFICE_ROLES: readonly string[] = ['support', 'admin'];
/** Scope granting a client (or user) the personal fields of every customer. */
export const PERSONAL_DATA_SCOPE = 'customers:pii';
/** Scope granting a client (a partner integration) every order. */
export const ORDERS_READ_SCOPE = 'orders:read';

export interface Viewer {
  /** `user` or `client`; undefined when the gateway asserted no identity (the demo viewer). */
  kind?: string;
  /** The signed-in user's id, when the caller is a user. */
  userId?: string;
  roles: readonly string[];
  scopes: readonly string[];
}

function list(value: string | string[] | undefined): string[] {
  return typeof value === 'string' && value !== '' ? value.split(' ') : [];
}

/**
 * The caller as the gateway asserts it. Without any identity header (a gateway running
 * without authentication, or a direct call in development) the caller is the demo user,
 * with no role and no scope.
 */
export function viewerFrom(headers: IncomingHttpHeaders): Viewer {
  const kind = headers[IDENTITY_HEADERS.principalKind];
  if (typeof kind !== 'string') return { userId: DEMO_VIEWER_ID, roles: [], scopes: [] };
  const userId = headers[IDENTITY_HEADERS.userId];
  return {
    kind,
    ...(kind === 'user' && typeof userId === 'string' && userId !== '' ? { userId } : {}),
    roles: list(headers[IDENTITY_HEADERS.roles]),
    scopes: list(headers[IDENTITY_HEADERS.scopes]),
  };
}

export function isBackOffice(viewer: Viewer): boolean {
  return viewer.kind === 'user' && viewer.roles.some((role) => BACK_OFFICE_ROLES.includes(role));
}

/** A customer's personal fields (email, sign-up date): the customer, staff, or a `customers:pii` holder. */
export function mayReadPersonalData(viewer: Viewer, userId: string): boolean {
  return viewer.userId === userId || isBackOffice(viewer) || viewer.scopes.includes(PERSONAL_DATA_SCOPE);
}

/** A customer's orders: the customer, staff, or a client (partner) granted `orders:read`. */
export function mayReadOrdersOf(viewer: Viewer, customerId: string): boolean {
  return viewer.userId === customerId || isBackOffice(viewer) || (viewer.kind === 'client' && viewer.scopes.includes(ORDERS_READ_SCOPE));
}

/** Every order (the back-office list): staff, or a client granted `orders:read`. */
export function mayReadAllOrders(viewer: Viewer): boolean {
  return isBackOffice(viewer) || (viewer.kind === 'client' && viewer.scopes.includes(ORDERS_READ_SCOPE));
}
