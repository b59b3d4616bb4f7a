/**
 * Starts the demo stack as child processes, waits until each answers its ready path,
 * and stops them all (BFFs first, then upstreams) with SIGTERM, escalating to SIGKILL
 * only after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import type { StackProcess } from './stack';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface StackRunnerOptions {
  processes: readonly StackProcess[];
  host: string;
  /** Extra environment for every child (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Where child output goes, line by line, prefixed by the process name. */
  output?: (name: string, line: string) => void;
  /** Longest wait for one process to become ready, in ms. Default 60,000. */
  readyTimeoutMs?: number;
  /** Grace period before SIGKILL at stop, in ms. Default 15,000. */
  stopTimeoutMs?: number;
  /** Called when a child exits while the stack is supposed to be running. */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface RunningStack {
  /** Base URL of each process, by name. */
  urls: Record<string, string>;
  stop(): Promise<void>;
}

interface Child {
  spec: StackProcess;
  proc: ChildProcess;
  exited: Promise<void>;
  /** The last lines the process wrote, to say why it stopped when it stops too early. */
  lastLines: string[];
}

/** Lines of a process's output kept for an early exit's error. */
const KEPT_OUTPUT_LINES = 20;

function pipeLines(stream: NodeJS.ReadableStream | null, emit: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index;
    while ((index = buffer.indexOf('\n')) >= 0) {
      emit(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
    }
  });
  stream.on('end', () => buffer && emit(buffer));
}

async function waitUntilReady(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) {
      const output = child.lastLines.length > 0 ? `; its last output:\n${child.lastLines.join('\n')}` : '';
      throw new Error(`${child.spec.name} exited before becoming ready (exit code ${child.proc.exitCode ?? child.proc.signalCode})${output}`);
    }
    try {
      const res = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.spec.name} was not ready at ${url} within ${timeoutMs} ms`);
}

export async function startStack(options: StackRunnerOptions): Promise<RunningStack> {
  const { host, readyTimeoutMs = 60_000, stopTimeoutMs = 15_000 } = options;
  const children: Child[] = [];
  let stopping = false;

  const launch = (spec: StackProcess): Child => {
    const proc = spawn(process.execPath, [...spec.nodeArgs, path.join(REPO_ROOT, spec.entry)], {
      cwd: REPO_ROOT,
      // No load balancer routes to the demo stack: a BFF told to stop need not wait for one
      // (SHUTDOWN_DRAIN_DELAY_MS in the launcher's own environment still applies).
      env: { SHUTDOWN_DRAIN_DELAY_MS: '0', ...process.env, ...options.env, ...spec.env, HOST: host },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops
      // the BFFs before the upstreams; a signal to every process at once would skip that order.
      detached: true,
    });
    const lastLines: string[] = [];
    const emit = (line: string) => {
      lastLines.push(line);
      if (lastLines.length > KEPT_OUTPUT_LINES) lastLines.shift();
      options.output?.(spec.name, line);
    };
    pipeLines(proc.stdout, emit);
    pipeLines(proc.stderr, emit);
    const exited = new Promise<void>((resolve) =>
      proc.once('exit', (code, signal) => {
        if (!stopping) options.onUnexpectedExit?.(spec.name, code, signal);
        resolve();
      }),
    );
    const child = { spec, proc, exited, lastLines };
    children.push(child);
    return child;
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    // BFFs drain first so their in-flight requests can still reach the upstreams.
    for (const kind of ['bff', 'upstream'] as const) {
      await Promise.all(
        children
          .filter((c) => c.spec.kind === kind && c.proc.exitCode === null && c.proc.signalCode === null)
          .map(async (c) => {
            c.proc.kill('SIGTERM');
            const timer = setTimeout(() => c.proc.kill('SIGKILL'), stopTimeoutMs);
            await c.exited;
            clearTimeout(timer);
          }),
      );
    }
  };

  // Last resort if the launcher exits without stopping the stack: no orphaned processes.
  const killAll = () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const urls: Record<string, string> = {};
  try {
    for (const kind of ['upstream', 'bff'] as const) {
      const group = options.processes.filter((p) => p.kind === kind).map(launch);
      await Promise.all(
        group.map((child) => {
          urls[child.spec.name] = `http://${host}:${child.spec.port}`;
          return waitUntilReady(`${urls[child.spec.name]}${child.spec.readyPath}`, child, readyTimeoutMs);
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, stop };
}
