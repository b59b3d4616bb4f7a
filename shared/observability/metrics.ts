/**
 * Portico's Prometheus metrics: one registry per BFF app, holding every metric the
 * policy library records. Metric and label names are part of Portico's documented
 * surface (dashboards and alerts depend on them), so they change only with a major version.
 *
 * Every series carries a constant `bff` label, so web, mobile and partner can be told
 * apart when one Prometheus scrapes them all. Durations are in seconds.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';

/** Prefix of every Portico metric name, including the process metrics. */
export const METRIC_NAME_PREFIX = 'portico_';

/**
 * Latency histogram bucket upper bounds, in seconds. The low end separates answers the
 * gateway gives on its own (401, 429) from proxied ones; 10 s matches the default
 * upstream headers/body timeouts and 30 s the default server request timeout, so
 * timed-out calls still land in a bucket below `+Inf`.
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The `route` label of responses no route matched (404s), so raw URLs never become labels. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Value of `portico_circuit_breaker_state` for each breaker state. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** A circuit breaker state, as used in the `to` label of `portico_circuit_breaker_transitions_total`. */
export type BreakerState = keyof typeof BREAKER_STATE_VALUE;

/** Values of the `outcome` label of `portico_upstream_request_duration_seconds`. */
export const UPSTREAM_OUTCOMES = ['success', 'client_error', 'server_error', 'timeout', 'unavailable', 'circuit_open'] as const;

/**
 * How an upstream call ended: `client_error` for a 4xx answer, `server_error` for 5xx,
 * `timeout` / `unavailable` for transport failures, `circuit_open` when the breaker refused it.
 */
export type UpstreamOutcome = (typeof UPSTREAM_OUTCOMES)[number];

/** Whether the rate limiter let a request through. */
export type RateLimitDecision = 'allowed' | 'limited';

/** What a rate limit counted against: the client IP or the authenticated principal. */
export type RateLimitScope = 'ip' | 'principal';

/** Which store decided: the shared store, the local fallback after it failed, or a memory-only limiter. */
export type RateLimitSource = 'primary' | 'fallback' | 'memory';

type HttpLabel = 'method' | 'route' | 'status_code';

/** The labels of the per-client GraphQL metrics. */
export type GraphqlClientLabel = 'operation' | 'client_name' | 'client_version';

