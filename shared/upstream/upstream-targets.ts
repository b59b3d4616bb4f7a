/**
 * A multi-target upstream at run time: the target set (choice and health state), one
 * undici pool per endpoint origin, the discovery sources that keep the endpoint lists
 * current, the active health checker, and the per-target metrics. Callers ask it for an
 * endpoint per call and report how the call ended; it does the rest.
 *
 * Nothing here runs until `start()`, and `close()` stops every timer and closes every pool.
 */
import type { Pool } from 'undici';
import type { CheckResult } from '../observability/health';
import type { PorticoMetrics } from '../observability/metrics';
import { startHealthChecker, type HealthChecker } from './health-checker';
import { createEndpointSource, type DiscoveryLog, type DnsResolver, type EndpointSource } from './target-discovery';
import { isAvailable, TargetSet, type Endpoint, type RoutingInput } from './target-set';
import { DEFAULT_HEALTH_CHECK, DEFAULT_OUTLIER_DETECTION, DEFAULT_TARGET_BALANCING, DEFAULT_TARGET_WEIGHT, type HealthCheckSettings, type UpstreamTargetsSettings } from './target-settings';
import { clientCausedError, upstreamPausedError } from './upstream-errors';
import { upstreamOutcome } from './upstream-observer';
import { createUpstreamPool, type UpstreamPoolOptions } from './upstream-pool';

export interface UpstreamTargetsOptions {
  /** Upstream name (breaker, metrics, errors). */
  upstream: string;
  /** Validated target settings. */
  settings: UpstreamTargetsSettings;
  /** Pool settings of every endpoint's pool. */
  pool?: UpstreamPoolOptions;
  metrics?: PorticoMetrics;
  log: DiscoveryLog;
  /** DNS resolver for `dns` targets. Default: the system resolver. */
  resolveDns?: DnsResolver;
  /** Longest wait in `start()` for the first discovery answers, in ms. Default 5,000. */
  startTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
}

/** One call's hold on an endpoint; `release` records how the call ended (once; later calls are ignored). */
export interface TargetLease {
  readonly endpoint: Endpoint;
  readonly pool: Pool;
  /** A status, an error, or undefined when the call was abandoned (client went away): not held against the endpoint. */
  release(result?: { status: number } | { error: unknown }): void;
}

export interface UpstreamTargets {
  readonly upstream: string;
  /** Reads every endpoint source once (bounded wait), then starts watching and health checking. */
  start(): Promise<void>;
  /** Picks an endpoint for one call; throws UPSTREAM_CIRCUIT_OPEN when none is available. */
  acquire(input: RoutingInput): TargetLease;
  /** Runs `send` on the chosen endpoint's pool and records its outcome; a status >= 500 or a throw is a failure. */
  call<T extends { statusCode: number }>(input: RoutingInput, send: (pool: Pool) => Promise<T>): Promise<T>;
  /** The pool of an endpoint origin, while the endpoint exists or still has calls in flight. */
  poolFor(origin: string): Pool | undefined;
  /** Readiness: ok while at least one endpoint is available. */
  readiness(): CheckResult;
  close(): Promise<void>;
}

export const DEFAULT_TARGETS_START_TIMEOUT_MS = 5_000;

