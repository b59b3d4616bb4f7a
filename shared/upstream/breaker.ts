/**
 * Circuit breaking per upstream (each subgraph, each REST service) with opossum. When an
 * upstream keeps failing, calls to it fail fast with UPSTREAM_CIRCUIT_OPEN (and a
 * Retry-After) instead of queueing behind timeouts; after the reset timeout one trial call
 * goes through (half-open) and a success closes the circuit again.
 *
 * Only the upstream's faults count: 5xx answers, timeouts, connection errors once the
 * request was handed to the upstream, and slow calls (longer than `slowCallMs`, still
 * answered to their caller). A 4xx answer, and any failure the client's request
 * caused (a header undici refuses, a body over the limit, an upload cut off; see
 * `clientCausedError`), never count as failures, so one client cannot open a circuit for
 * every other client of the upstream.
 */
import CircuitBreaker from 'opossum';
import { clientCausedError, upstreamPausedError } from './upstream-errors';

export interface BreakerOptions {
  /** Failure percentage in the rolling window that opens the circuit. Default 50. */
  errorThresholdPercentage: number;
  /** Fewest calls in the rolling window before the circuit may open. Default 10. */
  volumeThreshold: number;
  /** Time an open circuit waits before letting a trial call through, in ms. Default 5,000. */
  resetTimeoutMs: number;
  /** Length of the rolling statistics window, in ms. Default 10,000. */
  rollingWindowMs: number;
  /** A call that took longer than this counts as a failure (its answer is still returned), in ms. Default 5,000. */
  slowCallMs: number;
  /**
   * Below `volumeThreshold`, the circuit still opens once failures have lasted this long:
   * from the start of the first failed call of a failing stretch, with at least two failures
   * and the failure percentage over the threshold, in ms. A hung upstream with few callers
   * never reaches the volume. Default 5,000.
   */
  sustainedFailureMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 5_000,
  rollingWindowMs: 10_000,
  slowCallMs: 5_000,
  sustainedFailureMs: 5_000,
};

/** Failures a failing stretch needs before its length alone opens the circuit: one slow call on a quiet upstream never does. */
const MIN_SUSTAINED_FAILURES = 2;

/** Pure: whether the failure percentage of a window's counts is over `thresholdPercentage` (opossum's own rule). */
export function failureRateOver(stats: { fires: number; failures: number }, thresholdPercentage: number): boolean {
  return stats.fires > 0 && (stats.failures / stats.fires) * 100 > thresholdPercentage;
}

export interface BreakerSettings {
  /** Applied to every upstream. */
  all?: Partial<BreakerOptions>;
  /** Per-upstream overrides, by upstream name. */
  upstreams?: Record<string, Partial<BreakerOptions>>;
}

export type BreakerState = 'closed' | 'half_open' | 'open';

/** An upstream result that counts as a failure but is still returned to the caller (e.g. a 5xx answer). */
class FailedResult<T> {
  constructor(readonly value: T) {}
}

/** Marks an error thrown by a call as the client's fault (4xx), not counted against the upstream. */
export class ClientFault extends Error {
  constructor(readonly original: unknown) {
    super('client fault');
  }
}

export interface UpstreamBreaker {
  readonly upstream: string;
  state(): BreakerState;
  /**
   * Runs `call` through the breaker. `isFailure` marks resolved results that still count
   * as failures (e.g. status >= 500). Throws PorticoError UPSTREAM_CIRCUIT_OPEN when open.
   */
  run<T>(call: () => Promise<T>, isFailure?: (value: T) => boolean): Promise<T>;
  /** Throws UPSTREAM_CIRCUIT_OPEN (with Retry-After) when the circuit is open; for callers that cannot wrap their call. */
  assertNotOpen(): void;
  /**
   * Records the outcome of a call made outside `run` (a streamed passthrough, once the
   * upstream's answer or failure is known; a caller that shared another's call), which took
   * `durationMs` (default 0; longer than `slowCallMs` counts as a failure). Calls the client
   * ended or caused to fail are not recorded at all: they say nothing about the upstream.
   */
  record(failed: boolean, durationMs?: number): void;
  shutdown(): void;
}