/** Every metric Portico records, with the registry that exposes them. */
export interface PorticoMetrics {
  /** Holds every metric below (and the process metrics when enabled); serve it to Prometheus. */
  readonly registry: Registry;
  /** `portico_http_requests_total{method, route, status_code}`; `route` is the route pattern or `unmatched`. */
  readonly httpRequests: Counter<HttpLabel>;
  /** `portico_http_request_duration_seconds{method, route, status_code}`. */
  readonly httpRequestDuration: Histogram<HttpLabel>;
  /** `portico_upstream_request_duration_seconds{upstream, outcome}`; `outcome` is an {@link UpstreamOutcome}. */
  readonly upstreamRequestDuration: Histogram<'upstream' | 'outcome'>;
  /** `portico_upstream_errors_total{upstream, reason}`. */
  readonly upstreamErrors: Counter<'upstream' | 'reason'>;
  /** `portico_circuit_breaker_state{upstream}`: a {@link BREAKER_STATE_VALUE}. */
  readonly breakerState: Gauge<'upstream'>;
  /** `portico_circuit_breaker_transitions_total{upstream, to}`; `to` is a {@link BreakerState}. */
  readonly breakerTransitions: Counter<'upstream' | 'to'>;
  /** `portico_rate_limit_decisions_total{decision, scope, source}`. */
  readonly rateLimitDecisions: Counter<'decision' | 'scope' | 'source'>;
  /** `portico_rate_limit_store_fallback_active`: 1 while the shared store is failing and decisions come from the local fallback (or are refused, failing closed), else 0. */
  readonly rateLimitStoreFallbackActive: Gauge;
  /** `portico_ready`: 1 when the last `/readyz` evaluation was ready, else 0 (also before the first one). */
  readonly ready: Gauge;
  /** `portico_readiness_transitions_total{to}`: readiness changes between two `/readyz` evaluations, by the state entered (`ready`, `not_ready`). */
  readonly readinessTransitions: Counter<'to'>;
  /** `portico_rate_limit_store_failures_total`: times the shared store failed and the local fallback took over. */
  readonly rateLimitStoreFailures: Counter;
  /** `portico_auth_failures_total{reason}`; `reason` is the error code, e.g. `AUTH_TOKEN_EXPIRED`. */
  readonly authFailures: Counter<'reason'>;
  /** `portico_identity_headers_stripped_total`: client-sent identity headers removed before routing. */
  readonly identityHeadersStripped: Counter;
  /** `portico_passthrough_fast_path_requests_total`: requests the passthrough fast path took, answered or not (its finished answers are in the HTTP metrics too). */
  readonly passthroughFastPathRequests: Counter;
  /** `portico_introspection_requests_total{outcome}`: calls to the token introspection endpoint; `outcome` is `active`, `inactive`, `unauthorized` (client credentials refused), `error` or `timeout`. */
  readonly introspectionRequests: Counter<'outcome'>;
  /** `portico_introspection_cache_total{result}`: opaque token lookups by where they were answered: `hit`, `negative_hit`, `miss` (a call was made) or `shared` (joined a call in flight). */
  readonly introspectionCache: Counter<'result'>;
  readonly accessDenied: Counter<'rule'>;
  readonly supergraphReloads: Counter<'outcome'>;
  /** `portico_graphql_query_plan_cache_total{result}`: query plan lookups (`hit`, `miss`: planned then), the warm-up's included. */
  readonly queryPlanCache: Counter<'result'>;
  /** `portico_graphql_plan_executions_total{executor, route}`: operations executed, by executor (`portico`, `apollo`) and why (`compiled`; otherwise the feature left to Apollo Gateway's, or `configured`). */
  readonly planExecutions: Counter<'executor' | 'route'>;
  /** `portico_graphql_requests_total{pipeline}`: GraphQL POST and GET requests by what answered them (`direct`: Portico's direct execution; `apollo-server`: Apollo Server's request pipeline). */
  readonly graphqlRequests: Counter<'pipeline'>;
  /** `portico_graphql_operation_requests_total{operation, client_name, client_version}`: GraphQL requests by operation and client (graphql-client-metrics.ts bounds the label values). */
  readonly graphqlOperationRequests: Counter<GraphqlClientLabel>;
  /** `portico_graphql_operation_errors_total{operation, client_name, client_version, code}`: responses with errors, by the first error's code. */
  readonly graphqlOperationErrors: Counter<GraphqlClientLabel | 'code'>;
  /** `portico_graphql_operation_duration_seconds{operation, client_name, client_version}`. */
  readonly graphqlOperationDuration: Histogram<GraphqlClientLabel>;
  /** `portico_graphql_warmup_operations{outcome}`: the serving supergraph's warm-up, registered operations by outcome (`planned`, `refused`, `skipped`). */
  readonly warmUpOperations: Gauge<'outcome'>;
  /** `portico_upstream_target_requests_total{upstream, target}`: calls to upstreams with several targets, by the target that served them. */
  readonly upstreamTargetRequests: Counter<'upstream' | 'target'>;
  /** `portico_upstream_target_errors_total{upstream, target, reason}`; `reason` is `server_error`, `timeout` or `unavailable`. */
  readonly upstreamTargetErrors: Counter<'upstream' | 'target' | 'reason'>;
  /** `portico_upstream_target_endpoints{upstream, target, state}`: endpoints per state (`available`, `unhealthy`, `ejected`), as of the scrape. */
  readonly upstreamTargetEndpoints: Gauge<'upstream' | 'target' | 'state'>;
  /** `portico_upstream_endpoint_ejections_total{upstream, target}`: endpoints taken out by outlier detection. */
  readonly upstreamEndpointEjections: Counter<'upstream' | 'target'>;
  /** `portico_response_cache_total{status}`: responses by cache status (`HIT`, `MISS`, `BYPASS`). */
  readonly responseCache: Counter<'status'>;
  /** `portico_response_cache_evictions_total`: entries pushed out of the memory cache to make room. */
  readonly responseCacheEvictions: Counter;
  /** `portico_response_cache_errors_total`: cache reads or writes that failed (Redis down or slow); each is a miss. */
  readonly responseCacheErrors: Counter;
  /** Runs `refresh` just before every scrape (for gauges computed from live state); returns its removal. */
  onScrape(refresh: () => void): () => void;
}

export interface MetricsOptions {
  /** Name of the BFF (e.g. `web`), set as the `bff` label on every series. Required, non-empty. */
  bff: string;
  /**
   * Registry to register the metrics in. Default: a new registry per call, never
   * prom-client's global one, so two apps in one process never collide. A registry
   * passed here must not already hold Portico metrics.
   */
  registry?: Registry;
  /**
   * Also collect process metrics (CPU, memory, heap, event loop lag, GC), prefixed
   * `portico_`. Default `true`.
   */
  collectDefaultMetrics?: boolean;
  /**
   * Bucket upper bounds, in seconds, of both latency histograms; strictly increasing,
   * positive. Default {@link DEFAULT_LATENCY_BUCKETS}.
   */
  latencyBuckets?: readonly number[];
}

