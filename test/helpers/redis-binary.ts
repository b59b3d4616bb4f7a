/**
 * Finds (or, as a last resort, installs) the redis-server binary the Redis integration
 * tests start. Run once per test run by jest's global setup, so `npm test` needs no step of
 * its own on a fresh machine; when no Redis can be had it stops the run with one line
 * saying what to install, instead of every Redis test failing on its own.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Environment variable naming the binary: set by the global setup for the test workers, or by a developer to use their own build. */
export const REDIS_SERVER_BIN_ENV = 'REDIS_SERVER_BIN';

/** Where distributions put redis-server when PATH (e.g. a minimal shell's) leaves those folders out. */
const USUAL_FOLDERS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

function executable(candidate: string): boolean {
  try {
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Pure lookup: the named binary, else redis-server on PATH, else in the usual folders. */
export function locateRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[REDIS_SERVER_BIN_ENV];
  if (named) return executable(named) ? named : undefined;
  const folders = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...USUAL_FOLDERS];
  return folders.map((dir) => path.join(dir, 'redis-server')).find(executable);
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian's redis-server package; only where we are root and apt-get exists. */
function installWithApt(log: (line: string) => void): boolean {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) return false;
  log('redis-server not found: installing it with apt-get for the Redis integration tests');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'ignore', env }).status === 0;
  // A fresh machine may have no package lists yet: update once, then try again.
  if (install()) return true;
  return spawnSync('apt-get', ['update'], { stdio: 'ignore', env }).status === 0 && install();
}

/** One line, for a run that cannot get Redis. */
export const NO_REDIS_MESSAGE =
  `The Redis integration tests need redis-server and none could be found or installed: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set ${REDIS_SERVER_BIN_ENV}=/path/to/redis-server, then run npm test again.`;

/** Finds redis-server, installing it where that is possible; undefined when neither works. */
export function provideRedisServer(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  const found = locateRedisServer();
  if (found) return found;
  if (process.env[REDIS_SERVER_BIN_ENV]) return undefined; // a named binary that is missing is not replaced behind the user's back
  return installWithApt(log) ? locateRedisServer() : undefined;
}
