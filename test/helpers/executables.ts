/** Finding and installing the programs the tests and the bench run (redis-server, Chromium, nginx, haproxy). */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Whether `candidate` is a file this process may execute. */
export function isExecutable(candidate: string): boolean {
  try {
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs Debian packages with apt-get, synchronously, for a test run's setup; only where we
 * are root and apt-get exists. A fresh machine may have no package lists yet: on a failure the
 * lists are updated once and the install tried again.
 */
export function installDebianPackages(packages: readonly string[], why: string, log: (line: string) => void): boolean {
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return false;
  log(`${packages[0]} not found: installing it with apt-get ${why}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore', env }).status === 0;
  if (install()) return true;
  return spawnSync('apt-get', ['update'], { stdio: 'ignore', env }).status === 0 && install();
}