/** Creates Portico's metrics in a registry of their own (or the one given). */
export function createMetrics(options: MetricsOptions): PorticoMetrics {
  const { bff, registry = new Registry(), collectDefaultMetrics: withProcessMetrics = true, latencyBuckets = DEFAULT_LATENCY_BUCKETS } = options;
  if (typeof bff !== 'string' || bff.length === 0) throw new TypeError('createMetrics: bff must be a non-empty string');
  const buckets = checkBuckets(latencyBuckets);
  const registers = [registry];

  registry.setDefaultLabels({ bff });
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_NAME_PREFIX });

  const httpLabels: HttpLabel[] = ['method', 'route', 'status_code'];
  const graphqlClientLabels: GraphqlClientLabel[] = ['operation', 'client_name', 'client_version'];
  const scrapeHooks = new Set<() => void>();
  return {
    registry,

    onScrape: (refresh) => {
      scrapeHooks.add(refresh);
      return () => scrapeHooks.delete(refresh);
    },
    upstreamTargetRequests: new BoundCounter({
      name: 'portico_upstream_target_requests_total',
      help: 'Calls to upstreams with several targets, by upstream and the target that served them.',
      labelNames: ['upstream', 'target'],
      registers,
    }),
    upstreamTargetErrors: new BoundCounter({
      name: 'portico_upstream_target_errors_total',
      help: 'Failed calls to upstreams with several targets (5xx, timeout, unreachable), by upstream, target and reason.',
      labelNames: ['upstream', 'target', 'reason'],
      registers,
    }),
    upstreamTargetEndpoints: new Gauge({
      name: 'portico_upstream_target_endpoints',
      help: 'Endpoints of each upstream target by state: available, unhealthy (active checks) or ejected (outlier detection).',
      labelNames: ['upstream', 'target', 'state'],
      registers,
      collect() {
        for (const refresh of scrapeHooks) refresh();
      },
    }),
    upstreamEndpointEjections: new BoundCounter({
      name: 'portico_upstream_endpoint_ejections_total',
      help: 'Endpoints ejected by outlier detection after consecutive failures, by upstream and target.',
      labelNames: ['upstream', 'target'],
      registers,
    }),
    httpRequests: new BoundCounter({
      name: 'portico_http_requests_total',
      help: 'HTTP requests answered by the gateway, by method, route pattern and status code.',
      labelNames: httpLabels,
      registers,
    }),
    httpRequestDuration: new BoundHistogram({
      name: 'portico_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
      labelNames: httpLabels,
      buckets,
      registers,
    }),
    upstreamRequestDuration: new BoundHistogram({
      name: 'portico_upstream_request_duration_seconds',
      help: 'Duration of calls to upstream services, in seconds, by upstream and outcome.',
      labelNames: ['upstream', 'outcome'],
      buckets,
      registers,
    }),
    upstreamErrors: new BoundCounter({
      name: 'portico_upstream_errors_total',
      help: 'Failed calls to upstream services, by upstream and reason.',
      labelNames: ['upstream', 'reason'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'portico_circuit_breaker_state',
      help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
      labelNames: ['upstream'],
      registers,
    }),
    breakerTransitions: new BoundCounter({
      name: 'portico_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes per upstream, by the state entered.',
      labelNames: ['upstream', 'to'],
      registers,
    }),
    rateLimitDecisions: new BoundCounter({
      name: 'portico_rate_limit_decisions_total',
      help: 'Rate limit decisions, by decision, scope and the store that decided.',
      labelNames: ['decision', 'scope', 'source'],
      registers,
    }),
    rateLimitStoreFallbackActive: new Gauge({
      name: 'portico_rate_limit_store_fallback_active',
      help: 'Whether the shared rate limit store is failing (1): decisions come from the local fallback, or are refused when failing closed.',
      registers,
    }),
    ready: new Gauge({
      name: 'portico_ready',
      help: 'Whether the last /readyz evaluation found the BFF ready (1) or not (0, also before the first).',
      registers,
    }),
    readinessTransitions: new BoundCounter({
      name: 'portico_readiness_transitions_total',
      help: 'Readiness changes between two /readyz evaluations, by the state entered (ready, not_ready).',
      labelNames: ['to'],
      registers,
    }),
    rateLimitStoreFailures: new BoundCounter({
      name: 'portico_rate_limit_store_failures_total',
      help: 'Times the shared rate limit store failed and the local fallback took over.',
      registers,
    }),
    authFailures: new BoundCounter({
      name: 'portico_auth_failures_total',
      help: 'Rejected authentication attempts, by error code.',
      labelNames: ['reason'],
      registers,
    }),
    identityHeadersStripped: new BoundCounter({
      name: 'portico_identity_headers_stripped_total',
      help: 'Client-sent identity headers removed before routing.',
      registers,
    }),
    passthroughFastPathRequests: new BoundCounter({
      name: 'portico_passthrough_fast_path_requests_total',
      help: 'Requests the passthrough fast path took, answered or not (its finished answers are in the HTTP metrics too).',
      registers,
    }),
    introspectionRequests: new BoundCounter({
      name: 'portico_introspection_requests_total',
      help: 'Calls to the token introspection endpoint, by outcome (active, inactive, unauthorized, error, timeout).',
      labelNames: ['outcome'],
      registers,
    }),
    introspectionCache: new BoundCounter({
      name: 'portico_introspection_cache_total',
      help: 'Opaque bearer token lookups, by where they were answered (hit, negative_hit, miss, shared).',
      labelNames: ['result'],
      registers,
    }),
    supergraphReloads: new BoundCounter({
      name: 'portico_supergraph_reloads_total',
      help: 'Supergraph changes picked up while running, by outcome (success, failure: the previous one kept serving).',
      labelNames: ['outcome'],
      registers,
    }),
    queryPlanCache: new BoundCounter({
      name: 'portico_graphql_query_plan_cache_total',
      help: 'Query plan lookups by result (hit; miss: the operation was planned then), warm-up runs included.',
      labelNames: ['result'],
      registers,
    }),
    planExecutions: new BoundCounter({
      name: 'portico_graphql_plan_executions_total',
      help: "GraphQL operations executed, by executor (portico, apollo) and route (compiled: Portico's executor; otherwise the feature left to Apollo Gateway's, or configured: GRAPHQL_EXECUTOR=apollo).",
      labelNames: ['executor', 'route'],
      registers,
    }),
    graphqlRequests: new BoundCounter({
      name: 'portico_graphql_requests_total',
      help: "GraphQL requests by the pipeline that answered them (direct: an operation Apollo Server already ran, answered on Portico's executor without its request pipeline; apollo-server: everything else).",
      labelNames: ['pipeline'],
      registers,
    }),
    graphqlOperationRequests: new BoundCounter({
      name: 'portico_graphql_operation_requests_total',
      help: 'GraphQL requests by operation name and client name and version (unknown and over-cap values folded into __-prefixed values).',
      labelNames: graphqlClientLabels,
      registers,
    }),
    graphqlOperationErrors: new BoundCounter({
      name: 'portico_graphql_operation_errors_total',
      help: "GraphQL responses with errors (or an error status), by operation, client name and version, and the first error's code.",
      labelNames: [...graphqlClientLabels, 'code'],
      registers,
    }),
    graphqlOperationDuration: new BoundHistogram({
      name: 'portico_graphql_operation_duration_seconds',
      help: 'Time from receiving a GraphQL request to finishing its response, in seconds, by operation and client name and version.',
      labelNames: graphqlClientLabels,
      buckets,
      registers,
    }),
    warmUpOperations: new Gauge({
      name: 'portico_graphql_warmup_operations',
      help: "Registered operations of the serving supergraph's warm-up, by outcome (planned; refused: invalid against it; skipped: not reached within the budget).",
      labelNames: ['outcome'],
      registers,
    }),
    responseCache: new BoundCounter({
      name: 'portico_response_cache_total',
      help: 'Responses by cache status (HIT: served from the cache, MISS: fetched, BYPASS: not cacheable).',
      labelNames: ['status'],
      registers,
    }),
    responseCacheEvictions: new BoundCounter({
      name: 'portico_response_cache_evictions_total',
      help: 'Response cache entries pushed out to make room.',
      registers,
    }),
    responseCacheErrors: new BoundCounter({
      name: 'portico_response_cache_errors_total',
      help: 'Response cache reads or writes that failed (each one a miss).',
      registers,
    }),
    accessDenied: new BoundCounter({
      name: 'portico_access_denied_total',
      help: 'Requests refused by IP or user-agent rules, by rule (ip_deny, ip_not_allowed, user_agent).',
      labelNames: ['rule'],
      registers,
    }),
  };
}

function checkBuckets(buckets: readonly number[]): number[] {
  const ok = buckets.length > 0 && buckets.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > (buckets[i - 1] as number)));
  if (!ok) throw new TypeError('createMetrics: latencyBuckets must be a non-empty, strictly increasing list of positive seconds');
  // prom-client keeps the array it is given; a copy keeps the caller's list out of it.
  return [...buckets];
}
