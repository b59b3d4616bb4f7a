/**
 * How a streamed passthrough's outcome is attributed. A passthrough cannot be wrapped in a
 * promise like other upstream calls, so its breaker call is recorded once the outcome is
 * known, and only when the upstream caused it:
 *
 * - the upstream answered: recorded, a failure when the status is 5xx;
 * - the call failed and the client caused it (a header undici refuses, a body over the
 *   limit, an upload cut off): answered with the client's 4xx, not recorded;
 * - the deadline ran out while the request was on its way upstream and the client's body
 *   was still arriving: the client's slow upload, answered REQUEST_TIMEOUT, not recorded
 *   (the pool's own timeouts restart with every chunk sent; the deadline does not);
 * - the call failed otherwise (no connection, reset, timeout, the deadline while queued
 *   for a connection or waiting for the answer): recorded as a failure;
 * - the client went away first: not recorded.
 *
 * An open circuit refuses the request before anything is sent upstream. A multi-target
 * endpoint's choice is settled by the same attribution.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PorticoError } from '../errors';
import { SpanKind, type TraceScope } from '../observability/tracing';
import type { UpstreamBreaker } from '../upstream/breaker';
import type { Upstream } from '../upstream/upstream';
import { findDispatchDeadlineError } from '../upstream/dispatch-deadline';
import { clientCausedError, upstreamError } from '../upstream/upstream-errors';
import { bodyCutOff } from './streaming-body-limit';

/** One passthrough call in flight: what its settlement needs. */
export interface PassthroughCall {
  readonly upstream: Upstream;
  readonly breaker: UpstreamBreaker | undefined;
  readonly startedAt: number;
  /** What the upstream did: set once, by the answer or the failure. */
  result?: { status: number } | { error: unknown };
  /** Tracing: the call's client span, ended with the response. */
  readonly span?: TraceScope;
}

/** Opens a request's passthrough call; throws UPSTREAM_CIRCUIT_OPEN (observed) when the circuit is open. */
export function openPassthroughCall(request: FastifyRequest, upstream: Upstream): void {
  const breaker = upstream.breaker;
  try {
    breaker?.assertNotOpen();
  } catch (err) {
    upstream.observe(performance.now(), { error: err });
    throw err;
  }
  const span = request.trace?.child(
    `${request.method} ${upstream.name}`,
    { 'http.request.method': request.method, 'portico.upstream.name': upstream.name, ...(breaker ? { 'portico.breaker.state': breaker.state() } : {}) },
    SpanKind.CLIENT,
  );
  request.passthroughCall = { upstream, breaker, startedAt: performance.now(), ...(span ? { span } : {}) };
}

/** Forgets a call that never reached the upstream (e.g. no endpoint was available). */
export function abandonPassthroughCall(request: FastifyRequest): void {
  request.passthroughCall = undefined;
}

/** The upstream answered with `status`: recorded now, before its body streams. */
export function upstreamAnswered(request: FastifyRequest, status: number): void {
  const call = request.passthroughCall;
  request.targetLease?.release({ status });
  if (!call || call.result) return;
  call.result = { status };
  call.breaker?.record(status >= 500, performance.now() - call.startedAt);
  if (call.span) {
    call.span.span.setAttribute('http.response.status_code', status);
    if (status >= 500) call.span.fail({ code: String(status) });
  }
}

/** Whether the client's request stopped arriving (socket gone before the body was complete). */
function clientWentAway(request: FastifyRequest): boolean {
  const raw = request.raw;
  return !raw.complete && (raw.aborted || raw.destroyed);
}

/** The deadline cut a request already sent while the client's body had not all arrived: the client's upload was too slow. */
function uploadOutlastedDeadline(request: FastifyRequest, err: unknown): PorticoError | undefined {
  const deadline = findDispatchDeadlineError(err);
  if (!deadline?.sent || request.raw.complete) return undefined;
  return new PorticoError('REQUEST_TIMEOUT', `The request body did not arrive within the upstream's ${deadline.deadlineMs} ms deadline.`, { cause: err });
}

/**
 * The call failed: returns the client-facing error. Client-caused failures are the
 * client's 4xx and leave breaker and endpoint untouched; everything else is the upstream's.
 */
export function upstreamCallFailed(request: FastifyRequest, upstream: string, err: unknown): PorticoError {
  const clients = clientCausedError(err) ?? (clientWentAway(request) ? bodyCutOff(err) : uploadOutlastedDeadline(request, err));
  const call = request.passthroughCall;
  if (clients) {
    request.targetLease?.release();
    request.passthroughCall = undefined;
    call?.span?.end(clients);
    return clients;
  }
  request.targetLease?.release({ error: err });
  const mapped = upstreamError(upstream, err);
  if (call && !call.result) {
    call.result = { error: err };
    call.breaker?.record(true, performance.now() - call.startedAt);
    call.span?.fail(mapped);
  }
  return mapped;
}

/** Whether the reply should close the connection: the client's body was not read to its end. */
export function bodyLeftUnread(request: FastifyRequest): boolean {
  return !request.raw.complete;
}

/** Observes every passthrough's attributed outcome when its response is done; registered once per facade. */
export function observePassthroughCalls(app: FastifyInstance): void {
  app.addHook('onResponse', (request, _reply, done) => {
    const call = request.passthroughCall;
    request.passthroughCall = undefined;
    if (call?.result) call.upstream.observe(call.startedAt, call.result);
    call?.span?.end();
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.passthroughCall?.span?.end({ code: 'CLIENT_ABORTED' });
    request.passthroughCall = undefined;
    done();
  });
}
