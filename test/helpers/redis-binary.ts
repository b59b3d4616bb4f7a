/**
 * Finds (or, as a last resort, installs) the redis-server binary the Redis integration
 * tests start. Run once per test run by jest's global setup, so `npm test` needs no step of
 * its own on a fresh machine; when no Redis can be had it stops the run with one line
 * saying what to install, instead of every Redis test failing on its own.
 */
import path from 'node:path';
import { installDebianPackages, isExecutable } from './executables';

/** Environment variable naming the binary: set by the global setup for the test workers, or by a developer to use their own build. */
export const REDIS_SERVER_BIN_ENV = 'REDIS_SERVER_BIN';

/** Where distributions put redis-server when PATH (e.g. a minimal shell's) leaves those folders out. */
const USUAL_FOLDERS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

/** Pure lookup: the named binary, else redis-server on PATH, else in the usual folders. */
export function locateRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[REDIS_SERVER_BIN_ENV];
  if (named) return isExecutable(named) ? named : undefined;
  const folders = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...USUAL_FOLDERS];
  return folders.map((dir) => path.join(dir, 'redis-server')).find(isExecutable);
}

/** One line, for a run that cannot get Redis. */
export const NO_REDIS_MESSAGE =
  `The Redis integration tests need redis-server and none could be found or installed: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set ${REDIS_SERVER_BIN_ENV}=/path/to/redis-server, then run npm test again.`;

/**
 * Pure lookup of redis-cli, which the Redis Cluster test uses to create its cluster: beside
 * the redis-server in use (a build of one's own has both), else on PATH or in the usual folders.
 */
export function locateRedisCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = locateRedisServer(env);
  const folders = [...(server ? [path.dirname(server)] : []), ...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...USUAL_FOLDERS];
  return folders.map((dir) => path.join(dir, 'redis-cli')).find(isExecutable);
}

/** One line, for a cluster test that cannot get redis-cli. */
export const NO_REDIS_CLI_MESSAGE = 'The Redis Cluster test needs redis-cli beside redis-server: install it (Debian/Ubuntu: apt-get install redis-tools; macOS: brew install redis), then run npm test again.';

/**
 * Finds redis-server, installing it where that is possible; undefined when neither works.
 * redis-cli (Debian's redis-tools) is installed along with it when missing; without it only
 * the cluster test fails, with its own line.
 */
export function provideRedisServer(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  const found = locateRedisServer();
  if (found) {
    if (!process.env[REDIS_SERVER_BIN_ENV] && !locateRedisCli()) installDebianPackages(['redis-tools'], 'for the Redis Cluster test', log);
    return found;
  }
  if (process.env[REDIS_SERVER_BIN_ENV]) return undefined; // a named binary that is missing is not replaced behind the user's back
  return installDebianPackages(['redis-server', 'redis-tools'], 'for the Redis integration tests', log) ? locateRedisServer() : undefined;
}
