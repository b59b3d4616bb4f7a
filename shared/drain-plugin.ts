/**
 * The request side of the drain (`shared/drain.ts`): counts requests in flight, reports the
 * phase as the `lifecycle` readiness check, closes every connection after its response
 * once draining, and refuses requests with `503 SHUTTING_DOWN` once the listener is closed.
 * The lifecycle (`shared/lifecycle.ts`) moves the phases; `app.close()` alone also stops.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PorticoError } from './errors';
import { createDrainState } from './drain';

const LIFECYCLE_DETAIL = { serving: 'serving', draining: 'draining', stopped: 'shutting down' } as const;

/** Registers `app.drain` and its hooks on the root instance; needs the health plugin's readiness registry. */
export const drainPlugin = fp(
  async (app: FastifyInstance) => {
    const drain = createDrainState();
    app.decorate('drain', drain);
    app.readiness.add('lifecycle', () => ({ ok: drain.phase === 'serving', detail: LIFECYCLE_DETAIL[drain.phase] }));
    app.addHook('onRequest', (_request, reply, done) => {
      drain.requestStarted();
      // 'close' comes for every response, also one its client abandoned, where onResponse does not.
      reply.raw.once('close', drain.requestFinished);
      done(drain.phase === 'stopped' ? new PorticoError('SHUTTING_DOWN') : undefined);
    });
    // Clients reconnect for their next request, and a balancer sends that one elsewhere.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (drain.phase !== 'serving') reply.header('connection', 'close');
      done(null, payload);
    });
    app.addHook('preClose', (done) => {
      drain.stopAccepting();
      done();
    });
  },
  { name: 'portico-drain', dependencies: ['portico-health'] },
);
