/**
 * Circuit breaking per upstream (each subgraph, each REST service) with opossum. When an
 * upstream keeps failing, calls to it fail fast with UPSTREAM_CIRCUIT_OPEN (and a
 * Retry-After) instead of queueing behind timeouts; after the reset timeout one trial call
 * goes through (half-open) and a success closes the circuit again.
 *
 * Only the upstream's faults count: 5xx answers, timeouts, and connection errors once the
 * request was handed to the upstream. A 4xx answer, and any failure the client's request
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
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 5_000,
  rollingWindowMs: 10_000,
};

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
   * upstream's answer or failure is known). Calls the client ended or caused to fail are
   * not recorded at all: they say nothing about the upstream.
   */
  record(failed: boolean): void;
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
  const recordedFailure = new Error('upstream failure recorded');
  const openError = () => {
    return upstreamPausedError(upstream, (openedAt + options.resetTimeoutMs - now()) / 1000);
  };
  breaker.on('open', () => {
    openedAt = now();
    onStateChange?.(upstream, 'open');
  });
  breaker.on('halfOpen', () => onStateChange?.(upstream, 'half_open'));
  breaker.on('close', () => onStateChange?.(upstream, 'closed'));

  return {
    upstream,
    state: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed'),
    async run<T>(call: () => Promise<T>, isFailure?: (value: T) => boolean): Promise<T> {
      try {
        return (await breaker.fire(async () => {
          let value: T;
          try {
            value = await call();
          } catch (err) {
            // Refused before anything reached the upstream: filtered (opossum counts it as a call, never as a failure).
            if (clientCausedError(err)) throw new ClientFault(err);
            throw err;
          }
          if (isFailure?.(value)) throw new FailedResult(value);
          return value;
        })) as T;
      } catch (err) {
        if (err instanceof FailedResult) return err.value as T;
        if (err instanceof ClientFault) throw err.original;
        if ((err as { code?: unknown }).code === 'EOPENBREAKER') throw openError();
        throw err;
      }
    },
    assertNotOpen() {
      if (breaker.opened) throw openError();
    },
    record(failed) {
      // Settles at once; an open circuit refuses the record, which is then simply dropped.
      void breaker.fire(() => (failed ? Promise.reject(recordedFailure) : Promise.resolve())).catch(() => undefined);
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
