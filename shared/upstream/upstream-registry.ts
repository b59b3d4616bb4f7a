/**
 * A BFF's upstreams, built once per app: one {@link Upstream} per configured name (with
 * several targets) or per name and origin (one origin), each with its pools, retry budget,
 * breaker and observer. The registry owns their lifecycle: targets start discovery and
 * health checks when the app is ready, and every pool closes with the app.
 */
import type { FastifyInstance } from 'fastify';
import type { PorticoMetrics } from '../observability/metrics';
import type { ReadinessCheck } from '../observability/health';
import type { BreakerRegistry } from './breaker';
import type { RetryBudgetOptions } from './retry';
import type { DiscoveryLog } from './target-discovery';
import type { UpstreamTargetsSettings } from './target-settings';
import { createUpstream, singleOriginEndpoints, targetEndpoints, type Upstream } from './upstream';
import { createUpstreamObserver } from './upstream-observer';
import { createUpstreamPool, type UpstreamPoolOptions } from './upstream-pool';
import { createUpstreamTargets, type UpstreamTargets } from './upstream-targets';

/** What the registry needs from the app: breakers, metrics, logger, readiness and lifecycle hooks. */
export interface UpstreamRegistryHost {
  breakers: BreakerRegistry;
  metrics?: PorticoMetrics;
  log: DiscoveryLog;
  readiness: { add(name: string, check: ReadinessCheck): void };
  onReady(task: () => Promise<void>): void;
  onClose(task: () => Promise<void>): void;
}

export interface UpstreamRegistryOptions {
  /** Upstreams served by several weighted targets, by name. Default: none. */
  targets?: Readonly<Record<string, UpstreamTargetsSettings>>;
  /** Pool settings of an upstream by name (every endpoint's pool, for several targets). Default: the pool defaults. */
  poolOptionsOf?: (name: string) => UpstreamPoolOptions | undefined;
  /** Retry budget of every upstream. Default DEFAULT_RETRY_BUDGET (retry.ts). */
  retryBudget?: RetryBudgetOptions;
}

export interface UpstreamRegistry {
  /**
   * The upstream `name` at `origin` (`http://host:port`): created on first use, then the
   * same object for every caller asking for that name and origin (one pool, one budget).
   * `pool` applies when it is created; default: `poolOptionsOf(name)`.
   */
  atOrigin(name: string, origin: string, pool?: UpstreamPoolOptions): Upstream;
  /** The upstream `name` when the configuration gives it several targets. */
  withTargets(name: string): Upstream | undefined;
  /** `withTargets(name)`, else `atOrigin(name, origin)`; throws when it has neither. */
  upstream(name: string, origin: string | undefined): Upstream;
  /** Whether any upstream has several targets (the target override header is read only then). */
  readonly hasTargets: boolean;
  /** Registers an upstream's readiness check under `check` (a probe through its pool, or its targets' availability). */
  addReadiness(check: string, upstream: Upstream, probe: { kind: 'http' | 'graphql'; path: string }): void;
  /** Stops targets and closes every pool (also registered on the app's close). */
  close(): Promise<void>;
}

export function createUpstreamRegistry(host: UpstreamRegistryHost, options: UpstreamRegistryOptions = {}): UpstreamRegistry {
  const observe = createUpstreamObserver(host.metrics);
  const poolOptionsOf = options.poolOptionsOf ?? (() => undefined);
  const byOrigin = new Map<string, Upstream>();
  const pools: Array<{ close(): Promise<void> }> = [];
  const runtimes: UpstreamTargets[] = [];
  const targeted = new Map<string, Upstream>();
  let closed: Promise<void> | undefined;

  for (const [name, settings] of Object.entries(options.targets ?? {})) {
    const targets = createUpstreamTargets({ upstream: name, settings, pool: poolOptionsOf(name), metrics: host.metrics, log: host.log });
    runtimes.push(targets);
    targeted.set(name, createUpstream({ name, endpoints: targetEndpoints(targets), breaker: host.breakers.get(name), observe, retryBudget: options.retryBudget, deadlineMs: poolOptionsOf(name)?.deadlineMs }));
  }
  if (runtimes.length > 0) {
    host.onReady(async () => {
      await Promise.all(runtimes.map((t) => t.start()));
    });
  }

  const registry: UpstreamRegistry = {
    atOrigin(name, origin, pool) {
      const key = `${name}\n${origin}`;
      let upstream = byOrigin.get(key);
      if (!upstream) {
        const poolOptions = pool ?? poolOptionsOf(name);
        const created = createUpstreamPool(origin, poolOptions);
        pools.push(created);
        // A supergraph that finished loading as the app closed: its pool closes at once.
        if (closed) void created.close().catch(() => undefined);
        upstream = createUpstream({ name, endpoints: singleOriginEndpoints(origin, created), breaker: host.breakers.get(name), observe, retryBudget: options.retryBudget, deadlineMs: poolOptions?.deadlineMs });
        byOrigin.set(key, upstream);
      }
      return upstream;
    },
    withTargets: (name) => targeted.get(name),
    upstream(name, origin) {
      const targetedUpstream = targeted.get(name);
      if (targetedUpstream) return targetedUpstream;
      if (!origin) throw new Error(`upstream '${name}' has neither an origin nor targets`);
      return registry.atOrigin(name, origin);
    },
    hasTargets: targeted.size > 0,
    addReadiness(check, upstream, probe) {
      host.readiness.add(check, upstream.probe(probe.kind, probe.path));
    },
    close() {
      closed ??= Promise.allSettled([...runtimes.map((t) => t.close()), ...pools.map((p) => p.close())]).then(() => undefined);
      return closed;
    },
  };
  host.onClose(() => registry.close());
  return registry;
}

/** The host of an app's registry, from the app's decorations and hooks. */
export function upstreamRegistryHost(app: FastifyInstance): UpstreamRegistryHost {
  return {
    breakers: app.breakers,
    metrics: app.metrics,
    log: app.log,
    readiness: app.readiness,
    onReady: (task) => app.addHook('onReady', task),
    onClose: (task) => app.addHook('onClose', task),
  };
}
