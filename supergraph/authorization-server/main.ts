/**
 * Entry point of the demo authorization server: `PORT` and `HOST` say where it listens
 * (default 127.0.0.1:4106), `TOKEN_TTL_SEC` how long its tokens live.
 */
import { integer, oneOf, port, readEnv, text } from '../../shared/config/env';
import { runMain } from '../../shared/config/server-env';
import { runUntilSignalled } from '../../shared/lifecycle';
import { AUTHORIZATION_SERVER_PORT, DEMO_AUTH_AUDIENCE, DEMO_AUTH_ISSUER, DEMO_CLIENTS, DEMO_USERS } from './demo-clients';
import { createAuthorizationServer } from './server';
import { DEFAULT_TOKEN_TTL_SEC } from './token-store';

void runMain(async () => {
  const env = readEnv(process.env, {
    PORT: port('Listen port', AUTHORIZATION_SERVER_PORT),
    HOST: text('Listen address', '127.0.0.1'),
    TOKEN_TTL_SEC: integer('Lifetime of issued access tokens, in seconds', DEFAULT_TOKEN_TTL_SEC, { min: 1, max: 86_400 }),
    LOG_LEVEL: oneOf('pino log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  });
  const { app } = createAuthorizationServer({
    clients: DEMO_CLIENTS,
    users: DEMO_USERS,
    issuer: DEMO_AUTH_ISSUER,
    audience: DEMO_AUTH_AUDIENCE,
    tokenTtlSec: env.TOKEN_TTL_SEC,
    logLevel: env.LOG_LEVEL,
  });
  await runUntilSignalled(app, { host: env.HOST, port: env.PORT, shutdownTimeoutMs: 5_000 });
});
