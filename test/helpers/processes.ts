/** Runs Portico entry points as real child processes for lifecycle tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { nodeArguments } from '../../shared/node-runtime';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface ChildHandle {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export interface RunEntryOptions {
  /** Modules preloaded before the entry point (`--require`). */
  preload?: readonly string[];
  /** An IPC channel to the child, for tests that ask it something. */
  ipc?: boolean;
}

export function runEntry(entry: string, env: Record<string, string>, options: RunEntryOptions = {}): ChildHandle {
  const preload = (options.preload ?? []).flatMap((module) => ['--require', module]);
  const proc = spawn(process.execPath, [...nodeArguments(), ...preload, path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    // Policies are exercised by their own tests; lifecycle tests run the BFFs open, and
    // without a drain delay unless they test the drain.
    env: { ...process.env, LOG_LEVEL: 'warn', AUTH: 'off', SHUTDOWN_DRAIN_DELAY_MS: '0', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    output: () => out,
    exited,
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Polls `url` until it answers 200 or the child exits or the timeout passes. */
export async function waitForHttp200(url: string, child: ChildHandle, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`process exited early:\n${child.output()}`);
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not 200 within ${timeoutMs} ms:\n${child.output()}`);
}

/** Polls `condition` until it holds; bounded by `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
