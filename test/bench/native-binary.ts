/**
 * The native programs of the benchmark (nginx, haproxy): found on the machine, or in full
 * mode installed from the Debian packages, or else a reason to skip their contestant. An
 * installed package's own service is never started: it would bind port 80 and stay
 * running after the bench.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isExecutable } from '../helpers/executables';
import type { BenchMode } from './options';

/** A program and the Debian packages that provide it, tried in order. */
export interface NativeBinary {
  /** Executable name, e.g. `nginx`. */
  name: string;
  /** e.g. `['nginx-light', 'nginx']`: the smallest package first. */
  debianPackages: readonly string[];
}

/** The program was found (or installed), or the reason it cannot be had: its contestant is skipped. */
export type BinaryLookup = { path: string } | { skip: string };

/** Where distributions put daemons when PATH (a non-root shell's, say) leaves those folders out. */
const USUAL_FOLDERS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** Longest one apt-get call may take, in ms (a slow mirror, not a hung lock, is what it allows for). */
const APT_TIMEOUT_MS = 300_000;

/**
 * invoke-rc.d and deb-systemd-invoke ask this script whether a package may start its
 * service; exit code 101 says no.
 */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const DENY_SERVICE_START = '#!/bin/sh\n# Written by Portico\'s bench while it installs a package: no service may start.\nexit 101\n';

/** Pure lookup: the program on PATH, else in the usual folders; undefined when absent. */
export function locateBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const folders = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...USUAL_FOLDERS];
  return folders.map((dir) => path.join(dir, name)).find(isExecutable);
}

interface CommandOutcome {
  ok: boolean;
  /** The last line the command wrote, for the skip reason. */
  lastLine: string;
}

/** Runs a command to its end (killed after `timeoutMs`), without blocking the harness's event loop. */
function runCommand(argv: readonly [string, ...string[]], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (ok: boolean, extra = '') => {
      clearTimeout(timer);
      const lines = `${output}\n${extra}`.split('\n').map((l) => l.trim()).filter(Boolean);
      resolve({ ok, lastLine: lines.at(-1) ?? '' });
    };
    child.once('error', (err) => done(false, err.message));
    child.once('exit', (code, signal) => done(code === 0, signal ? `killed by ${signal} after ${timeoutMs} ms` : ''));
  });
}

/**
 * Installs the first of the packages that installs, with services kept from starting. A
 * fresh machine may have no package lists yet: when no package installs, the lists are
 * updated once and every package tried again.
 */
async function installWithApt(binary: NativeBinary, log: (line: string) => void): Promise<CommandOutcome> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, DENY_SERVICE_START, { mode: 0o755 });
  try {
    const tryAll = async (): Promise<CommandOutcome> => {
      let last: CommandOutcome = { ok: false, lastLine: 'no package to install' };
      for (const pkg of binary.debianPackages) {
        log(`${binary.name} not found: apt-get install ${pkg}`);
        last = await runCommand(['apt-get', 'install', '-y', '--no-install-recommends', pkg], env, APT_TIMEOUT_MS);
        if (last.ok) return last;
      }
      return last;
    };
    const first = await tryAll();
    if (first.ok) return first;
    log('apt-get install failed: apt-get update, then one more try');
    const update = await runCommand(['apt-get', 'update'], env, APT_TIMEOUT_MS);
    return update.ok ? await tryAll() : update;
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}

/**
 * The program's path. In smoke mode only a program already there is used; in full mode a
 * missing one is installed with apt-get where that can work (root, Debian-like).
 */
export async function provideBinary(binary: NativeBinary, mode: BenchMode, log: (line: string) => void): Promise<BinaryLookup> {
  const found = locateBinary(binary.name);
  if (found) return { path: found };
  if (mode === 'smoke') return { skip: `${binary.name} is not installed (smoke mode installs nothing; a full run installs it with apt-get)` };
  if (process.getuid?.() !== 0) return { skip: `${binary.name} is not installed and installing it needs root (apt-get install ${binary.debianPackages.join(' or ')})` };
  if (!locateBinary('apt-get')) return { skip: `${binary.name} is not installed and there is no apt-get to install it with` };
  const installed = await installWithApt(binary, log);
  const after = locateBinary(binary.name);
  if (after) return { path: after };
  return { skip: `${binary.name} could not be installed (apt-get install ${binary.debianPackages.join(' or ')}: ${installed.lastLine || 'no output'})` };
}
