/**
 * The baseline contestant of the GraphQL groups, as its own process: plain Apollo Gateway
 * over the committed supergraph (no composition at start, no introspection of the
 * subgraphs), with the default subgraph data source pointed at `SUBGRAPH_URL_<NAME>`, on
 * Apollo Server's standalone HTTP server. No Portico policy, pool or breaker is involved:
 * this is the denominator of the GraphQL ratios. Apollo Gateway refuses a supergraph that
 * carries authorization features it cannot enforce, so it gets the same text without them
 * and enforces nothing (Portico's enforcement is part of what Portico is measured with).
 *
 * Environment: `PORT` (default 4000), `HOST` (default 127.0.0.1), `SUBGRAPH_URL_<NAME>`.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { port, readEnv, text } from '../../shared/config/env';
import { SUBGRAPH_URL_PREFIX } from '../../shared/config/graphql-env';
import { readPrefixedUrls, runMain } from '../../shared/config/server-env';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';

void runMain(async () => {
  const env = readEnv(process.env, {
    PORT: port('Listen port', 4000),
    HOST: text('Listen address', '127.0.0.1'),
  });
  const urls = readPrefixedUrls(process.env, SUBGRAPH_URL_PREFIX);
  const gateway = new ApolloGateway({
    supergraphSdl: prepareSupergraph(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8')).gatewaySdl,
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: urls[name] ?? url }),
  });
  const server = new ApolloServer({ gateway });
  // Apollo Server stops itself on SIGTERM and SIGINT (stopOnTerminationSignals defaults to true).
  await startStandaloneServer(server, { listen: { port: env.PORT, host: env.HOST } });
});
