/**
 * Process lifecycle for a Portico server: listen, then on SIGTERM leave the load balancer's
 * rotation and exit without resetting a connection:
 *
 *   1. drain (`shutdownDrainDelayMs`): `/readyz` answers 503, the listener still accepts and
 *      serves, every response says `Connection: close` (apps with the drain plugin);
 *   2. stop accepting: the listener closes; open connections stay open, and a request on one
 *      gets `503 SHUTTING_DOWN` with `Connection: close`;
 *   3. once the requests in flight have their answers, `app.close()` closes the idle
 *      connections and the upstream pools, and the process exits 0.
 *
 * Steps 2 and 3 taking longer than `shutdownTimeoutMs` end the process anyway (exit 1), so an
 * orchestrator waits at most `shutdownDrainDelayMs + shutdownTimeoutMs`. SIGINT (Ctrl-C)
 * skips step 1's wait; a crash skips the drain; a second signal exits at once (exit 1).
 */
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface ListenOptions {
  host: string;
  port: number;
  /** Longest graceful shutdown after the drain delay, in ms. */
  shutdownTimeoutMs: number;
  /** After the signal, how long the listener keeps accepting while `/readyz` answers 503, in ms. Default 0. */
  shutdownDrainDelayMs?: number;
}

/**
 * Stops accepting connections and leaves the open ones alone. `http.Server#close` would
 * also destroy every idle keep-alive connection at once (Node 19+), resetting a request
 * that is on its way on one; those are closed later, by `app.close()`, once nothing is in flight.
 */
function stopListening(app: FastifyInstance): void {
  NetServer.prototype.close.call(app.server);
}

/** The graceful part of a shutdown: drain, stop accepting, let requests in flight finish. */
export async function drainAndClose(app: FastifyInstance, drainDelayMs: number): Promise<void> {
  const drain = app.hasDecorator('drain') ? app.drain : undefined;
  if (drain) {
    drain.startDraining();
    if (drainDelayMs > 0) await sleep(drainDelayMs);
    stopListening(app);
    drain.stopAccepting();
    await drain.settled();
  }
  await app.close();
}

/** Listens and installs the shutdown handlers; resolves with the bound address. */
export async function runUntilSignalled(app: FastifyInstance, { host, port, shutdownTimeoutMs, shutdownDrainDelayMs = 0 }: ListenOptions): Promise<string> {
  closeWithGrace({ delay: shutdownDrainDelayMs + shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after an unexpected error');
      await app.close();
      return;
    }
    // SIGINT is a person at a terminal (Ctrl-C), not an orchestrator: no balancer to wait for.
    const drainDelayMs = signal === 'SIGTERM' ? shutdownDrainDelayMs : 0;
    app.log.info({ signal, drainDelayMs }, 'draining: out of the rotation, then shutting down');
    await drainAndClose(app, drainDelayMs);
  });
  return app.listen({ host, port });
}
