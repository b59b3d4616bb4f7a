/**
 * The data source Apollo Gateway uses for every subgraph call: a keep-alive undici pool
 * per subgraph instead of the gateway's default fetcher, the request id and pipeline
 * headers forwarded, and transport failures turned into GraphQL errors with catalogue
 * codes (the client sees which subgraph failed, never its URL or raw response).
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { Pool } from 'undici';
import { ERROR_CATALOGUE, PorticoError, type ErrorCode } from '../errors';
import type { UpstreamBreaker } from '../upstream/breaker';
import { createInFlightDeduplicator, subgraphCallKey, type InFlightDeduplicator } from '../upstream/in-flight-dedup';
import { createRetryBudget, isGraphqlQuery, withRetries } from '../upstream/retry';
import type { UpstreamObserver } from '../upstream/upstream-observer';
import { routingInputFromIdentity } from '../upstream/target-set';
import type { UpstreamTargets } from '../upstream/upstream-targets';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import { upstreamError } from '../upstream/upstream-errors';
import type { GatewayContext } from './gateway-context';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

export interface SubgraphDataSourceOptions {
  /** Subgraph name as in the supergraph (used in error messages and logs). */
  name: string;
  /** Full GraphQL endpoint URL of the subgraph. */
  url: string;
  /** The pooled client for the subgraph's origin (a subgraph with several targets has `targets` instead). */
  pool?: Pool;
  /** The subgraph's weighted targets, when it has several: each call goes to the endpoint they choose. */
  targets?: UpstreamTargets;
  /** The subgraph's circuit breaker. */
  breaker: UpstreamBreaker;
  /** Records latency and outcome of every call. */
  observe?: UpstreamObserver;
  /** Share one subgraph call among identical concurrent queries (same document, variables and identity). Default true. */
  dedupe?: boolean;
}

interface RawSubgraphResponse {
  statusCode: number;
  responseHeaders: Record<string, string | string[] | undefined>;
  text: string;
}

function subgraphError(code: ErrorCode, message: string, subgraph: string, cause?: unknown): GraphQLError {
  return new GraphQLError(message, {
    originalError: cause instanceof Error ? cause : undefined,
    extensions: { code, statusCode: ERROR_CATALOGUE[code].statusCode, subgraph },
  });
}

export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly name: string;
  private readonly path: string;
  private readonly pool: Pool | undefined;
  private readonly targets: UpstreamTargets | undefined;
  private readonly breaker: UpstreamBreaker;
  private readonly observe: UpstreamObserver | undefined;
  private readonly retryBudget = createRetryBudget();
  private readonly inFlight: InFlightDeduplicator<RawSubgraphResponse> | undefined;

  constructor({ name, url, pool, targets, breaker, observe, dedupe = true }: SubgraphDataSourceOptions) {
    if (!pool && !targets) throw new Error(`subgraph '${name}' needs a pool or targets`);
    this.inFlight = dedupe ? createInFlightDeduplicator() : undefined;
    this.breaker = breaker;
    this.observe = observe;
    this.name = name;
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    this.pool = pool;
    this.targets = targets;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    // Only client operations carry a request context; health checks and schema loads do not.
    const incoming = 'incomingRequestContext' in options ? options : undefined;
    const identity = incoming?.context?.forwardHeaders ?? {};
    if (incoming) {
      const ctx = incoming.context;
      Object.assign(headers, identity);
      if (ctx?.requestId) headers[REQUEST_ID_HEADER] = ctx.requestId;
    }
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
      extensions: request.extensions,
    });

    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    const startedAt = performance.now();
    const isQuery = isGraphqlQuery(request.query);
    const send = () =>
      this.breaker.run(
        () =>
          withRetries(
            async (): Promise<RawSubgraphResponse> => {
              if (this.targets) return this.targets.call(routingInputFromIdentity(identity, incoming?.context?.targetOverride), (pool) => this.post(pool, headers, body));
              const res = await (this.pool as Pool).request({ path: this.path, method: 'POST', headers, body });
              return { statusCode: res.statusCode, responseHeaders: res.headers, text: await res.body.text() };
            },
            // Only queries are safe to send twice.
            { idempotent: isQuery, budget: this.retryBudget },
          ),
        (r) => r.statusCode >= 500,
      );
    try {
      // Identical concurrent queries for the same identity share one call; each caller parses its own copy.
      ({ statusCode, responseHeaders, text } = this.inFlight && isQuery ? await this.inFlight.run(subgraphCallKey(body, identity), send) : await send());
      this.observe?.(this.name, startedAt, { status: statusCode });
    } catch (err) {
      this.observe?.(this.name, startedAt, { error: err });
      const mapped = err instanceof PorticoError ? err : upstreamError(this.name, err);
      throw subgraphError(mapped.code, mapped.message, this.name, err);
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw subgraphError('UPSTREAM_BAD_RESPONSE', `Upstream '${this.name}' returned a response that is not JSON (status ${statusCode}).`, this.name, err);
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      throw subgraphError('UPSTREAM_BAD_RESPONSE', `Upstream '${this.name}' returned an invalid GraphQL response (status ${statusCode}).`, this.name);
    }
    if (incoming) {
      restrictCachePolicy(incoming.incomingRequestContext.overallCachePolicy, responseHeaders['cache-control']);
    }
    return parsed as GatewayGraphQLResponse;
  }

  private async post(pool: Pool, headers: Record<string, string>, body: string): Promise<RawSubgraphResponse> {
    const res = await pool.request({ path: this.path, method: 'POST', headers, body });
    return { statusCode: res.statusCode, responseHeaders: res.headers, text: await res.body.text() };
  }
}

/** A subgraph's `Cache-Control` narrows the cache policy of the whole response. */
function restrictCachePolicy(policy: unknown, header: string | string[] | undefined): void {
  if (!policy || typeof policy !== 'object' || !('restrict' in policy)) return;
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: 0 };
  const maxAge = /(?:^|,)\s*max-age=(\d+)/i.exec(value);
  if (maxAge?.[1]) hint.maxAge = Number(maxAge[1]);
  if (/(?:^|,)\s*private\b/i.test(value)) hint.scope = 'PRIVATE';
  else if (/(?:^|,)\s*public\b/i.test(value)) hint.scope = 'PUBLIC';
  (policy as { restrict(h: typeof hint): void }).restrict(hint);
}
