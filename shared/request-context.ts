/**
 * The state Portico keeps on an app and on each request, declared in this one place: who
 * the caller is (authentication), what every upstream call carries (transform), what the
 * request costs (rate limit), and the upstream call it is making (route). Each stage writes
 * its own part; later stages read it. A multi-target upstream's routing input is built from
 * the verified principal here, never parsed back from the headers the transform wrote.
 */
import type { FastifyRequest } from 'fastify';
import type { GraphqlRequestReport } from './observability/graphql-client-metrics';
import type { MetricsListener } from './observability/metrics-access';
import type { PorticoMetrics } from './observability/metrics';
import type { DrainState } from './drain';
import type { ReadinessRegistry } from './observability/health';
import type { TraceScope, Tracing } from './observability/tracing';
import type { AuthRequirement } from './policies/authn/authn-plugin';
import type { Principal } from './policies/authn/principal';
import type { AccessRules } from './policies/edge/access-rules';
import type { ChargeableBucket } from './policies/rate-limit/rate-limit-plugin';
import type { ResponseCache } from './policies/response-cache/response-cache-settings';
import type { PassthroughCall } from './rest/passthrough-outcome';
import type { FastPathParts } from './rest/passthrough-fast-path';
import type { BreakerRegistry } from './upstream/breaker';
import { TARGET_OVERRIDE_HEADER, type RoutingInput } from './upstream/target-set';
import type { TargetLease } from './upstream/upstream-targets';

declare module 'fastify' {
  interface FastifyInstance {
    /** This BFF's metrics, for policies and upstream clients to record into. */
    metrics: PorticoMetrics;
    /** One circuit breaker per upstream. */
    breakers: BreakerRegistry;
    /** The response cache the routes consult, when the manifest turns it on. */
    responseCache: ResponseCache | undefined;
    /** The checks `/readyz` runs. */
    readiness: ReadinessRegistry;
    /** The admin listener serving `/metrics`, when the BFF has one. */
    metricsListener: MetricsListener | undefined;
    /** The shutdown phase and the requests in flight (`shared/drain.ts`). */
    drain: DrainState;
    /** OpenTelemetry tracing, when configured (`server.tracing`); undefined means off. */
    tracing: Tracing | undefined;
    /** What each stage contributes to the passthrough fast path (`rest/passthrough-fast-path.ts`). */
    fastPathParts: FastPathParts;
  }

  interface FastifyRequest {
    /** One of the BFF's own warm-up requests (warm-up-request.ts), decided once on arrival; never true for a client's. */
    warmUp: boolean;
    /** Tracing: the request's span, parent of every span opened for it; undefined when tracing is off. */
    trace?: TraceScope;
    /** Tracing: the spans of the pipeline stages still open. */
    traceStages?: TraceScope[];
    /** Tracing: the error the request failed with, for its span. */
    traceFailure?: unknown;
    /** Authentication: the verified caller; undefined on public routes without credentials. */
    principal?: Principal;
    /** Transform: headers every upstream call of this request carries (the verified identity). */
    upstreamHeaders: Record<string, string>;
    /** Rate limit: units this request costs against the principal limit. Default 1. */
    rateLimitCost?: number;
    /** Rate limit: charges more units to this request's principal bucket (a GraphQL operation's cost); throws RATE_LIMITED when over. */
    chargeRateLimit?: (units: number) => Promise<void>;
    /** Rate limit: the principal bucket this request was decided against, behind `chargeRateLimit`. */
    rateLimitBucket?: ChargeableBucket;
    /** Route: the passthrough call of this request, until its response is done or its client went away. */
    passthroughCall?: PassthroughCall;
    /** Route: the endpoint a passthrough to a multi-target upstream was sent to, until its response settles it. */
    targetLease?: TargetLease;
    /** GraphQL route: what the operation and its first error were, for the per-client metrics; null until something is noted. */
    graphqlReport: GraphqlRequestReport | null;
  }

  interface FastifyContextConfig {
    /** What the route demands of its caller (public, scopes). */
    auth?: AuthRequirement;
    /** Route-specific access rules, replacing the BFF's. */
    accessRules?: AccessRules;
    /** Forward the client's Authorization header to the upstream. Default false. */
    forwardAuthorization?: boolean;
  }
}

/** Pure: what a multi-target upstream needs to know of the caller: its verified identity and its override header. */
export function routingInputFor(principal: Principal | undefined, override: string | string[] | undefined): RoutingInput {
  return {
    ...(principal?.kind === 'user' ? { userId: principal.id } : {}),
    ...(principal?.clientId ? { clientId: principal.clientId } : {}),
    ...(principal && principal.scopes.length > 0 ? { scopes: principal.scopes } : {}),
    ...(override !== undefined ? { override: Array.isArray(override) ? override.join(',') : override } : {}),
  };
}

/** The routing input of a request. */
export function routingInputOf(request: FastifyRequest): RoutingInput {
  return routingInputFor(request.principal, request.headers[TARGET_OVERRIDE_HEADER]);
}

/** The GraphQL report of a request, created on first use. */
export function graphqlReportOf(request: FastifyRequest): GraphqlRequestReport {
  return (request.graphqlReport ??= { operation: undefined, errorCode: undefined });
}
