/**
 * What every BFF process reads from its environment besides its policies: the server
 * variables (declared with the server settings, `shared/server-env.ts`), prefixed URL
 * families, the worker count, and how a configuration error ends the process.
 */
import { ConfigError, integer, readEnv, readPrefixed } from './env';

export { serverEnvSpec, serverSettingsFrom } from '../server-env';

/**
 * Reads `<PREFIX><NAME>=<url>` variables (e.g. `SUBGRAPH_URL_ACCOUNTS`) into a map keyed
 * by the lowercased name; a malformed URL is reported by variable name.
 */
export function readPrefixedUrls(env: NodeJS.ProcessEnv, prefix: string): Record<string, string> {
  return readPrefixed<string>(env, prefix, (key, value) => {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return { value };
    } catch {
      // reported below
    }
    return { problems: [`${key}=${JSON.stringify(value)}: must be an http(s) URL`] };
  });
}

export const workersEnvSpec = {
  WORKERS: integer(
    'processes serving the port (Node cluster): the primary supervises, restarts a crashed worker and drains all on SIGTERM. In-memory limiter counters are per worker; set `REDIS_URL` for one limit across workers',
    1,
    { min: 1, max: 64 },
  ),
};

/** `WORKERS`: processes serving the port (Node cluster); default 1. */
export function workersFromEnv(env: NodeJS.ProcessEnv): number {
  return readEnv(env, workersEnvSpec).WORKERS;
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
