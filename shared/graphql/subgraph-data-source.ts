/**
 * The data source Apollo Gateway uses for every subgraph call: the subgraph's
 * {@link Upstream} (keep-alive pool or weighted targets, retries, breaker, observation,
 * error mapping) instead of the gateway's default fetcher, the request id and pipeline
 * headers forwarded, and failures turned into GraphQL errors with catalogue codes (the
 * client sees which subgraph failed, never its URL or raw response). A failed call for a
 * client operation answers one error per field it would have filled, with its path (see
 * `failed-fetch-errors.ts`), so the client knows exactly which fields are null (up to a cap
 * per fetch, past which one error counts the rest).
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ERROR_CATALOGUE, PorticoError, type ErrorCode } from '../errors';
import { subgraphCallKey } from '../upstream/in-flight-dedup';
import { isGraphqlQuery } from '../upstream/retry';
import type { RoutingInput } from '../upstream/target-set';

/** Calls made for no client request (health checks, schema loads) route as an anonymous caller. */
const NO_CALLER: RoutingInput = {};
import type { Upstream } from '../upstream/upstream';
import { REQUEST_ID_HEADER } from '../observability/request-id';
import { DEFAULT_MAX_FIELD_ERRORS_PER_FETCH, failedFetchErrors, fetchShape, type FetchShape } from './failed-fetch-errors';
import type { GatewayContext } from './gateway-context';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

export interface SubgraphDataSourceOptions {
  /** Subgraph name as in the supergraph (used in error messages and logs). */
  name: string;
  /** Full GraphQL endpoint URL of the subgraph; its path and query are what calls are sent to. */
  url: string;
  /** The subgraph's upstream client. */
  upstream: Upstream;
  /** Share one subgraph call among identical concurrent queries (same document, variables and identity). Default true. */
  dedupe?: boolean;
  /** Most errors with a path one failed fetch answers; past it one error counts the rest. Default {@link DEFAULT_MAX_FIELD_ERRORS_PER_FETCH}. */
  maxFieldErrorsPerFetch?: number;
}

/** Distinct subgraph operations whose field lists are kept (they are few: one per fetch of each query plan). */
const FETCH_SHAPES_CACHED = 500;

function subgraphError(code: ErrorCode, message: string, subgraph: string, cause?: unknown): GraphQLError {
  return new GraphQLError(message, {
    originalError: cause instanceof Error ? cause : undefined,
    extensions: { code, statusCode: ERROR_CATALOGUE[code].statusCode, subgraph },
  });
}

export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly name: string;
  private readonly path: string;
  private readonly upstream: Upstream;
  private readonly dedupe: boolean;
  private readonly maxFieldErrorsPerFetch: number;
  /** Filled only when a call fails: the fields of each subgraph operation, parsed once. */
  private readonly shapes = new LRUCache<string, FetchShape>({ max: FETCH_SHAPES_CACHED });

  constructor({ name, url, upstream, dedupe = true, maxFieldErrorsPerFetch = DEFAULT_MAX_FIELD_ERRORS_PER_FETCH }: SubgraphDataSourceOptions) {
    this.name = name;
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    this.upstream = upstream;
    this.dedupe = dedupe;
    this.maxFieldErrorsPerFetch = maxFieldErrorsPerFetch;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    // Only client operations carry a request context; health checks and schema loads do not.
    const incoming = 'incomingRequestContext' in options ? options : undefined;
    // Warm-up runs never call a subgraph: their fetches go to a stand-in while the warm-up's requests run, else are answered here.
    const warmUp = incoming?.context?.warmUp;
    let upstream = this.upstream;
    if (warmUp) {
      const standIn = warmUp.upstream?.(this.name);
      if (!standIn) return warmUp.answer ? warmUp.answer(request.query ?? '', request.variables) : { data: null };
      upstream = standIn;
    }
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
    // Only queries are safe to send twice, or to share.
    const isQuery = isGraphqlQuery(request.query);
    const parent = incoming?.context?.trace;
    try {
      ({ statusCode, headers: responseHeaders, body: text } = await upstream.call({
        method: 'POST',
        path: this.path,
        headers,
        body,
        idempotent: isQuery,
        routing: upstream.targets ? (incoming?.context?.routing ?? NO_CALLER) : undefined,
        deadlineAt: incoming?.context?.deadlineAt,
        // Identical concurrent queries for the same identity share one call; each caller parses its own copy.
        dedupeKey: this.dedupe && isQuery ? subgraphCallKey(body, identity) : undefined,
        trace: parent ? { parent, name: `fetch ${this.name}`, attributes: fetchAttributes(this.name, isQuery, request.operationName, request.variables) } : undefined,
      }));
    } catch (err) {
      const mapped = err instanceof PorticoError ? err : new PorticoError('INTERNAL_ERROR', undefined, { cause: err });
      return this.failed(options, mapped.code, mapped.message, mapped.cause ?? err);
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return this.failed(options, 'UPSTREAM_BAD_RESPONSE', `Upstream '${this.name}' returned a response that is not JSON (status ${statusCode}).`, err);
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      return this.failed(options, 'UPSTREAM_BAD_RESPONSE', `Upstream '${this.name}' returned an invalid GraphQL response (status ${statusCode}).`);
    }
    if (incoming) {
      restrictCachePolicy(incoming.incomingRequestContext.overallCachePolicy, responseHeaders['cache-control']);
    }
    return parsed as GatewayGraphQLResponse;
  }

  /**
   * A call that failed as a whole. For a client operation: one error per field of the
   * response it leaves null (the gateway completes each path); otherwise (health checks,
   * schema loads) there is no response to place errors in, so it throws.
   */
  private failed(options: GraphQLDataSourceProcessOptions<GatewayContext>, code: ErrorCode, message: string, cause?: unknown): GatewayGraphQLResponse {
    if (!('incomingRequestContext' in options)) throw subgraphError(code, message, this.name, cause);
    const error = { message, extensions: { code, statusCode: ERROR_CATALOGUE[code].statusCode, subgraph: this.name } };
    const query = options.request.query ?? '';
    let shape = this.shapes.get(query);
    if (!shape) {
      try {
        shape = fetchShape(query);
      } catch {
        return { errors: [error] };
      }
      this.shapes.set(query, shape);
    }
    return { errors: failedFetchErrors(shape, options.request.variables, error, this.maxFieldErrorsPerFetch) };
  }
}

/** Pure: what a subgraph fetch's span says of it: the subgraph, the operation, how many entities it resolves (never the variables' values). */
export function fetchAttributes(subgraph: string, isQuery: boolean, operationName: string | undefined, variables: Record<string, unknown> | undefined): Record<string, string | number> {
  const representations = variables?.representations;
  return {
    'portico.subgraph.name': subgraph,
    'graphql.operation.type': isQuery ? 'query' : 'mutation',
    ...(operationName ? { 'graphql.operation.name': operationName } : {}),
    ...(Array.isArray(representations) ? { 'portico.subgraph.entity_count': representations.length } : {}),
  };
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