export function createUpstreamTargets(options: UpstreamTargetsOptions): UpstreamTargets {
  const { upstream, settings, metrics, log } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const health: HealthCheckSettings | undefined = settings.healthCheck ? { ...DEFAULT_HEALTH_CHECK, ...settings.healthCheck } : undefined;
  const set = new TargetSet({
    upstream,
    targets: settings.targets.map((t) => ({ name: t.name, weight: t.weight ?? DEFAULT_TARGET_WEIGHT })),
    balancing: settings.balancing ?? DEFAULT_TARGET_BALANCING,
    overrideAllowed: settings.overrideAllowed,
    thresholds: health ?? DEFAULT_HEALTH_CHECK,
    outlierDetection: settings.outlierDetection === false ? false : { ...DEFAULT_OUTLIER_DETECTION, ...settings.outlierDetection },
  });
  const pools = new Map<string, Pool>();
  const draining = new Set<Endpoint>();
  const sources: EndpointSource[] = [];
  let checker: HealthChecker | undefined;
  let unregisterScrape: (() => void) | undefined;
  let closed = false;

  const closePool = (origin: string) => {
    const pool = pools.get(origin);
    pools.delete(origin);
    void pool?.close().catch(() => undefined);
  };

  const applyEndpoints = (target: string, origins: string[]) => {
    if (closed) return;
    const { added, removed } = set.setEndpoints(target, origins);
    for (const e of added) if (!pools.has(e.origin)) pools.set(e.origin, createUpstreamPool(e.origin, options.pool));
    for (const e of removed) {
      // Another target may list the same origin; its pool stays.
      if (set.endpoints().some((other) => other.origin === e.origin)) continue;
      if (e.inFlight > 0) draining.add(e);
      else closePool(e.origin);
    }
  };

  const refreshGauge = () => {
    if (!metrics) return;
    const at = now();
    for (const t of settings.targets) {
      const counts = { available: 0, unhealthy: 0, ejected: 0 };
      for (const e of set.endpointsOf(t.name)) counts[!e.healthy ? 'unhealthy' : isAvailable(e, at) ? 'available' : 'ejected'] += 1;
      for (const [state, value] of Object.entries(counts)) metrics.upstreamTargetEndpoints.set({ upstream, target: t.name, state }, value);
    }
  };

  const finish = (endpoint: Endpoint, result: { status: number } | { error: unknown } | undefined) => {
    endpoint.inFlight -= 1;
    if (endpoint.removed && endpoint.inFlight === 0 && draining.delete(endpoint)) closePool(endpoint.origin);
    // A failure the client's request caused says nothing about the endpoint.
    if (result === undefined || ('error' in result && clientCausedError(result.error))) return;
    const outcome = upstreamOutcome(result);
    const failed = outcome !== 'success' && outcome !== 'client_error';
    if (metrics) {
      metrics.upstreamTargetRequests.inc({ upstream, target: endpoint.target });
      if (failed) metrics.upstreamTargetErrors.inc({ upstream, target: endpoint.target, reason: outcome });
    }
    if (set.recordCall(endpoint, failed, now())) {
      metrics?.upstreamEndpointEjections.inc({ upstream, target: endpoint.target });
      log.warn({ upstream, target: endpoint.target, endpoint: endpoint.origin }, 'endpoint ejected after consecutive failures');
    }
  };

  const unavailable = () => {
    const at = now();
    const returnAt = set.nextReturnAt(at);
    const waitMs = returnAt !== undefined ? returnAt - at : health?.intervalMs ?? 1_000;
    return upstreamPausedError(upstream, waitMs / 1000);
  };

  const acquire = (input: RoutingInput): TargetLease => {
    const endpoint = set.choose(input, now(), random);
    const pool = endpoint && pools.get(endpoint.origin);
    if (!endpoint || !pool) throw unavailable();
    endpoint.inFlight += 1;
    let released = false;
    return {
      endpoint,
      pool,
      release(result) {
        if (released) return;
        released = true;
        finish(endpoint, result);
      },
    };
  };

  return {
    upstream,
    async start() {
      const firstAnswers = settings.targets.map((target) => {
        const source = createEndpointSource(upstream, target, { resolveDns: options.resolveDns, log });
        sources.push(source);
        return source.start((origins) => applyEndpoints(target.name, origins));
      });
      // Slow discovery does not hold up the BFF forever; its endpoints join when they arrive.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.startTimeoutMs ?? DEFAULT_TARGETS_START_TIMEOUT_MS);
        timer.unref();
      });
      await Promise.race([Promise.allSettled(firstAnswers), timeout]);
      clearTimeout(timer);
      if (closed) return;
      if (health) {
        checker = startHealthChecker({
          settings: health,
          endpoints: () => set.endpoints(),
          poolFor: (origin) => pools.get(origin),
          onResult: (endpoint, passed) => {
            const verdict = set.recordCheck(endpoint, passed);
            if (verdict) log.warn({ upstream, target: endpoint.target, endpoint: endpoint.origin, verdict }, `endpoint is ${verdict}`);
          },
        });
      }
      unregisterScrape = metrics?.onScrape(refreshGauge);
    },
    acquire,
    async call(input, send) {
      const lease = acquire(input);
      try {
        const result = await send(lease.pool);
        lease.release({ status: result.statusCode });
        return result;
      } catch (err) {
        lease.release({ error: err });
        throw err;
      }
    },
    poolFor: (origin) => pools.get(origin),
    readiness() {
      const all = set.endpoints();
      const available = all.filter((e) => isAvailable(e, now())).length;
      return { ok: available > 0, detail: `${available} of ${all.length} endpoints available` };
    },
    async close() {
      closed = true;
      for (const source of sources) source.stop();
      checker?.stop();
      unregisterScrape?.();
      const all = [...pools.values()];
      pools.clear();
      await Promise.allSettled(all.map((p) => p.close()));
    },
  };
}
