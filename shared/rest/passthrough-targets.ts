/**
 * Passthrough routes to an upstream with several targets. The endpoint is chosen in the
 * route's preHandler, before anything is sent; the proxy then builds the upstream URL on
 * that endpoint's origin and dispatches through its pool. The response status settles the
 * choice (per-target counts and outlier detection); a client that went away, or a failure
 * the client's request caused, settles it without holding anything against the endpoint.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routingInputOf } from '../request-context';
import type { Upstream } from '../upstream/upstream';
import { abandonPassthroughCall } from './passthrough-outcome';
import type { UpstreamTargets } from '../upstream/upstream-targets';

export interface PassthroughTargetRouting {
  /** Chooses this request's endpoint; throws UPSTREAM_CIRCUIT_OPEN when none is available. Call after the breaker check. */
  choose(request: FastifyRequest): void;
  /** Replaces the proxy's fixed upstream origin. */
  upstream: '';
  /** The origin chosen for a request (reply options `getUpstream`); the upstream's dispatcher sends it to that endpoint's pool. */
  getUpstream(request: FastifyRequest): string;
}

export function passthroughTargetRouting(upstream: Upstream, targets: UpstreamTargets): PassthroughTargetRouting {
  return {
    upstream: '',
    getUpstream: (request) => request.targetLease?.endpoint.origin ?? '',
    choose(request) {
      try {
        request.targetLease = targets.acquire(routingInputOf(request));
      } catch (err) {
        // Nothing is sent: the breaker call ends without counting against the upstream, and the refusal is observed like an open circuit.
        abandonPassthroughCall(request);
        upstream.observe(performance.now(), { error: err });
        throw err;
      }
    },
  };
}

/**
 * Releases every passthrough's endpoint choice still held when its response is done or its
 * client went away; registered once per facade. The upstream's answer or failure has
 * usually settled it already (passthrough-outcome.ts); what is left judges nothing, since
 * the reply's own status may be Portico's, not the endpoint's.
 */
export function settleTargetLeases(app: FastifyInstance): void {
  app.addHook('onResponse', (request, _reply, done) => {
    request.targetLease?.release();
    request.targetLease = undefined;
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.targetLease?.release();
    request.targetLease = undefined;
    done();
  });
}
