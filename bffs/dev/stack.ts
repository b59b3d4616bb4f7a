/**
 * The demo stack Portico's `npm start` runs: every upstream service, the demo
 * authorization server and the three BFFs, with the ports and environment each gets.
 * docker-compose.yml describes the same stack for containers; a test keeps the two from
 * drifting apart.
 */
import { BFF_AUDIENCES, DEV_ISSUER } from '../../shared/dev/dev-keys';
import { GRAPHQL_BFF_HEAP, REST_BFF_HEAP, nodeArguments } from '../../shared/node-runtime';
import { AUTHORIZATION_SERVER_PORT, DEMO_AUTH_ISSUER, GATEWAY_CLIENT } from '../../supergraph/authorization-server/demo-clients';
import { SUBGRAPH_GRAPHQL_PATH, SUBGRAPH_NAMES, SUBGRAPH_PORTS } from '../../supergraph/subgraphs/catalog';
import { MOBILE_DEFAULT_PORT } from '../mobile/manifest';
import { PARTNER_DEFAULT_PORT } from '../partner/manifest';
import { WEB_DEFAULT_PORT } from '../web/manifest';

export interface StackProcess {
  /** Process name; also the docker-compose service name. */
  name: string;
  kind: 'upstream' | 'bff';
  /** TypeScript entry file, relative to the repository root. */
  entry: string;
  /** Node's arguments before the entry (shared/node-runtime.ts). */
  nodeArgs: readonly string[];
  port: number;
  /** Path answering 200 once the process can serve traffic. */
  readyPath: string;
  /** Environment the process gets (on top of the parent's). */
  env: Record<string, string>;
}

export const STACK_HOST = '127.0.0.1';

/** Dev keys live here (created by the launcher on first start; git-ignored). */
export const DEV_KEYS_PATH = '.portico/dev-keys';

const upstreams: StackProcess[] = SUBGRAPH_NAMES.map((name) => ({
  name,
  kind: 'upstream',
  entry: 'supergraph/subgraphs/main.ts',
  nodeArgs: nodeArguments(),
  port: SUBGRAPH_PORTS[name],
  readyPath: '/healthz',
  // accounts is the demo's identity provider: it publishes the dev JWKS.
  env: { SUBGRAPH: name, PORT: String(SUBGRAPH_PORTS[name]), ...(name === 'accounts' ? { DEV_JWKS_FILE: `${DEV_KEYS_PATH}/jwks.json` } : {}) },
}));

/** The demo authorization server issues opaque tokens the BFFs check by introspection. */
const authorizationServer: StackProcess = {
  name: 'authorization-server',
  kind: 'upstream',
  entry: 'supergraph/authorization-server/main.ts',
  nodeArgs: nodeArguments(),
  port: AUTHORIZATION_SERVER_PORT,
  readyPath: '/healthz',
  env: { PORT: String(AUTHORIZATION_SERVER_PORT) },
};

/**
 * Every BFF also accepts the authorization server's opaque tokens (JWS-shaped tokens still
 * go to the JWKS), each only those issued for its own audience.
 */
const introspectionEnv = (audience: string) => ({
  INTROSPECTION_URL: `http://127.0.0.1:${AUTHORIZATION_SERVER_PORT}/oauth/introspect`,
  INTROSPECTION_CLIENT_ID: GATEWAY_CLIENT.clientId,
  INTROSPECTION_CLIENT_SECRET: GATEWAY_CLIENT.clientSecret,
  INTROSPECTION_ISSUER: DEMO_AUTH_ISSUER,
  INTROSPECTION_AUDIENCE: audience,
});

/** Web and mobile verify dev JWTs against the JWKS the accounts service publishes, each for its own audience. */
const jwtEnv = (audience: string) => ({
  JWT_JWKS_URL: `http://127.0.0.1:${SUBGRAPH_PORTS.accounts}/.well-known/jwks.json`,
  JWT_ISSUER: DEV_ISSUER,
  JWT_AUDIENCE: audience,
});

/**
 * Partner's upstreams are the demo services: their REST routes for passthrough and
 * aggregates, their subgraphs for operation-backed aggregates (web and mobile find those in
 * the supergraph).
 */
const PARTNER_UPSTREAM_ENV = Object.fromEntries(
  SUBGRAPH_NAMES.flatMap((name) => [
    [`UPSTREAM_URL_${name.toUpperCase()}`, `http://127.0.0.1:${SUBGRAPH_PORTS[name]}`],
    [`SUBGRAPH_URL_${name.toUpperCase()}`, `http://127.0.0.1:${SUBGRAPH_PORTS[name]}${SUBGRAPH_GRAPHQL_PATH}`],
  ]),
);

/** Every BFF caches what its upstreams allow, in memory (REST GETs by Cache-Control, GraphQL queries by hints). */
const CACHE_ENV = { RESPONSE_CACHE: 'memory' };

const bffs: StackProcess[] = [
  { name: 'web', kind: 'bff', entry: 'bffs/web/main.ts', nodeArgs: nodeArguments(GRAPHQL_BFF_HEAP), port: WEB_DEFAULT_PORT, readyPath: '/readyz', env: { PORT: String(WEB_DEFAULT_PORT), ...jwtEnv(BFF_AUDIENCES.web), ...introspectionEnv(BFF_AUDIENCES.web), ...CACHE_ENV } },
  { name: 'mobile', kind: 'bff', entry: 'bffs/mobile/main.ts', nodeArgs: nodeArguments(GRAPHQL_BFF_HEAP), port: MOBILE_DEFAULT_PORT, readyPath: '/readyz', env: { PORT: String(MOBILE_DEFAULT_PORT), ...jwtEnv(BFF_AUDIENCES.mobile), ...introspectionEnv(BFF_AUDIENCES.mobile), ...CACHE_ENV } },
  { name: 'partner', kind: 'bff', entry: 'bffs/partner/main.ts', nodeArgs: nodeArguments(REST_BFF_HEAP), port: PARTNER_DEFAULT_PORT, readyPath: '/readyz', env: { PORT: String(PARTNER_DEFAULT_PORT), API_KEYS_FILE: `${DEV_KEYS_PATH}/api-keys.json`, ...introspectionEnv(BFF_AUDIENCES.partner), ...PARTNER_UPSTREAM_ENV, ...CACHE_ENV } },
];

/** Upstreams first: BFFs report ready only once their upstreams answer. */
export const STACK: readonly StackProcess[] = [...upstreams, authorizationServer, ...bffs];
