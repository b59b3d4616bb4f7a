/** Records every upstream call's latency and outcome into the BFF's metrics. */
import type { PorticoMetrics, UpstreamOutcome } from '../observability/metrics';
import { isPorticoError } from '../errors';
import { classifyUpstreamFailure } from './upstream-errors';

/** Pure: the outcome label of a finished call (an HTTP status) or a failed one (an error). */
export function upstreamOutcome(result: { status: number } | { error: unknown }): UpstreamOutcome {
  if ('status' in result) return result.status >= 500 ? 'server_error' : result.status >= 400 ? 'client_error' : 'success';
  if (isPorticoError(result.error)) {
    if (result.error.code === 'UPSTREAM_CIRCUIT_OPEN') return 'circuit_open';
    if (result.error.code === 'UPSTREAM_TIMEOUT') return 'timeout';
    return 'unavailable';
  }
  return classifyUpstreamFailure(result.error);
}

export type UpstreamObserver = (upstream: string, startedAt: number, result: { status: number } | { error: unknown }) => void;

export function createUpstreamObserver(metrics: PorticoMetrics | undefined, now: () => number = performance.now.bind(performance)): UpstreamObserver {
  if (!metrics) return () => {};
  // Label children bound once per upstream and outcome: no label object per call.
  const durations = new Map<string, Map<UpstreamOutcome, { observe(value: number): void }>>();
  const durationOf = (upstream: string, outcome: UpstreamOutcome) => {
    let byOutcome = durations.get(upstream);
    if (!byOutcome) durations.set(upstream, (byOutcome = new Map()));
    let child = byOutcome.get(outcome);
    if (!child) byOutcome.set(outcome, (child = metrics.upstreamRequestDuration.labels({ upstream, outcome })));
    return child;
  };
  return (upstream, startedAt, result) => {
    const outcome = upstreamOutcome(result);
    durationOf(upstream, outcome).observe((now() - startedAt) / 1000);
    if (outcome !== 'success' && outcome !== 'client_error') metrics.upstreamErrors.inc({ upstream, reason: outcome });
  };
}
