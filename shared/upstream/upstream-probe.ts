/**
 * Readiness probes for upstreams: one small request through the upstream's own pool,
 * cached briefly so frequent `/readyz` polls do not turn into upstream load.
 */
import type { Pool } from 'undici';
import type { CheckResult, ReadinessCheck } from '../observability/health';

export interface UpstreamProbeOptions {
  pool: Pool;
  /** `GET <path>` for REST services; `graphql` posts `{ __typename }` to `path`. */
  kind: 'http' | 'graphql';
  path: string;
  /** How long a result is reused, in ms. Default 1,000. */
  cacheMs?: number;
  /** Probe timeout, in ms. Default 800. */
  timeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_PROBE_CACHE_MS = 1_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 800;

export function createUpstreamProbe({ pool, kind, path, cacheMs = DEFAULT_PROBE_CACHE_MS, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS, now = Date.now }: UpstreamProbeOptions): ReadinessCheck {
  let cached: { at: number; result: CheckResult } | undefined;
  let inFlight: Promise<CheckResult> | undefined;

  async function probe(): Promise<CheckResult> {
    try {
      const res = await pool.request({
        path,
        method: kind === 'graphql' ? 'POST' : 'GET',
        headers: kind === 'graphql' ? { 'content-type': 'application/json' } : {},
        body: kind === 'graphql' ? '{"query":"query PorticoReadiness { __typename }"}' : undefined,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      return res.statusCode < 500 ? { ok: true, detail: 'reachable' } : { ok: false, detail: `status ${res.statusCode}` };
    } catch {
      return { ok: false, detail: 'unreachable' };
    }
  }

  return async () => {
    if (cached && now() - cached.at < cacheMs) return cached.result;
    inFlight ??= probe().finally(() => {
      inFlight = undefined;
    });
    const result = await inFlight;
    cached = { at: now(), result };
    return result;
  };
}
