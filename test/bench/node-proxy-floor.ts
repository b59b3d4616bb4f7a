/**
 * A reference point for the REST group, not a product: the least a Node process can do to
 * proxy one request (node:http in, an undici keep-alive pool out, hop-by-hop headers
 * dropped, small bodies sent whole), with no framework and no policy. The gap between it
 * and the upstream called directly is the cost of a Node proxy hop itself; the gap between
 * it and the partner BFF is what Portico's framework and policies add.
 *
 * Environment: `PORT`, `HOST` (default 127.0.0.1), `UPSTREAM_URL_PRODUCTS` (required).
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { ConfigError, port, readEnv, text } from '../../shared/config/env';
import { runMain } from '../../shared/config/server-env';
import { stripHopByHopHeaders } from '../../shared/rest/hop-by-hop';

void runMain(async () => {
  const env = readEnv(process.env, { PORT: port('Listen port', 4900), HOST: text('Listen address', '127.0.0.1') });
  const upstream = process.env.UPSTREAM_URL_PRODUCTS;
  if (!upstream) throw new ConfigError(['UPSTREAM_URL_PRODUCTS: required']);
  const pool = new Pool(upstream, { connections: 64 });
  const server = createServer((req, res) => {
    const headers = stripHopByHopHeaders(req.headers);
    delete headers.host;
    pool
      .request({ method: req.method as 'GET', path: req.url ?? '/', headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req })
      .then(async ({ statusCode, headers: upstreamHeaders, body }) => {
        const bytes = Buffer.from(await body.arrayBuffer());
        res.writeHead(statusCode, stripHopByHopHeaders(upstreamHeaders));
        res.end(bytes);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(env.PORT, env.HOST, resolve));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
