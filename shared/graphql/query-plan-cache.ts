/**
 * The query plan cache of one supergraph's gateway, in Portico's hands rather than the
 * gateway's default, so lookups can be counted (`portico_graphql_query_plan_cache_total`):
 * a miss is a query planned on the request path, what the warm-up is there to avoid.
 * Bounded by size as the gateway's own: the approximate JSON size of each plan.
 */
import type { GatewayConfig } from '@apollo/gateway';
import { LRUCache } from 'lru-cache';

/** Bytes of plans kept per supergraph (the gateway's default is the same 30 MiB). */
export const DEFAULT_QUERY_PLAN_CACHE_BYTES = 30 * 1024 * 1024;

export type QueryPlanCache = NonNullable<NonNullable<GatewayConfig['queryPlannerConfig']>['cache']>;
type QueryPlan = NonNullable<Awaited<ReturnType<QueryPlanCache['get']>>>;

/** `onLookup`: called on every lookup with whether it found a plan. */
export function createQueryPlanCache(onLookup: (result: 'hit' | 'miss') => void, maxBytes = DEFAULT_QUERY_PLAN_CACHE_BYTES): QueryPlanCache {
  const plans = new LRUCache<string, QueryPlan>({ maxSize: maxBytes, sizeCalculation: (plan) => Math.max(1, Buffer.byteLength(JSON.stringify(plan))) });
  return {
    async get(key) {
      const plan = plans.get(key);
      onLookup(plan ? 'hit' : 'miss');
      return plan;
    },
    async set(key, value) {
      plans.set(key, value);
    },
    async delete(key) {
      return plans.delete(key);
    },
    clear: () => plans.clear(),
  };
}
