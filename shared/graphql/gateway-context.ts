import type { Upstream } from '../upstream/upstream';
import type { TraceScope } from '../observability/tracing';
import type { Principal } from '../policies/authn/principal';
import type { RoutingInput } from '../upstream/target-set';
import type { GraphqlRequestReport } from '../observability/graphql-client-metrics';

/** What the gateway knows about an incoming request when it calls subgraphs. */
export interface GatewayContext {
  /** The verified caller, whose rights the supergraph's authorization rules are checked against; absent for anonymous callers. */
  principal?: Principal;
  /** The request id, forwarded as `x-request-id` on every subgraph call. */
  requestId: string;
  /** Headers the pipeline decided to send to every subgraph (e.g. verified identity). */
  forwardHeaders: Record<string, string>;
  /** Charges extra units to the caller's rate limit (absent when limiting is off); throws RATE_LIMITED when over. */
  chargeRateLimit?: (units: number) => Promise<void>;
  /** Stable key of the verified principal, so PRIVATE cached responses are only ever served back to it. */
  cacheScope?: string;
  /** Who is calling, for subgraphs with several targets (sticky assignment, the override header honoured only for permitted principals). */
  routing?: RoutingInput;
  /** Tracing: the span the GraphQL phases and subgraph fetches open under (the execution's while it runs); absent when tracing is off. */
  trace?: TraceScope;
  /** When the request's overall deadline ends (`performance.now()` clock): subgraph calls unfinished by then fail with UPSTREAM_TIMEOUT. Default: none. */
  deadlineAt?: number;
  /** Where the pipeline that answers (Apollo Server's or direct execution) notes the operation and the first error code, for the per-client metrics; the request's own. */
  report?: GraphqlRequestReport;
  /**
   * Set only on the warm-up's own runs (warm-up.ts), never from a client request: no
   * subgraph is called, the document is planned whole, nothing is cached or counted.
   * The gateway sets `planned` once it has the operation's query plan. Subgraph fetches
   * are answered by `answer` (made-up data, warm-up-answers.ts), or empty without it.
   */
  warmUp?: {
    planned: boolean;
    answer?: (query: string, variables: Record<string, unknown> | undefined) => { data: Record<string, unknown> | null };
    /** The warm-up's stand-in client of a subgraph (warm-up-upstreams.ts), while the warm-up's requests run; without it, `answer` answers directly. */
    upstream?: (subgraph: string) => Upstream;
  };
}
