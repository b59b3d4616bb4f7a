/**
 * Who the demo authorization server knows: its registered clients and demo users. Dev
 * credentials only, fixed so that `npm start`, docker-compose.yml and the BFFs agree on
 * them without any setup; a real deployment points Portico at its own authorization server.
 */
import { BFF_AUDIENCES, DEV_INTROSPECTION_CLIENT_SECRET, DEV_USER_AUDIENCES } from '../../shared/dev/dev-keys';
import type { DemoUser, RegisteredClient } from './token-store';

/** Default listen port of the demo authorization server. */
export const AUTHORIZATION_SERVER_PORT = 4106;

/** `iss` of every token the demo authorization server issues. */
export const DEMO_AUTH_ISSUER = 'https://auth.portico.dev';

/** `aud` of tokens whose client names none: the partner API (clients are partners unless they say otherwise). */
export const DEMO_AUTH_AUDIENCE = BFF_AUDIENCES.partner;

/** The gateway itself: a resource server that may introspect tokens but not obtain any. */
export const GATEWAY_CLIENT: RegisteredClient = {
  clientId: 'portico-gateway',
  clientSecret: DEV_INTROSPECTION_CLIENT_SECRET,
  grants: [],
  scopes: [],
  introspect: true,
};

/** A partner integration using client credentials (the same client id as the demo partner API key). */
export const PARTNER_CLIENT: RegisteredClient = {
  clientId: 'demo-partner',
  clientSecret: 'demo-partner-secret',
  grants: ['client_credentials'],
  scopes: ['orders:read', 'orders:write', 'customers:read'],
  plan: 'pro',
  // Its tokens are for the partner API only: web and mobile refuse them.
  audience: BFF_AUDIENCES.partner,
};

/** A first-party app signing users in with their password (the demo's stand-in for an interactive login). */
export const WEB_CLIENT: RegisteredClient = {
  clientId: 'demo-web',
  clientSecret: 'demo-web-secret',
  grants: ['password'],
  scopes: ['profile', 'orders:read'],
  // Signed-in users' tokens are for the first-party apps' BFFs: partner refuses them.
  audience: DEV_USER_AUDIENCES,
};

export const DEMO_CLIENTS: readonly RegisteredClient[] = [GATEWAY_CLIENT, PARTNER_CLIENT, WEB_CLIENT];

/** Demo users; `sub` is their id in the accounts service's seed data. */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'demo', password: 'demo-password', sub: '1', roles: ['customer'], tenant: 'retail' },
  { username: 'support', password: 'support-password', sub: '7', roles: ['customer', 'support'], tenant: 'retail' },
];
