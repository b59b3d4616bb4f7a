/** Finding and installing the programs the tests and the bench run (redis-server, Chromium, promtool, nginx, haproxy). */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

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

/**
 * Unpacks a Debian package's files into `dest` without installing it (`apt-get download`,
 * then `dpkg-deb -x`): no maintainer script runs, so a package that would start a daemon
 * on install gives its tools only. Where apt-get is missing or the download fails: false.
 */
export function unpackDebianPackage(name: string, dest: string, why: string, log: (line: string) => void): boolean {
  if (spawnSync('sh', ['-c', 'command -v apt-get && command -v dpkg-deb'], { stdio: 'ignore' }).status !== 0) return false;
  log(`unpacking the Debian package ${name} into ${dest} ${why}`);
  mkdirSync(dest, { recursive: true });
  const download = (): boolean => spawnSync('apt-get', ['download', name], { cwd: dest, stdio: 'ignore' }).status === 0;
  // A fresh machine may have no package lists yet (updating them needs root).
  if (!download() && !(process.getuid?.() === 0 && spawnSync('apt-get', ['update'], { stdio: 'ignore' }).status === 0 && download())) return false;
  const archive = readdirSync(dest).find((file) => file.startsWith(`${name}_`) && file.endsWith('.deb'));
  return archive !== undefined && spawnSync('dpkg-deb', ['-x', path.join(dest, archive), dest], { stdio: 'ignore' }).status === 0;
}
