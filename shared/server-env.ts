/** The server settings' environment variables and how they map into `manifest.server`. */
import { integer, oneOf, optionalInteger, optionalText, port, shownDefault, text, type Parsed } from './config/env';
import { LOG_LEVELS } from './observability/logger';
import { DEFAULT_SERVER_SETTINGS, type ServerSettings } from './server-settings';
import { tracingEnvSpec, tracingSettingsFrom } from './observability/tracing-env';

/** The server variables, defaulting to the manifest's own settings. */
export function serverEnvSpec(base: ServerSettings = DEFAULT_SERVER_SETTINGS) {
  return {
    PORT: port('listen port', base.port),
    HOST: text('listen address (`0.0.0.0` in containers)', base.host),
    LOG_LEVEL: shownDefault(oneOf(`log level: ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}`, LOG_LEVELS, base.logLevel), `\`${base.logLevel}\` (\`warn\` under \`npm start\`)`),
    BODY_LIMIT_BYTES: integer('largest accepted request body, in bytes', base.bodyLimitBytes, { min: 1 }),
    REQUEST_TIMEOUT_MS: integer('longest time to receive a whole request (headers and body) from a client, in ms; a request still arriving then is answered 408 `REQUEST_TIMEOUT` within one second more', base.requestTimeoutMs, { min: 1 }),
    HEADERS_TIMEOUT_MS: integer('longest time to receive the headers of a request, in ms (408 `REQUEST_TIMEOUT` after it); must be below `REQUEST_TIMEOUT_MS`', base.headersTimeoutMs, { min: 1 }),
    SHUTDOWN_DRAIN_DELAY_MS: integer('after SIGTERM, how long the listener keeps accepting and serving, in ms, while `/readyz` answers 503 and every response says `Connection: close`, so a load balancer stops routing here first; `0` stops accepting at once', base.shutdownDrainDelayMs, { min: 0 }),
    SHUTDOWN_TIMEOUT_MS: integer('after the drain delay, longest wait for in-flight requests before the process exits anyway (code 1), in ms', base.shutdownTimeoutMs, { min: 1 }),
    PASSTHROUGH_FAST_PATH: oneOf('`on`: GET passthroughs with an API key remembered from its last check (1 s) are served without the framework\'s request lifecycle, by the same policy code; `off`: every request takes the whole pipeline', ['on', 'off'] as const, base.passthroughFastPath === false ? 'off' : 'on'),
    METRICS_PORT: shownDefault(optionalInteger('serve `/metrics` alone on this port (same `HOST`); the client port then answers 404 there'), '(none: the client port)'),
    METRICS_TOKEN: optionalText('bearer token `/metrics` requires (`Authorization: Bearer <token>`)'),
    ...tracingEnvSpec,
  };
}

export type ServerEnv = Parsed<ReturnType<typeof serverEnvSpec>>;

/** Pure: the manifest's server settings with the environment applied. */
export function serverSettingsFrom(env: ServerEnv, base: ServerSettings = DEFAULT_SERVER_SETTINGS): ServerSettings {
  const metrics = { ...base.metrics, ...(env.METRICS_PORT !== undefined ? { port: env.METRICS_PORT } : {}), ...(env.METRICS_TOKEN ? { token: env.METRICS_TOKEN } : {}) };
  const { tracing: baseTracing, ...rest } = base;
  const tracing = tracingSettingsFrom(env, baseTracing);
  return {
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...rest,
    ...(tracing ? { tracing } : {}),
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
    shutdownDrainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    passthroughFastPath: env.PASSTHROUGH_FAST_PATH === 'on',
  };
}
