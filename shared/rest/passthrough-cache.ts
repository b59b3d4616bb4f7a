/**
 * The response cache on REST passthrough routes: a GET is looked up before anything is
 * sent upstream (after authentication and limits, which run first), and a cacheable
 * upstream answer is buffered, sent, then stored. Anything else streams through untouched.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalCacheScope } from '../policies/authn/principal';
import { httpCacheKey, serializeEntry, servableEntry, storageDecision, type CacheRequest } from '../policies/response-cache/http-response-cache';
import type { ResponseCache } from '../policies/response-cache/response-cache-settings';
import { allowedResponseHeaders, type PassthroughHeaderRules } from './passthrough-headers';
import type { UpstreamResponse } from '../upstream/upstream';
import { declaredLength, sendUpstreamResponse } from './upstream-response';

export interface PassthroughCache {
  /** Serves the request from the cache when a fresh entry exists; true when it did. */
  serveCached(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Sends the upstream response, storing it first when it may be. */
  sendAndStore(request: FastifyRequest, reply: FastifyReply, response: UpstreamResponse): void;
}

function cacheRequest(request: FastifyRequest): CacheRequest {
  return { method: request.method, url: request.url, headers: request.headers };
}

/** `rules`: the route's header rules; a stored answer is served with the same response headers a live one would get. */
export function createPassthroughCache(cache: ResponseCache, rules: PassthroughHeaderRules): PassthroughCache {
  const statusHeader = cache.statusHeader;
  return {
    async serveCached(request, reply) {
      if (request.method !== 'GET') return false;
      const req = cacheRequest(request);
      // A principal's own entry first, then the shared one.
      const scopes = request.principal ? [{ kind: 'private' as const, principal: principalCacheScope(request.principal) }, { kind: 'shared' as const }] : [{ kind: 'shared' as const }];
      for (const scope of scopes) {
        const text = await cache.store.get(httpCacheKey(req, scope));
        const served = text === undefined ? undefined : servableEntry(text, req);
        if (!served) continue;
        // The route's allowlist (which leaves out per-exchange headers), plus the entry's Age.
        const headers = allowedResponseHeaders(served.headers, rules);
        if (served.headers.age !== undefined) headers.age = served.headers.age;
        cache.record('HIT');
        await reply.code(served.status).headers(headers).header(statusHeader, 'HIT').send(served.body);
        return true;
      }
      return false;
    },

    sendAndStore(request, reply, response) {
      const req = cacheRequest(request);
      const decision = storageDecision(req, { status: response.statusCode, headers: response.headers }, request.principal ? principalCacheScope(request.principal) : undefined);
      // Only bodies of a declared, bounded length are stored: anything else keeps streaming.
      const length = declaredLength(response.headers);
      if (!decision || length === undefined || length > cache.maxEntryBytes) {
        cache.record('BYPASS');
        reply.header(statusHeader, 'BYPASS');
        sendUpstreamResponse(request, reply, response);
        return;
      }
      cache.record('MISS');
      reply.header(statusHeader, 'MISS');
      sendUpstreamResponse(request, reply, response, {
        maxWholeBytes: cache.maxEntryBytes,
        onWholeBody: (body) => {
          const ttlMs = Math.min(decision.ttlMs, cache.maxTtlSec * 1_000);
          void cache.store.set(httpCacheKey(req, decision.scope), serializeEntry(decision.policy, response.statusCode, body), ttlMs);
        },
      });
    },
  };
}
