/** The response cache of one BFF, with its metrics and its store's lifecycle tied to the app. */
import type { FastifyInstance } from 'fastify';
import { createResponseCache, type ResponseCache, type ResponseCacheSettings } from './response-cache-settings';

/** How often a failing store is logged, in ms: one line per outage, not one per request. */
const ERROR_LOG_INTERVAL_MS = 10_000;

export function createBffResponseCache(app: FastifyInstance, bff: string, settings: ResponseCacheSettings): ResponseCache {
  const { metrics } = app;
  let lastLoggedAt = 0;
  const cache = createResponseCache(settings, bff, {
    onStatus: (status) => metrics.responseCache.inc({ status }),
    onEvict: () => metrics.responseCacheEvictions.inc(),
    onError: (err) => {
      metrics.responseCacheErrors.inc();
      const now = Date.now();
      if (now - lastLoggedAt < ERROR_LOG_INTERVAL_MS) return;
      lastLoggedAt = now;
      app.log.warn({ err }, 'response cache unavailable; answering without it');
    },
  });
  app.addHook('onReady', async () => cache.store.whenReady());
  app.addHook('onClose', async () => cache.store.close());
  return cache;
}
