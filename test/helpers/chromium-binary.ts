/**
 * Finds (or, as a last resort, installs) the Chromium the partner portal's browser test
 * drives, as redis-binary.ts does for Redis: run once by jest's global setup, so `npm test`
 * needs no step of its own on a fresh machine. When none can be had the browser test fails
 * with one line saying what to install (it skips nothing).
 */
import { installDebianPackages, isExecutable } from './executables';

/** Environment variable naming the browser: set by the global setup for the test workers, or by a developer. */
export const CHROMIUM_PATH_ENV = 'CHROMIUM_PATH';

/** Where Debian and Ubuntu put the browser. */
const USUAL_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Pure lookup: the named browser, else the usual paths. */
export function locateChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[CHROMIUM_PATH_ENV];
  if (named) return isExecutable(named) ? named : undefined;
  return USUAL_PATHS.find(isExecutable);
}

/** Finds Chromium, installing it where that is possible; undefined when neither works. */
export function provideChromium(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  const found = locateChromium();
  if (found) return found;
  if (process.env[CHROMIUM_PATH_ENV]) return undefined; // a named browser that is missing is not replaced behind the user's back
  return installDebianPackages(['chromium', 'fonts-liberation'], 'for the partner portal browser test', log) ? locateChromium() : undefined;
}
