/**
 * How aggregate endpoints call REST upstreams: JSON GETs through each upstream's pool,
 * with the request id forwarded and transport failures mapped to catalogue errors.
 */
import type { Pool } from 'undici';
import type { BreakerRegistry } from '../upstream/breaker';
import { createRetryBudget, withRetries, type RetryBudget } from '../upstream/retry';
import type { UpstreamObserver } from '../upstream/upstream-observer';
import { PorticoError } from '../errors';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import { upstreamError } from '../upstream/upstream-errors';
import { routingInputFromIdentity } from '../upstream/target-set';
import type { UpstreamTargets } from '../upstream/upstream-targets';

export interface UpstreamResponse<T = unknown> {
  status: number;
  body: T;
}

export interface UpstreamCaller {
  /** GET `path` (with query) on `upstream`; resolves for any HTTP status, rejects on transport failure. */
  getJson<T = unknown>(upstream: string, path: string, query?: Record<string, string>): Promise<UpstreamResponse<T>>;
}

/** What aggregate calls share across requests: pools, breakers, retry budgets, the metrics observer. */
export interface UpstreamCallerDeps {
  pools: ReadonlyMap<string, Pool>;
  /** Upstreams with several targets (absent when none has): their calls go to the endpoint the targets choose. */
  targets?: ReadonlyMap<string, UpstreamTargets>;
  breakers: BreakerRegistry;
  retryBudgets: ReadonlyMap<string, RetryBudget>;
  observe: UpstreamObserver;
}

async function getText(pool: Pool, path: string, headers: Record<string, string>): Promise<{ statusCode: number; text: string }> {
  const r = await pool.request({ path, method: 'GET', headers });
  return { statusCode: r.statusCode, text: await r.body.text() };
}

/** `targetOverride`: the client's target override header, honoured only for permitted principals of multi-target upstreams. */
export function createUpstreamCaller({ pools, targets, breakers, retryBudgets, observe }: UpstreamCallerDeps, requestId: string, identityHeaders: Record<string, string> = {}, targetOverride?: string | string[]): UpstreamCaller {
  return {
    async getJson<T>(upstream: string, path: string, query?: Record<string, string>): Promise<UpstreamResponse<T>> {
      const pool = pools.get(upstream);
      const several = targets?.get(upstream);
      if (!pool && !several) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error(`unknown upstream '${upstream}'`) });
      const search = query ? `?${new URLSearchParams(query).toString()}` : '';
      let res: { statusCode: number; text: string };
      const startedAt = performance.now();
      try {
        res = await breakers.get(upstream).run(
          () =>
            withRetries(
              async () => {
                if (several) return several.call(routingInputFromIdentity(identityHeaders, targetOverride), (p) => getText(p, `${path}${search}`, { ...identityHeaders, accept: 'application/json', [REQUEST_ID_HEADER]: requestId }));
                const r = await (pool as Pool).request({ path: `${path}${search}`, method: 'GET', headers: { ...identityHeaders, accept: 'application/json', [REQUEST_ID_HEADER]: requestId } });
                return { statusCode: r.statusCode, text: await r.body.text() };
              },
              { idempotent: true, budget: retryBudgets.get(upstream) ?? createRetryBudget() },
            ),
          (r) => r.statusCode >= 500,
        );
        observe(upstream, startedAt, { status: res.statusCode });
      } catch (err) {
        observe(upstream, startedAt, { error: err });
        throw err instanceof PorticoError ? err : upstreamError(upstream, err);
      }
      const text = res.text;
      try {
        return { status: res.statusCode, body: JSON.parse(text) as T };
      } catch (err) {
        throw new PorticoError('UPSTREAM_BAD_RESPONSE', `Upstream '${upstream}' returned a response that is not JSON.`, { cause: err });
      }
    },
  };
}

/** Unwraps a 2xx response or turns an upstream 5xx/unknown status into a gateway error. */
export function expectOk<T>(upstream: string, response: UpstreamResponse<T>): T {
  if (response.status >= 200 && response.status < 300) return response.body;
  throw new PorticoError('UPSTREAM_BAD_RESPONSE', `Upstream '${upstream}' answered with status ${response.status}.`);
}
