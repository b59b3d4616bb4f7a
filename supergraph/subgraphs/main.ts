/**
 * Entry point of one demo upstream service: `SUBGRAPH=<name>` picks which, `PORT` and
 * `HOST` where it listens (default: its catalogue port on 127.0.0.1).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, oneOf, optionalText, port, readEnv, text } from '../../shared/config/env';
import { runMain } from '../../shared/config/server-env';
import { runUntilSignalled } from '../../shared/lifecycle';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, isSubgraphName } from './catalog';
import { createSubgraphServer } from './server';
import { createService } from './services';

void runMain(async () => {
  const name = process.env.SUBGRAPH ?? '';
  if (!isSubgraphName(name)) {
    throw new ConfigError([`SUBGRAPH=${JSON.stringify(name)}: must be one of ${SUBGRAPH_NAMES.join(', ')}`]);
  }
  const env = readEnv(process.env, {
    PORT: port('Listen port', SUBGRAPH_PORTS[name]),
    HOST: text('Listen address', '127.0.0.1'),
    DEV_JWKS_FILE: optionalText('JWKS file the accounts service publishes at /.well-known/jwks.json'),
    LOG_LEVEL: oneOf('pino log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  });
  const jwks = env.DEV_JWKS_FILE ? (JSON.parse(readFileSync(env.DEV_JWKS_FILE, 'utf8')) as object) : undefined;
  const app = createSubgraphServer(createService(name), { logLevel: env.LOG_LEVEL, ...(jwks ? { jwks } : {}) });
  await runUntilSignalled(app, { host: env.HOST, port: env.PORT, shutdownTimeoutMs: 5_000 });
});
