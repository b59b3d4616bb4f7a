/**
 * A peer contestant of the GraphQL groups, as its own process: Hive Gateway's runtime
 * (`@graphql-hive/gateway-runtime`, the library under the `hive-gateway` CLI) serving the
 * committed supergraph on node:http, each subgraph's URL replaced by `SUBGRAPH_URL_<NAME>`.
 * It gets the same supergraph text as the Apollo Gateway baseline (without the
 * authorization features, enforcing nothing), and no plugin beyond the runtime's defaults.
 *
 * `HIVE_ROUTER_RUNTIME=on` plans with Hive Router's Rust query planner and runs the plans
 * with the executor built for it (`@graphql-hive/router-runtime`), as the CLI's variable of
 * the same name does; `off` (default) keeps the runtime's own JavaScript planner.
 *
 * Environment: `PORT` (default 4000), `HOST` (default 127.0.0.1), `SUBGRAPH_URL_<NAME>`,
 * `HIVE_ROUTER_RUNTIME` (`on` | `off`).
 */
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { oneOf, port, readEnv, text } from '../../shared/config/env';
import { SUBGRAPH_URL_PREFIX } from '../../shared/config/graphql-env';
import { readPrefixedUrls, runMain } from '../../shared/config/server-env';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';

/** The part of the runtime's configuration this entry sets (`GatewayConfigSupergraph`). */
interface HiveGatewayConfig {
  supergraph: string;
  transports: Record<string, unknown>;
  transportEntries: Record<string, { location: string }>;
  unifiedGraphHandler?: unknown;
  logging: 'error';
  landingPage: boolean;
  graphiql: boolean;
}

/*
 * Loaded untyped on purpose: the packages' typings pull in GraphQL Yoga's, which augment
 * graphql-js's `GraphQLErrorExtensions` for the whole program (`http.headers` becomes a
 * Record) and so would retype Portico's own errors, whose headers are a Map as Apollo
 * Server takes them. The entry types the little it uses.
 */
const { createGatewayRuntime } = require('@graphql-hive/gateway-runtime') as {
  createGatewayRuntime(config: HiveGatewayConfig): RequestListener & { dispose(): Promise<void> };
};
/** A transport is the module itself (`getSubgraphExecutor`), as the runtime would import it. */
const httpTransport = require('@graphql-mesh/transport-http') as unknown;

void runMain(async () => {
  const env = readEnv(process.env, {
    PORT: port('Listen port', 4000),
    HOST: text('Listen address', '127.0.0.1'),
    HIVE_ROUTER_RUNTIME: oneOf('Plan with the Rust query planner (Hive Router runtime)', ['on', 'off'], 'off'),
  });
  const urls = readPrefixedUrls(process.env, SUBGRAPH_URL_PREFIX);
  const gateway = createGatewayRuntime({
    supergraph: prepareSupergraph(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8')).gatewaySdl,
    // The CLI bundles the HTTP transport; the runtime alone loads it by name unless given.
    transports: { http: httpTransport },
    // Keyed by the subgraph name of the supergraph's `@join__graph(name:)`.
    transportEntries: Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, { location: url }])),
    // Loaded only when on: its native addon would otherwise weigh on the JavaScript planner's memory.
    ...(env.HIVE_ROUTER_RUNTIME === 'on' ? { unifiedGraphHandler: (require('@graphql-hive/router-runtime') as { unifiedGraphHandler: unknown }).unifiedGraphHandler } : {}),
    logging: 'error',
    landingPage: false,
    graphiql: false,
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(env.PORT, env.HOST, resolve));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void gateway.dispose();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
