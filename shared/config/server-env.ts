/**
 * The environment variables every BFF reads (once, in its `main.ts`), and how they are
 * applied to a manifest.
 */
import { LOG_LEVELS } from '../observability/logger';
import { DEFAULT_SERVER_SETTINGS, type ServerSettings } from '../manifest';
import { ConfigError, integer, oneOf, optionalInteger, optionalText, port, readEnv, text } from './env';

/** The server variables, defaulting to the manifest's own settings. */
export function serverEnvSpec(base: ServerSettings = DEFAULT_SERVER_SETTINGS) {
  return {
    PORT: port('Listen port', base.port),
    HOST: text('Listen address', base.host),
    LOG_LEVEL: oneOf('Log level', LOG_LEVELS, base.logLevel),
    BODY_LIMIT_BYTES: integer('Largest accepted request body, in bytes', base.bodyLimitBytes, { min: 1 }),
    REQUEST_TIMEOUT_MS: integer('Longest time to receive a whole request, in ms', base.requestTimeoutMs, { min: 1 }),
    SHUTDOWN_TIMEOUT_MS: integer('Longest graceful shutdown, in ms', base.shutdownTimeoutMs, { min: 1 }),
    METRICS_PORT: optionalInteger('Serve /metrics on this port (same HOST) instead of the client port'),
    METRICS_TOKEN: optionalText('Bearer token /metrics requires (`Authorization: Bearer <token>`)'),
  };
}

export function serverSettingsFrom(
  env: { PORT: number; HOST: string; LOG_LEVEL: ServerSettings['logLevel']; BODY_LIMIT_BYTES: number; REQUEST_TIMEOUT_MS: number; SHUTDOWN_TIMEOUT_MS: number; METRICS_PORT?: number | undefined; METRICS_TOKEN?: string | undefined },
  base: ServerSettings = DEFAULT_SERVER_SETTINGS,
): ServerSettings {
  const metrics = { ...base.metrics, ...(env.METRICS_PORT !== undefined ? { port: env.METRICS_PORT } : {}), ...(env.METRICS_TOKEN ? { token: env.METRICS_TOKEN } : {}) };
  return {
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...base,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}

/**
 * Reads `<PREFIX><NAME>=<url>` variables (e.g. `SUBGRAPH_URL_ACCOUNTS`) into a map keyed
 * by the lowercased name; a malformed URL is reported by variable name.
 */
export function readPrefixedUrls(env: NodeJS.ProcessEnv, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(prefix) || !value) continue;
    const name = key.slice(prefix.length).toLowerCase().replace(/_/g, '-');
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
      out[name] = value;
    } catch {
      problems.push(`${key}=${JSON.stringify(value)}: must be an http(s) URL`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** `WORKERS`: processes serving the port (Node cluster); default 1. */
export function workersFromEnv(env: NodeJS.ProcessEnv): number {
  return readEnv(env, { WORKERS: integer('Worker processes sharing the port (1 = single process)', 1, { min: 1, max: 64 }) }).WORKERS;
}

/** Runs a `main` body and turns a ConfigError into a clear message and exit code 1. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`Failed to start: ${(err as Error).stack ?? String(err)}\n`);
    }
    process.exit(1);
  }
}
