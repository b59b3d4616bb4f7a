/** The rate limiter of one BFF: its store (memory or Redis), metrics, readiness and lifecycle, shared by the per-IP and per-principal stages. */
import type { FastifyInstance } from 'fastify';
import type { CheckResult } from '../../observability/health';
import type { LimitScope, RateLimitPluginOptions } from './rate-limit-plugin';
import type { RateLimitDecision } from '../../observability/metrics';
import { createRateLimitStore, defaultLimiterReadiness, type RateLimitReadiness, type RateLimitSettings } from './rate-limit-settings';
import type { ResilientStore } from './resilient-store';

/** Name of the limiter's check in `/readyz`. */
export const RATE_LIMIT_READINESS_CHECK = 'rateLimitStore';

/**
 * Pure: the readiness entry for the shared store. Reachable is always ok; unreachable is ok
 * only when readiness is 'informational', and the detail says what requests get meanwhile.
 */
export function limiterReadiness(reachable: boolean, store: Pick<ResilientStore, 'failMode'>, readiness: RateLimitReadiness): CheckResult {
  if (reachable) return { ok: true, detail: 'redis reachable' };
  const meanwhile = store.failMode === 'closed' ? 'refusing with 503 (fail closed)' : 'deciding locally';
  return { ok: readiness === 'informational', detail: `redis unreachable: ${meanwhile}` };
}

export function createBffRateLimiter(app: FastifyInstance, bff: string, settings: RateLimitSettings, exemptPaths: readonly string[]): RateLimitPluginOptions {
  const { metrics } = app;
  // Every label combination bound once: two decisions per request, no label object each.
  const bind = (scope: LimitScope, decision: RateLimitDecision) => ({
    primary: metrics.rateLimitDecisions.labels({ scope, decision, source: 'primary' }),
    fallback: metrics.rateLimitDecisions.labels({ scope, decision, source: 'fallback' }),
    memory: metrics.rateLimitDecisions.labels({ scope, decision, source: 'memory' }),
  });
  const decisionCounters = {
    ip: { allowed: bind('ip', 'allowed'), limited: bind('ip', 'limited') },
    principal: { allowed: bind('principal', 'allowed'), limited: bind('principal', 'limited') },
  };
  const meanwhile = settings.store?.kind === 'redis' && settings.store.failMode === 'closed' ? 'refusing with 503' : 'deciding locally';
  const store = createRateLimitStore(settings.store, bff, {
    onPrimaryFailure: (err) => {
      app.log.error({ err }, `rate-limit store unreachable; ${meanwhile} until it recovers`);
      metrics.rateLimitStoreFailures.inc();
      metrics.rateLimitStoreFallbackActive.set(1);
    },
    onRecovered: () => {
      app.log.warn('rate-limit store reachable again');
      metrics.rateLimitStoreFallbackActive.set(0);
    },
  });
  if (settings.store?.kind === 'redis' && 'checkPrimary' in store) {
    const readiness = settings.store.readiness ?? defaultLimiterReadiness(settings.store.failMode);
    app.readiness.add(RATE_LIMIT_READINESS_CHECK, async () => limiterReadiness(await store.checkPrimary(), store, readiness));
  }
  // Decisions are shared only once the store is connected: wait for it (bounded) before listening.
  app.addHook('onReady', async () => store.whenReady?.());
  app.addHook('onClose', async () => store.close());
  return {
    store,
    settings,
    exemptPaths,
    onDecision: (scope, decision) => decisionCounters[scope][decision.allowed ? 'allowed' : 'limited'][decision.source === 'primary' || decision.source === 'fallback' ? decision.source : 'memory'].inc(),
  };
}
