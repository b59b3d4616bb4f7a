/**
 * Multi-process mode: `WORKERS=n` runs n copies of a BFF behind one port with Node's
 * cluster module, using every core in production. The primary only supervises: it restarts
 * a worker that crashes, and on SIGTERM/SIGINT lets every worker drain and exits when they
 * have. In-memory state (rate-limit counters, caches) is per worker: set REDIS_URL for
 * limits that hold across workers.
 */
import cluster from 'node:cluster';

/** Restarts within this window count towards the crash-loop limit. */
const CRASH_WINDOW_MS = 30_000;
const MAX_CRASHES_IN_WINDOW = 10;

export async function runWorkers(workers: number, startWorker: () => Promise<void>, log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<void> {
  if (workers <= 1 || !cluster.isPrimary) {
    await startWorker();
    return;
  }
  let stopping = false;
  const crashes: number[] = [];
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && (crashes[0] as number) < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > MAX_CRASHES_IN_WINDOW) {
      log(`workers keep crashing (${crashes.length} in ${CRASH_WINDOW_MS / 1000} s); giving up`);
      process.exit(1);
    }
    log(`worker ${worker.process.pid} exited (code ${code}, signal ${signal}); starting a new one`);
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGTERM'));
}
