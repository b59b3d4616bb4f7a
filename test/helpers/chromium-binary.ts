/**
 * Finds (or, as a last resort, installs) the Chromium the partner portal's browser test
 * drives, as redis-binary.ts does for Redis: run once by jest's global setup, so `npm test`
 * needs no step of its own on a fresh machine. When none can be had the browser test fails
 * with one line saying what to install (it skips nothing).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Environment variable naming the browser: set by the global setup for the test workers, or by a developer. */
export const CHROMIUM_PATH_ENV = 'CHROMIUM_PATH';

/** Where Debian and Ubuntu put the browser. */
const USUAL_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function executable(candidate: string): boolean {
  try {
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Pure lookup: the named browser, else the usual paths. */
export function locateChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[CHROMIUM_PATH_ENV];
  if (named) return executable(named) ? named : undefined;
  return USUAL_PATHS.find(executable);
}

/** Installs Debian's chromium package; only where we are root and apt-get exists. */
function installWithApt(log: (line: string) => void): boolean {
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return false;
  log('chromium not found: installing it with apt-get for the partner portal browser test');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'], { stdio: 'ignore', env }).status === 0;
  if (install()) return true;
  return spawnSync('apt-get', ['update'], { stdio: 'ignore', env }).status === 0 && install();
}

/** Finds Chromium, installing it where that is possible; undefined when neither works. */
export function provideChromium(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  const found = locateChromium();
  if (found) return found;
  if (process.env[CHROMIUM_PATH_ENV]) return undefined; // a named browser that is missing is not replaced behind the user's back
  return installWithApt(log) ? locateChromium() : undefined;
}
