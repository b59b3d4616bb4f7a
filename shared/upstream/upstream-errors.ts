/**
 * Maps transport failures of an upstream call to catalogue errors. The client learns
 * which upstream failed and how (unreachable vs too slow), never its address or body.
 */
import { PorticoError } from '../errors';

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

export function upstreamError(upstream: string, err: unknown): PorticoError {
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
