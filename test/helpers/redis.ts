/** Runs a real, throwaway redis-server on 127.0.0.1 for integration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { NO_REDIS_MESSAGE, locateRedisServer } from './redis-binary';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** SIGTERM, then waits for the process to exit. No-op when it is not running. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no shutdown, sockets reset), then waits for the process to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (stopping it first if it still runs); resolves once it answers PING. */
  restart(): Promise<void>;
  /** SIGSTOP: the server hangs with its sockets open (a stalled Redis); commands sent meanwhile wait in its buffers. */
  pause(): void;
  /** SIGCONT after `pause()`: the server answers again, with its data intact. */
  resume(): void;
}

/** Longest wait for a started server to answer PING, in ms. */
const READY_TIMEOUT_MS = 10_000;

/** A port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket, so readiness does not depend on the client under test. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

export interface StartRedisOptions {
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. Default none. */
  args?: readonly string[];
  /** Working directory of the server (where a cluster node keeps its `nodes.conf`). Default the OS temp dir. */
  dir?: string;
}

/**
 * Starts redis-server on a free port with persistence off. The caller must `stop()` or
 * `kill()` it (in afterAll); as a last resort the process is killed when the test worker exits.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  // The global setup (test/global-setup.ts) has found or installed it.
  const found = locateRedisServer();
  if (!found) throw new Error(NO_REDIS_MESSAGE);
  const binary: string = found;
  const port = await freePort();
  const dir = options.dir ?? os.tmpdir();
  const extraArgs = options.args ?? [];
  let proc: ChildProcess | undefined;
  let output = '';

  const killOnExit = (): void => {
    proc?.kill('SIGKILL');
  };

  async function launch(): Promise<void> {
    output = '';
    // --dir keeps any file Redis might write out of the working tree.
    const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = child;
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    process.once('exit', killOnExit);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        process.removeListener('exit', killOnExit);
        throw new Error(`redis-server exited before answering PING on port ${port}:\n${output}`);
      }
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await terminate('SIGKILL');
    throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output}`);
  }

  async function terminate(signal: NodeJS.Signals): Promise<void> {
    const child = proc;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      // A paused server would keep a SIGTERM pending until continued.
      child.kill('SIGCONT');
    }
    await exited(child);
    process.removeListener('exit', killOnExit);
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGTERM');
      await launch();
    },
    pause: () => {
      proc?.kill('SIGSTOP');
    },
    resume: () => {
      proc?.kill('SIGCONT');
    },
  };
}
