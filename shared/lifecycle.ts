/**
 * Process lifecycle for a Portico server: listen, then on SIGTERM/SIGINT stop accepting,
 * let in-flight requests finish, close upstream pools, and exit. A shutdown that takes
 * longer than the configured delay exits anyway so orchestrators are never left waiting.
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export interface ListenOptions {
  host: string;
  port: number;
  /** Longest graceful shutdown, in ms. */
  shutdownTimeoutMs: number;
}

/** Listens and installs the shutdown handlers; resolves with the bound address. */
export async function runUntilSignalled(app: FastifyInstance, { host, port, shutdownTimeoutMs }: ListenOptions): Promise<string> {
  closeWithGrace({ delay: shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal }, 'shutting down gracefully');
    await app.close();
  });
  return app.listen({ host, port });
}
