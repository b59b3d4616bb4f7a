/**
 * Whole-response caching for GraphQL queries. Apollo's response-cache plugin does the
 * GraphQL part (key of document, operation name and variables; the cache policy the
 * subgraphs' hints add up to; PRIVATE entries keyed by session, never served to another;
 * nothing with errors stored; `Age` on hits). Portico supplies the store, the session
 * (the verified principal), the bounds, the status header and the counters.
 */
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import type { CacheStatus, ResponseCache } from './response-cache-settings';

/** What the cache needs from the request context: who is asking, when someone is. */
export interface CacheScopedContext {
  /** Stable key of the verified principal (kind, tenant, id); absent for anonymous requests. */
  cacheScope?: string;
  /** Set on the GraphQL warm-up's runs only: they neither read nor fill the cache, nor count in it. */
  warmUp?: unknown;
}

type CacheOption = NonNullable<NonNullable<Parameters<typeof responseCachePlugin>[0]>['cache']>;

/** The plugin's key-value view of the store, with Portico's entry-size and lifetime bounds. */
function keyValueCache(cache: ResponseCache): CacheOption {
  return {
    get: (key: string) => cache.store.get(key),
    set: async (key: string, value: string, options?: { ttl?: number | null }) => {
      if (value.length > cache.maxEntryBytes) return;
      const ttlSec = Math.min(options?.ttl ?? 0, cache.maxTtlSec);
      await cache.store.set(key, value, ttlSec * 1_000);
    },
    // The plugin never deletes; entries expire with their policy's max-age.
    delete: async () => false,
  } as CacheOption;
}

function isQuery(requestContext: GraphQLRequestContext<CacheScopedContext>): boolean {
  return requestContext.operation?.operation === 'query';
}

/** The status a finished request reports: only queries that reached execution have one. */
export function graphqlCacheStatus(requestContext: GraphQLRequestContext<CacheScopedContext>): CacheStatus | undefined {
  if (!requestContext.operation) return undefined;
  if (!isQuery(requestContext)) return 'BYPASS';
  if (requestContext.metrics.responseCacheHit) return 'HIT';
  const body = requestContext.response.body;
  // Errors or partial data are never stored, whatever the hints say.
  if (body?.kind !== 'single' || body.singleResult.errors || !body.singleResult.data) return 'BYPASS';
  return requestContext.overallCachePolicy.policyIfCacheable() ? 'MISS' : 'BYPASS';
}

/** The plugins to add to a GraphQL BFF's Apollo Server: the cache itself, then the status header and counters. */
export function graphqlResponseCachePlugins<C extends CacheScopedContext>(cache: ResponseCache, schemaId: string): Array<ApolloServerPlugin<C>> {
  const store = responseCachePlugin<C>({
    cache: keyValueCache(cache),
    extraCacheKeyData: async () => schemaId,
    sessionId: async ({ contextValue }) => contextValue.cacheScope ?? null,
    // A response that sets a cookie belongs to one client, whatever its cache hints say.
    shouldReadFromCache: async ({ contextValue }) => !contextValue.warmUp,
    shouldWriteToCache: async ({ response, contextValue }) => !contextValue.warmUp && !response.http.headers.has('set-cookie'),
  });
  const status: ApolloServerPlugin<C> = {
    async requestDidStart() {
      return {
        async willSendResponse(requestContext) {
          if (requestContext.contextValue.warmUp) return;
          const result = graphqlCacheStatus(requestContext);
          if (!result) return;
          requestContext.response.http.headers.set(cache.statusHeader, result);
          cache.record(result);
        },
      };
    },
  };
  return [store, status];
}
