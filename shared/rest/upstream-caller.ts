/**
 * How aggregate endpoints call REST upstreams: JSON GETs through each upstream's
 * {@link Upstream} client, with the request id and identity headers forwarded.
 */
import { PorticoError } from '../errors';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import type { TraceScope } from '../observability/tracing';
import type { RoutingInput } from '../upstream/target-set';
import type { Upstream, UpstreamResponse } from '../upstream/upstream';

export type { UpstreamResponse } from '../upstream/upstream';

export interface UpstreamCaller {
  /** GET `path` (with query) on `upstream`; resolves for any HTTP status, rejects on transport failure. */
  getJson<T = unknown>(upstream: string, path: string, query?: Record<string, string>): Promise<UpstreamResponse<T>>;
}

/**
 * `routing`: who is calling, for multi-target upstreams (sticky assignment, the override
 * honoured only for permitted principals). `trace`: the request's span, when tracing is on.
 */
export function createUpstreamCaller(upstreams: ReadonlyMap<string, Upstream>, requestId: string, identityHeaders: Record<string, string> = {}, routing: RoutingInput = {}, trace?: TraceScope): UpstreamCaller {
  return {
    async getJson<T>(name: string, path: string, query?: Record<string, string>): Promise<UpstreamResponse<T>> {
      const upstream = upstreams.get(name);
      if (!upstream) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error(`unknown upstream '${name}'`) });
      const search = query ? `?${new URLSearchParams(query).toString()}` : '';
      const res = await upstream.call({
        method: 'GET',
        path: `${path}${search}`,
        headers: { ...identityHeaders, accept: 'application/json', [REQUEST_ID_HEADER]: requestId },
        idempotent: true,
        ...(upstream.targets ? { routing } : {}),
        trace: trace ? { parent: trace } : undefined,
      });
      try {
        return { statusCode: res.statusCode, headers: res.headers, body: JSON.parse(res.body) as T };
      } catch (err) {
        throw new PorticoError('UPSTREAM_BAD_RESPONSE', `Upstream '${name}' returned a response that is not JSON.`, { cause: err });
      }
    },
  };
}

/** Unwraps a 2xx response or turns an upstream 5xx/unknown status into a gateway error. */
export function expectOk<T>(upstream: string, response: UpstreamResponse<T>): T {
  if (response.statusCode >= 200 && response.statusCode < 300) return response.body;
  throw new PorticoError('UPSTREAM_BAD_RESPONSE', `Upstream '${upstream}' answered with status ${response.statusCode}.`);
}
