import { Registry } from 'prom-client';
import { BREAKER_STATE_VALUE, DEFAULT_LATENCY_BUCKETS, createMetrics } from '../../shared/observability/metrics';

/** Every series of one metric as the registry exposes it, default labels included. */
async function seriesOf(registry: Registry, name: string): Promise<Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  if (!metric) throw new Error(`${name} is not registered`);
  return metric.values.map((v) => ({ metricName: (v as { metricName?: string }).metricName, labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
}

describe('createMetrics', () => {
  it('gives each call its own registry, so two BFFs in one process do not collide', async () => {
    const web = createMetrics({ bff: 'web', collectDefaultMetrics: false });
    const mobile = createMetrics({ bff: 'mobile', collectDefaultMetrics: false });
    expect(web.registry).not.toBe(mobile.registry);

    web.authFailures.inc({ reason: 'AUTH_TOKEN_EXPIRED' });
    expect(await seriesOf(web.registry, 'portico_auth_failures_total')).toEqual([{ labels: { reason: 'AUTH_TOKEN_EXPIRED', bff: 'web' }, value: 1 }]);
    expect(await seriesOf(mobile.registry, 'portico_auth_failures_total')).toEqual([]);
  });

  it('labels every series with the BFF name', async () => {
    const metrics = createMetrics({ bff: 'partner', collectDefaultMetrics: false });
    metrics.rateLimitStoreFailures.inc();
    metrics.breakerState.set({ upstream: 'orders' }, BREAKER_STATE_VALUE.open);
    expect(await seriesOf(metrics.registry, 'portico_rate_limit_store_failures_total')).toEqual([{ labels: { bff: 'partner' }, value: 1 }]);
    expect(await seriesOf(metrics.registry, 'portico_circuit_breaker_state')).toEqual([{ labels: { upstream: 'orders', bff: 'partner' }, value: 2 }]);
    expect(await metrics.registry.metrics()).toMatch(/^portico_rate_limit_store_failures_total\{bff="partner"\} 1$/m);
  });

  it('registers every documented metric with its labels', async () => {
    const metrics = createMetrics({ bff: 'web', collectDefaultMetrics: false });
    const described = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(described).toEqual(
      [
        'portico_access_denied_total',
        'portico_auth_failures_total',
        'portico_circuit_breaker_state',
        'portico_circuit_breaker_transitions_total',
        'portico_http_request_duration_seconds',
        'portico_http_requests_total',
        'portico_identity_headers_stripped_total',
        'portico_passthrough_fast_path_requests_total',
        'portico_introspection_cache_total',
        'portico_introspection_requests_total',
        'portico_rate_limit_decisions_total',
        'portico_rate_limit_store_failures_total',
        'portico_rate_limit_store_fallback_active',
        'portico_ready',
        'portico_readiness_transitions_total',
        'portico_response_cache_errors_total',
        'portico_response_cache_evictions_total',
        'portico_response_cache_total',
        'portico_supergraph_reloads_total',
        'portico_graphql_plan_executions_total',
        'portico_graphql_requests_total',
        'portico_graphql_operation_requests_total',
        'portico_graphql_operation_errors_total',
        'portico_graphql_operation_duration_seconds',
        'portico_graphql_query_plan_cache_total',
        'portico_graphql_warmup_operations',
        'portico_upstream_endpoint_ejections_total',
        'portico_upstream_errors_total',
        'portico_upstream_request_duration_seconds',
        'portico_upstream_target_endpoints',
        'portico_upstream_target_errors_total',
        'portico_upstream_target_requests_total',
      ].sort(),
    );
    metrics.upstreamRequestDuration.observe({ upstream: 'orders', outcome: 'timeout' }, 0.2);
    const count = (await seriesOf(metrics.registry, 'portico_upstream_request_duration_seconds')).find((s) => s.metricName?.endsWith('_count'));
    expect(count).toEqual({ metricName: 'portico_upstream_request_duration_seconds_count', labels: { upstream: 'orders', outcome: 'timeout', bff: 'web' }, value: 1 });
  });

  it('collects process metrics with the portico_ prefix by default', async () => {
    const withProcess = createMetrics({ bff: 'web' });
    const without = createMetrics({ bff: 'web', collectDefaultMetrics: false });
    const names = (await withProcess.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['portico_process_cpu_seconds_total', 'portico_nodejs_heap_size_used_bytes', 'portico_nodejs_eventloop_lag_seconds']));
    expect((await without.registry.getMetricsAsJSON()).some((m) => m.name.includes('process_'))).toBe(false);
  });

  it('registers into a given registry and uses the default latency buckets', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ bff: 'web', registry, collectDefaultMetrics: false });
    expect(metrics.registry).toBe(registry);
    metrics.httpRequestDuration.observe({ method: 'GET', route: '/x', status_code: '200' }, 0.01);
    const buckets = (await seriesOf(registry, 'portico_http_request_duration_seconds')).filter((s) => s.metricName?.endsWith('_bucket'));
    expect(buckets.map((b) => b.labels.le)).toEqual([...DEFAULT_LATENCY_BUCKETS, '+Inf']);
    expect(buckets.every((b) => b.labels.bff === 'web' && b.labels.route === '/x')).toBe(true);
  });

  it('uses custom latency buckets and rejects unusable ones', async () => {
    const metrics = createMetrics({ bff: 'web', collectDefaultMetrics: false, latencyBuckets: [0.1, 1] });
    metrics.upstreamRequestDuration.observe({ upstream: 'u', outcome: 'success' }, 0.5);
    const buckets = (await seriesOf(metrics.registry, 'portico_upstream_request_duration_seconds')).filter((s) => s.metricName?.endsWith('_bucket'));
    expect(buckets.map((b) => [b.labels.le, b.value])).toEqual([
      [0.1, 0],
      [1, 1],
      ['+Inf', 1],
    ]);
    for (const latencyBuckets of [[], [1, 0.5], [0, 1], [0.1, Number.POSITIVE_INFINITY]]) {
      expect(() => createMetrics({ bff: 'web', collectDefaultMetrics: false, latencyBuckets })).toThrow(/latencyBuckets/);
    }
  });

  it('refuses an empty BFF name', () => {
    expect(() => createMetrics({ bff: '', collectDefaultMetrics: false })).toThrow(/bff/);
  });
});

describe('BREAKER_STATE_VALUE', () => {
  it('maps closed, half-open and open to 0, 1 and 2', () => {
    expect(BREAKER_STATE_VALUE).toEqual({ closed: 0, half_open: 1, open: 2 });
  });
});
