/**
 * Maps transport failures of an upstream call to catalogue errors. The client learns
 * which upstream failed and how (unreachable vs too slow), never its address or body.
 *
 * Failures are attributed: a failure the upstream caused (no connection, a reset after
 * the request was sent, a timeout) is the upstream's and counts against its breaker; a
 * failure the client's request caused (a header undici refuses, a body over the limit or
 * cut off mid-way) is the client's, is answered with a 4xx and never counts, so one
 * client cannot pause an upstream for everyone.
 */
import { PorticoError, isPorticoError } from '../errors';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT', 'FST_REPLY_FROM_HTTP_REQUEST_TIMEOUT']);

/** Pure classification of an error thrown while calling an upstream. */
export function classifyUpstreamFailure(err: unknown): 'timeout' | 'unavailable' {
  let current: unknown = err;
  // Wrapped errors (reply-from, AggregateError) keep the transport code deeper down.
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
    current = (current as { cause?: unknown }).cause;
  }
  return 'unavailable';
}

/**
 * undici codes for a request it refused before sending anything (invalid or unsupported
 * header, a body that did not match its declared length, a call aborted by its caller).
 */
const REFUSED_BEFORE_SENDING_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_ABORT', 'UND_ERR_ABORTED']);

/**
 * Pure: the client-facing error when a failed upstream call was caused by the client's
 * request, or undefined when the upstream is to blame. A Portico 4xx found in the cause
 * chain (a body limit hit while streaming) is returned as is.
 */
export function clientCausedError(err: unknown): PorticoError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    if (isPorticoError(current) && current.statusCode < 500) return current;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && REFUSED_BEFORE_SENDING_CODES.has(code)) {
      return new PorticoError('BAD_REQUEST', 'The request cannot be forwarded as sent (a header or body the upstream connection refuses).', { cause: err });
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a failed upstream call: the client's fault as its 4xx, the upstream's as 502 or 504. */
export function upstreamError(upstream: string, err: unknown): PorticoError {
  const clients = clientCausedError(err);
  if (clients) return clients;
  return classifyUpstreamFailure(err) === 'timeout'
    ? new PorticoError('UPSTREAM_TIMEOUT', `Upstream '${upstream}' did not answer in time.`, { cause: err })
    : new PorticoError('UPSTREAM_UNAVAILABLE', `Upstream '${upstream}' could not be reached.`, { cause: err });
}

/**
 * The error of an upstream Portico is not calling right now: its circuit is open, or every
 * endpoint of a multi-target upstream is out of rotation. Clients see one answer for both.
 */
export function upstreamPausedError(upstream: string, retryAfterSec: number): PorticoError {
  return new PorticoError('UPSTREAM_CIRCUIT_OPEN', `Upstream '${upstream}' is failing; calls to it are paused.`, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSec))) } });
}
