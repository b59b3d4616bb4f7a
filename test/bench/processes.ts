/**
 * Child processes of the benchmark: Portico entry points (and the baselines) started with
 * `node --import tsx`, or native programs (nginx, haproxy) started as they are, optionally pinned to one CPU with `taskset`, waited on until they
 * answer, and always stopped (SIGTERM, then SIGKILL after a grace period), also when the
 * harness fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { nodeArguments } from '../../shared/node-runtime';

/** Working directory of every process; entries are relative to it. */
export const REPO_ROOT = path.resolve(__dirname, '../..');

/** Default wait for a process to answer its readiness probe, in ms. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** Default grace period between SIGTERM and SIGKILL, in ms. */
export const DEFAULT_STOP_GRACE_MS = 5_000;

/** Lines of output kept per process, shown when it fails. */
const OUTPUT_LINES_KEPT = 40;

/** Variables passed through from the harness environment; everything else is left out so a developer's shell (AUTH, REDIS_URL, ...) cannot change what is measured. */
const PASSED_THROUGH_ENV = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'];

/** A TypeScript entry file, relative to the repository root, run with Portico's Node arguments (shared/node-runtime.ts). */
export interface NodeProgram {
  entry: string;
  /** Node's arguments before the entry; default: the TypeScript loader only (`nodeArguments()`). */
  nodeArgs?: readonly string[];
}

/** A native program: its executable (absolute path) and arguments, run as they are. */
export interface NativeProgram {
  argv: readonly [string, ...string[]];
}

/** What to start and where to pin it. */
export type StartOptions = (NodeProgram | NativeProgram) & {
  /** Name used in messages. */
  name: string;
  /** Gateways (contestants) are stopped before the upstream services they call. */
  role: 'gateway' | 'upstream';
  /** Environment of the process (on top of the passed-through basics). */
  env: Record<string, string>;
  /** CPU to pin the process to with `taskset -c`, or undefined for no pinning. */
  cpu?: number | undefined;
  /** Directory for a V8 CPU profile written when the process exits, or undefined for none (Node programs only). */
  cpuProfDir?: string | undefined;
};

/** A started process. */
export interface ManagedProcess {
  name: string;
  /** Pid of the program itself (taskset execs it, so the pid is kept). */
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last lines the process wrote (stdout and stderr). */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Every process started by the harness, so that one call stops all of them. */
export interface ProcessRegistry {
  start(options: StartOptions): ManagedProcess;
  /** Stops every running process, gateways first, then the upstream services. */
  stopAll(): Promise<void>;
  /** Synchronous last resort (process `exit` handler): SIGKILL to whatever still runs. */
  killAllNow(): void;
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function keepLines(stream: NodeJS.ReadableStream | null, lines: string[]): void {
  if (!stream) return;
  stream.setEncoding('utf8');
  let partial = '';
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > OUTPUT_LINES_KEPT) lines.splice(0, lines.length - OUTPUT_LINES_KEPT);
  });
}

function commandLine(options: StartOptions): readonly string[] {
  if ('argv' in options) return options.argv;
  // One folder per process: Node names the files itself, one per thread (the TypeScript loader has its own).
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfDir, options.name)}`] : [];
  return [process.execPath, ...profile, ...(options.nodeArgs ?? nodeArguments()), path.join(REPO_ROOT, options.entry)];
}

function startProcess(options: StartOptions): ManagedProcess {
  const program = commandLine(options);
  const [command, ...args] = options.cpu === undefined ? program : ['taskset', '-c', String(options.cpu), ...program];
  const proc: ChildProcess = spawn(command as string, args, {
    cwd: REPO_ROOT,
    // No balancer routes to the measured gateways: they stop without a drain delay.
    env: { SHUTDOWN_DRAIN_DELAY_MS: '0', ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal's Ctrl-C reaches only the harness, which then stops
    // the gateway before the upstream services.
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`${options.name}: could not start ${command}`);
  const lines: string[] = [];
  keepLines(proc.stdout, lines);
  keepLines(proc.stderr, lines);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      exited = true;
      resolve();
    });
    proc.once('error', (err) => {
      lines.push(String(err));
      exited = true;
      resolve();
    });
  });
  return {
    name: options.name,
    pid: proc.pid,
    exited: exitedPromise,
    hasExited: () => exited,
    recentOutput: () => lines.join('\n'),
    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      if (exited) return;
      proc.kill('SIGTERM');
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      // SIGKILL cannot be ignored; the second bound only guards against a zombie never reaped.
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 2_000).unref());
      await Promise.race([exitedPromise, giveUp]);
      clearTimeout(killTimer);
    },
  };
}

/** A registry that starts processes and remembers them until the end of the run. */
export function createProcessRegistry(): ProcessRegistry {
  const running: Array<{ process: ManagedProcess; role: StartOptions['role'] }> = [];
  return {
    start(options) {
      const started = startProcess(options);
      running.push({ process: started, role: options.role });
      return started;
    },
    async stopAll() {
      for (const role of ['gateway', 'upstream'] as const) {
        await Promise.all(running.filter((r) => r.role === role).map((r) => r.process.stop()));
      }
    },
    killAllNow() {
      for (const { process: p } of running) {
        if (p.hasExited()) continue;
        try {
          global.process.kill(p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
  };
}

/** A TCP port that was free a moment ago (listen on 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** A request that answers 200 once the process can serve traffic. */
export interface ReadinessProbe {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Polls the probe every 100 ms until it answers 200; throws with the process output when it exits or the time is up. */
export async function waitUntilReady(child: ManagedProcess, origin: string, probe: ReadinessProbe, timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`${child.name} exited before becoming ready:\n${child.recentOutput()}`);
    try {
      const res = await request(`${origin}${probe.path}`, {
        method: probe.method,
        headers: probe.headers,
        body: probe.body,
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
      });
      const text = await res.body.text();
      if (res.statusCode === 200) return;
      last = `${res.statusCode} ${text.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} was not ready at ${origin}${probe.path} within ${timeoutMs} ms (last: ${last}):\n${child.recentOutput()}`);
}