export function createUpstreamBreaker(upstream: string, options: BreakerOptions, onStateChange?: (upstream: string, state: BreakerState) => void, now: () => number = Date.now): UpstreamBreaker {
  const breaker = new CircuitBreaker(<T>(call: () => Promise<T>) => call(), {
    timeout: false, // upstream pools enforce connect/headers/body timeouts already
    errorThresholdPercentage: options.errorThresholdPercentage,
    volumeThreshold: options.volumeThreshold,
    resetTimeout: options.resetTimeoutMs,
    rollingCountTimeout: options.rollingWindowMs,
    rollingCountBuckets: 10,
    errorFilter: (err: unknown) => err instanceof ClientFault,
  });
  let openedAt = 0;
  // The failing stretch the sustained-failure rule measures: when its first failed call started, and its failures.
  let failingSince = Infinity;
  let stretchFailures = 0;
  const endStretch = () => {
    failingSince = Infinity;
    stretchFailures = 0;
  };
  const recordedFailure = new Error('upstream failure recorded');
  const openError = () => {
    return upstreamPausedError(upstream, (openedAt + options.resetTimeoutMs - now()) / 1000);
  };
  /** opossum opens on volume; this opens a closed circuit whose failures have lasted `sustainedFailureMs`. */
  const failed = (durationMs: number) => {
    if (!breaker.closed) return;
    const at = now();
    failingSince = Math.min(failingSince, at - durationMs);
    stretchFailures += 1;
    if (stretchFailures >= MIN_SUSTAINED_FAILURES && at - failingSince >= options.sustainedFailureMs && failureRateOver(breaker.stats, options.errorThresholdPercentage)) breaker.open();
  };
  // Only looks at the window while a stretch is open: the common success costs one comparison.
  const succeeded = () => {
    if (stretchFailures > 0 && !failureRateOver(breaker.stats, options.errorThresholdPercentage)) endStretch();
  };
  /**
   * opossum's own bookkeeping for one call that started while the circuit was closed, without
   * its promise and closure per call: the same events (which feed its rolling window and close
   * a half-open circuit on success) and the same opening rule as its `fail` (circuit.js).
   */
  const NO_ARGS: unknown[] = [];
  const recordFired = () => breaker.emit('fire', NO_ARGS);
  const recordSuccess = (latencyMs: number) => breaker.emit('success', undefined, latencyMs);
  const recordFailure = (err: unknown, latencyMs: number) => {
    breaker.emit('failure', err, latencyMs, NO_ARGS);
    if (breaker.warmUp) return;
    const stats = breaker.stats;
    if (stats.fires < breaker.volumeThreshold && !breaker.halfOpen) return;
    if (failureRateOver(stats, options.errorThresholdPercentage) || breaker.halfOpen) breaker.open();
  };
  breaker.on('open', () => {
    openedAt = now();
    endStretch();
    onStateChange?.(upstream, 'open');
  });
  breaker.on('halfOpen', () => onStateChange?.(upstream, 'half_open'));
  breaker.on('close', () => {
    endStretch();
    onStateChange?.(upstream, 'closed');
  });

  return {
    upstream,
    state: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed'),
    async run<T>(call: () => Promise<T>, isFailure?: (value: T) => boolean): Promise<T> {
      const startedAt = now();
      // Closed (the common case): the call is already a promise, so the bookkeeping is done around it.
      if (breaker.closed && !breaker.isShutdown) {
        recordFired();
        let value: T;
        try {
          value = await call();
        } catch (err) {
          // The caller's own mark of a client fault, or refused before anything reached the upstream: a call, never a failure.
          if (err instanceof ClientFault) {
            recordSuccess(now() - startedAt);
            throw err.original;
          }
          if (clientCausedError(err)) {
            recordSuccess(now() - startedAt);
            throw err;
          }
          recordFailure(err, now() - startedAt);
          failed(now() - startedAt);
          throw err;
        }
        const tookMs = now() - startedAt;
        if (isFailure?.(value) || tookMs > options.slowCallMs) {
          recordFailure(new FailedResult(value), tookMs);
          failed(tookMs);
          return value;
        }
        recordSuccess(tookMs);
        succeeded();
        return value;
      }
      try {
        const value = (await breaker.fire(async () => {
          let value: T;
          try {
            value = await call();
          } catch (err) {
            // Refused before anything reached the upstream: filtered (opossum counts it as a call, never as a failure).
            if (clientCausedError(err)) throw new ClientFault(err);
            throw err;
          }
          if (isFailure?.(value) || now() - startedAt > options.slowCallMs) throw new FailedResult(value);
          return value;
        })) as T;
        succeeded();
        return value;
      } catch (err) {
        if (err instanceof ClientFault) throw err.original;
        if ((err as { code?: unknown }).code === 'EOPENBREAKER') throw openError();
        failed(now() - startedAt);
        if (err instanceof FailedResult) return err.value as T;
        throw err;
      }
    },
    assertNotOpen() {
      if (breaker.opened) throw openError();
    },
    record(failure, durationMs = 0) {
      const counted = failure || durationMs > options.slowCallMs;
      if (breaker.closed && !breaker.isShutdown) {
        recordFired();
        // Latency 0, as when the record went through opossum's fire: the call was timed elsewhere.
        if (!counted) {
          recordSuccess(0);
          succeeded();
          return;
        }
        recordFailure(recordedFailure, 0);
        failed(durationMs);
        return;
      }
      // Half-open or open: through opossum, which lets one trial through. Settles at once; an open circuit refuses the record, which is then simply dropped.
      void breaker.fire(() => (counted ? Promise.reject(recordedFailure) : Promise.resolve())).then(
        () => succeeded(),
        (err: unknown) => {
          if (err === recordedFailure) failed(durationMs);
        },
      );
    },
    shutdown: () => breaker.shutdown(),
  };
}

export interface BreakerRegistry {
  /** The breaker of `upstream`, created on first use with its merged options. */
  get(upstream: string): UpstreamBreaker;
  states(): Record<string, BreakerState>;
  shutdown(): void;
}

/** Pure: the options one upstream gets from global settings plus its override. */
export function breakerOptionsFor(settings: BreakerSettings, upstream: string): BreakerOptions {
  return { ...DEFAULT_BREAKER_OPTIONS, ...settings.all, ...settings.upstreams?.[upstream] };
}

export function createBreakerRegistry(settings: BreakerSettings = {}, onStateChange?: (upstream: string, state: BreakerState) => void): BreakerRegistry {
  const breakers = new Map<string, UpstreamBreaker>();
  return {
    get(upstream) {
      let breaker = breakers.get(upstream);
      if (!breaker) {
        breaker = createUpstreamBreaker(upstream, breakerOptionsFor(settings, upstream), onStateChange);
        breakers.set(upstream, breaker);
      }
      return breaker;
    },
    states: () => Object.fromEntries([...breakers].map(([name, b]) => [name, b.state()])),
    shutdown: () => {
      for (const b of breakers.values()) b.shutdown();
    },
  };
}
