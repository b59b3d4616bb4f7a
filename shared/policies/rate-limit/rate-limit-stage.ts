/** The rate limiter of one BFF: its store (memory or Redis), metrics and lifecycle, shared by the per-IP and per-principal stages. */
import type { FastifyInstance } from 'fastify';
import type { RateLimitPluginOptions } from './rate-limit-plugin';
import { createRateLimitStore, type RateLimitSettings } from './rate-limit-settings';

export function createBffRateLimiter(app: FastifyInstance, bff: string, settings: RateLimitSettings, exemptPaths: readonly string[]): RateLimitPluginOptions {
  const { metrics } = app;
  const store = createRateLimitStore(settings.store, bff, {
    onPrimaryFailure: (err) => {
      app.log.error({ err }, 'rate-limit store unreachable; deciding locally until it recovers');
      metrics.rateLimitStoreFailures.inc();
    },
    onRecovered: () => app.log.warn('rate-limit store reachable again'),
  });
  // Decisions are shared only once the store is connected: wait for it (bounded) before listening.
  app.addHook('onReady', async () => store.whenReady?.());
  app.addHook('onClose', async () => store.close());
  return {
    store,
    settings,
    exemptPaths,
    onDecision: (scope, decision) =>
      metrics.rateLimitDecisions.inc({
        scope,
        decision: decision.allowed ? 'allowed' : 'limited',
        source: decision.source === 'primary' || decision.source === 'fallback' ? decision.source : 'memory',
      }),
  };
}
