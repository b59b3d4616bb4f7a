/**
 * A peer contestant of the GraphQL groups, as its own process: the Mercurius federation
 * gateway (`@mercuriusjs/gateway` on Fastify). It does not read a supergraph: it is given
 * the subgraph services, each with its URL (`SUBGRAPH_URL_<NAME>`) and its schema, and
 * composes them at start, with Mercurius' defaults otherwise (no JIT, no cache). The
 * schema is the subgraph's own `schema.graphql` in federation v1's dialect (see
 * federation-v1-sdl.ts): Mercurius composes v1 only and would refuse the v2 SDL the
 * subgraphs serve. Like the Apollo Gateway baseline, it enforces none of the supergraph's
 * authorization rules (they are dropped with the v2 directives).
 *
 * Environment: `PORT` (default 4000), `HOST` (default 127.0.0.1), `SUBGRAPH_URL_<NAME>`
 * (every subgraph).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
// Before the gateway: it patches how the gateway loads graphql-js.
import './mercurius-graphql-compat';
import mercuriusGateway from '@mercuriusjs/gateway';
import Fastify from 'fastify';
import { port, readEnv, text } from '../../shared/config/env';
import { SUBGRAPH_URL_PREFIX } from '../../shared/config/graphql-env';
import { readPrefixedUrls, runMain } from '../../shared/config/server-env';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { federationV1Sdls } from './federation-v1-sdl';

const SUBGRAPH_DIR = path.resolve(__dirname, '../../supergraph/subgraphs');

void runMain(async () => {
  const env = readEnv(process.env, {
    PORT: port('Listen port', 4000),
    HOST: text('Listen address', '127.0.0.1'),
  });
  const urls = readPrefixedUrls(process.env, SUBGRAPH_URL_PREFIX);
  const missing = SUBGRAPH_NAMES.filter((name) => !urls[name]);
  if (missing.length > 0) throw new Error(`no URL for ${missing.map((name) => `${SUBGRAPH_URL_PREFIX}${name.toUpperCase()}`).join(', ')}: the gateway needs every subgraph service`);
  const sdls = federationV1Sdls(SUBGRAPH_NAMES.map((name) => ({ name, sdl: readFileSync(path.join(SUBGRAPH_DIR, name, 'schema.graphql'), 'utf8') })));
  const app = Fastify({ logger: false });
  await app.register(mercuriusGateway, {
    // Mandatory: a subgraph that cannot be read stops the start instead of leaving its fields out.
    gateway: { services: sdls.map(({ name, sdl }) => ({ name, url: urls[name] as string, schema: sdl, mandatory: true })) },
    graphiql: false,
  });
  await app.listen({ port: env.PORT, host: env.HOST });
  const stop = () => void app.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
