/**
 * The response-cache policy: GraphQL queries by their cache hints, REST GETs by the
 * upstream's Cache-Control. Its stage only makes the cache available; the route stage
 * consults it, so every cached answer has passed authentication and limits first.
 */
import { definePolicy, policyStage } from '../policy';
import { responseCacheEnv } from './response-cache-env';
import { ResponseCacheSettingsSchema, type ResponseCacheSettings } from './response-cache-settings';
import { createBffResponseCache } from './response-cache-stage';

export interface ResponseCachePolicySettings {
  /** Response caching; absent means off. */
  responseCache?: ResponseCacheSettings;
}

export const responseCachePolicy = definePolicy<ResponseCachePolicySettings>({
  name: 'response cache',
  settings: { responseCache: ResponseCacheSettingsSchema },
  env: [responseCacheEnv],
});

export const responseCacheStage = policyStage(responseCachePolicy, 'response cache', async ({ responseCache }, { app, bff }) => {
  app.decorate('responseCache', responseCache ? createBffResponseCache(app, bff, responseCache) : undefined);
});
