/**
 * Active health checks of a multi-target upstream's endpoints: every interval each
 * endpoint gets `GET <path>` through its own pool; the verdicts go to the target set,
 * which applies the healthy/unhealthy thresholds. A round still running when the next is
 * due is not doubled up. The timer never keeps the process alive and stops on `stop()`.
 */
import type { Pool } from 'undici';
import type { Endpoint } from './target-set';
import type { HealthCheckSettings } from './target-settings';

export interface HealthCheckerOptions {
  settings: HealthCheckSettings;
  /** The endpoints to check, read each round so discovery changes are followed. */
  endpoints: () => readonly Endpoint[];
  /** The pool of an endpoint's origin. */
  poolFor: (origin: string) => Pool | undefined;
  /** Called with every check result. */
  onResult: (endpoint: Endpoint, passed: boolean) => void;
}

export interface HealthChecker {
  /** Checks every endpoint once now (also what each interval runs). */
  runRound(): Promise<void>;
  stop(): void;
}

/** Pure: whether a health check answer counts as a pass. */
export function isPassingStatus(status: number): boolean {
  return status >= 200 && status < 400;
}

async function checkOnce(pool: Pool, settings: HealthCheckSettings): Promise<boolean> {
  try {
    const res = await pool.request({
      path: settings.path,
      method: 'GET',
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      // Bounds the connect phase too, which the pool would otherwise allow its own (longer) timeout.
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    await res.body.dump();
    return isPassingStatus(res.statusCode);
  } catch {
    return false;
  }
}

export function startHealthChecker({ settings, endpoints, poolFor, onResult }: HealthCheckerOptions): HealthChecker {
  let running: Promise<void> | undefined;
  let stopped = false;

  const runRound = (): Promise<void> => {
    running ??= Promise.all(
      endpoints().map(async (endpoint) => {
        const pool = poolFor(endpoint.origin);
        if (!pool || endpoint.removed) return;
        const passed = await checkOnce(pool, settings);
        if (!stopped && !endpoint.removed) onResult(endpoint, passed);
      }),
    ).then(
      () => {
        running = undefined;
      },
      () => {
        running = undefined;
      },
    );
    return running;
  };

  const timer = setInterval(() => void runRound(), settings.intervalMs);
  timer.unref();
  return {
    runRound,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
