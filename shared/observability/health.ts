/**
 * Liveness and readiness. `/healthz` answers while the process runs; `/readyz` answers
 * 200 only when every registered readiness check passes (supergraph loaded, required
 * upstreams answering, not draining: `shared/drain-plugin.ts`), so a load balancer sends
 * traffic only then.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface CheckResult {
  ok: boolean;
  /** Short human-readable state, e.g. `loaded`, `unreachable`. */
  detail: string;
}

export type ReadinessCheck = () => Promise<CheckResult> | CheckResult;

/** Longest a single readiness check may take, in ms, before it counts as failed. */
export const DEFAULT_CHECK_TIMEOUT_MS = 1_000;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** Where plugins register what "ready" means for their part of the BFF. */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly listeners: Array<(ready: boolean) => void> = [];

  constructor(private readonly timeoutMs = DEFAULT_CHECK_TIMEOUT_MS) {}

  add(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check '${name}' is already registered`);
    this.checks.set(name, check);
  }

  remove(name: string): void {
    this.checks.delete(name);
  }

  async evaluate(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runWithTimeout(check, this.timeoutMs)] as const),
    );
    const report = summarizeReadiness(Object.fromEntries(entries));
    for (const listener of this.listeners) listener(report.ready);
    return report;
  }

  /** Calls `listener` with the outcome of every evaluation. */
  onEvaluated(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
  }
}

/** What {@link recordReadiness} records into (a slice of `PorticoMetrics`). */
export interface ReadinessMetrics {
  ready: { set(value: number): void };
  readinessTransitions: { inc(labels: { to: 'ready' | 'not_ready' }): void };
}

/**
 * Exports readiness as `portico_ready`, as `/readyz` last answered it, and counts its
 * changes, so flapping shows even when it happens between two scrapes. A scrape does not
 * evaluate readiness itself: the checks probe upstreams and the rate-limit store.
 */
export function recordReadiness(registry: ReadinessRegistry, metrics: ReadinessMetrics): void {
  let last: boolean | undefined;
  registry.onEvaluated((ready) => {
    metrics.ready.set(ready ? 1 : 0);
    if (last !== undefined && last !== ready) metrics.readinessTransitions.inc({ to: ready ? 'ready' : 'not_ready' });
    last = ready;
  });
}

/** Pure: ready only when every check passed (and there is at least one way to be unready). */
export function summarizeReadiness(checks: Record<string, CheckResult>): ReadinessReport {
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

async function runWithTimeout(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: 'timed out' }), timeoutMs);
      }),
    ]);
  } catch (err) {
    return { ok: false, detail: (err as Error).message || 'failed' };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthPluginOptions {
  /** Per-check timeout in ms. Default 1,000. */
  checkTimeoutMs?: number;
}

/** Registers `/healthz`, `/readyz` and the `readiness` registry on the root instance. */
export const healthPlugin = fp<HealthPluginOptions>(
  async (app: FastifyInstance, opts) => {
    const registry = new ReadinessRegistry(opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
    // The `lifecycle` check (draining, shutting down) comes from the drain plugin.
    app.decorate('readiness', registry);

    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      const report = await registry.evaluate();
      return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
    });
  },
  { name: 'portico-health' },
);
