/**
 * A reference point for the REST group, not a product: plain Fastify with
 * `@fastify/http-proxy` at its default options forwarding every request to the products
 * service, and nothing else (no logger, no hook, no policy). It is what a team writing its
 * own Node proxy would start from, so the gap between it and the partner BFF is what
 * Portico's policies and their wiring add on top of the same proxy library.
 *
 * Environment: `PORT`, `HOST` (default 127.0.0.1), `UPSTREAM_URL_PRODUCTS` (required).
 */
import httpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { ConfigError, port, readEnv, text } from '../../shared/config/env';
import { runMain } from '../../shared/config/server-env';

void runMain(async () => {
  const env = readEnv(process.env, { PORT: port('Listen port', 4901), HOST: text('Listen address', '127.0.0.1') });
  const upstream = process.env.UPSTREAM_URL_PRODUCTS;
  if (!upstream) throw new ConfigError(['UPSTREAM_URL_PRODUCTS: required']);
  const app = Fastify();
  await app.register(httpProxy, { upstream });
  await app.listen({ port: env.PORT, host: env.HOST });
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
