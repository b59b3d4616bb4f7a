/**
 * Direct execution: a request for an operation that Apollo Server has already run on
 * Portico's executor is answered without Apollo Server's request pipeline, which costs more
 * per request than the policies and the executor together on small operations (context
 * negotiation, hashing the query text, a dozen awaited hook rounds, building the response).
 *
 * Apollo Server stays the protocol authority. It admits an operation when it is about to
 * execute it: parsing, validation (with the contract's rules), the limits on the whole
 * document and every plugin's `didResolveOperation` passed, and no plugin answered in its
 * place. Only then is the document kept, under its exact source text and operation name.
 *
 * A later request takes the direct path only when it is a plain POST of JSON with that same
 * text and name, no persisted-query extension, and an `Accept` header Apollo Server would
 * answer with JSON. Per request, the direct path repeats every check Apollo Server runs on
 * a document from its cache, in the same order: authorization for this principal, the
 * limits with these variables, the variables against their definitions. All three are pure,
 * so any failure hands the request to Apollo Server, which answers it as always. Only then
 * are the extra rate-limit units charged (a refusal is handed over without charging twice),
 * the plan runs, and the answer is written the way Apollo Server writes it: the same
 * status, headers and body bytes (test/integration/direct-execution-differential.test.ts).
 *
 * Not taken: GET, batches, persisted queries, operations whose plan Apollo Gateway's executor
 * runs, answers from the response cache, and anything refused: those stay with Apollo Server.
 */
import type { ApolloServerPlugin, GraphQLRequestContextExecutionDidStart, GraphQLRequestListener } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import type { AuthorizationCheck } from './authorization/authorization-check';
import type { GatewayContext } from './gateway-context';
import { fragmentsOf, type OperationLimits } from './operation-limits';
import { operationCharge } from './operation-limits-plugin';
import type { PlanExecutor } from './executor/plan-executor';
import { operationAttributes } from './graphql-tracing-plugin';

/** Most operations kept for direct execution. */
export const MAX_ADMITTED_OPERATIONS = 2_000;
/**
 * Most source text of the operations kept, in characters. Each entry keeps its parsed
 * document alive even once Apollo Server's own document cache let it go, so the bound is on
 * size too: clients sending many large distinct documents cannot grow memory without limit.
 */
export const MAX_ADMITTED_SOURCE_CHARS = 1 << 20;

/** What the direct path needs of a request body. */
export interface DirectRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

/** A GraphQL name: an operation name that could select an operation. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * Pure: the operation a POST body asks for, when it is one Apollo Server would read as it
 * is (query text, a valid operation name or none, variables as an object or none, no
 * persisted-query extension); undefined for anything else, which Apollo Server answers.
 */
export function directRequestOf(body: unknown): DirectRequest | undefined {
  if (!isRecord(body)) return undefined;
  const { query, operationName, variables, extensions } = body;
  if (typeof query !== 'string' || query.length === 0) return undefined;
  if (operationName !== undefined && operationName !== null && (typeof operationName !== 'string' || !NAME.test(operationName))) return undefined;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  if (extensions !== undefined && extensions !== null && (!isRecord(extensions) || 'persistedQuery' in extensions)) return undefined;
  return { query, operationName: operationName ?? undefined, variables: variables ?? undefined };
}

/** Whether a request's `Content-Type` is JSON (what Apollo Server's CSRF prevention lets through without a preflight header). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/** The media types Apollo Server answers a single result with, in its order of preference. */
const JSON_MEDIA_TYPES = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8', 'application/json; callbackSpec=1.0; charset=utf-8'];

/** Distinct `Accept` headers remembered; clients send a handful, and one sending many is simply not remembered. */
const MAX_REMEMBERED_ACCEPT_HEADERS = 64;

/** The response content type Apollo Server chooses for an `Accept` header, null when it would refuse (406); remembered per header. */
export function createContentTypeChooser(): (accept: string | undefined) => string | null {
  const chosen = new Map<string, string | null>();
  return (accept) => {
    if (!accept) return JSON_MEDIA_TYPES[0]!;
    const known = chosen.get(accept);
    if (known !== undefined) return known;
    const preferred = new Negotiator({ headers: { accept } }).mediaType(JSON_MEDIA_TYPES) ?? null;
    if (chosen.size < MAX_REMEMBERED_ACCEPT_HEADERS) chosen.set(accept, preferred);
    return preferred;
  };
}

/** Apollo Server's cache policy of one response, restricted by each subgraph's `Cache-Control` (subgraph-data-source.ts). */
export class ResponseCachePolicy {
  maxAge: number | undefined = undefined;
  scope: 'PUBLIC' | 'PRIVATE' | undefined = undefined;

  restrict(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }): void {
    if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge)) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined && this.scope !== 'PRIVATE') this.scope = hint.scope;
  }

  replace(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }): void {
    if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
    if (hint.scope !== undefined) this.scope = hint.scope;
  }

  policyIfCacheable(): { maxAge: number; scope: 'PUBLIC' | 'PRIVATE' } | null {
    if (this.maxAge === undefined || this.maxAge === 0) return null;
    return { maxAge: this.maxAge, scope: this.scope ?? 'PUBLIC' };
  }

  /** The `Cache-Control` header Apollo Server's cache-control plugin writes for this policy. */
  header(hasErrors: boolean): string {
    const cacheable = this.policyIfCacheable();
    return cacheable && !hasErrors ? `max-age=${cacheable.maxAge}, ${cacheable.scope.toLowerCase()}` : 'no-store';
  }
}

/** An executor's answer, as Apollo Server receives it. */
export interface ExecutionAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly unknown[];
  extensions?: Record<string, unknown>;
}

/** An HTTP answer, ready to write. */
export interface DirectResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string;
  /** The code of the first error, when there are errors (for the per-client metrics). */
  errorCode?: string;
}

function isPartialHttpHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (!('status' in value) || typeof (value as { status: unknown }).status === 'number') &&
    (!('headers' in value) || (value as { headers: unknown }).headers instanceof Map)
  );
}

/**
 * Pure: the HTTP answer Apollo Server writes for an executor's answer: errors normalised
 * (a code on each, `extensions.http` turned into the status and headers) and passed through
 * `formatError`, the request id added to each, 400 when errors came without data, the
 * cache-control header, fields in Apollo's order, and its trailing newline.
 */
export function directResponseOf(
  answer: ExecutionAnswer,
  options: {
    contentType: string;
    requestId: string;
    cachePolicy: ResponseCachePolicy;
    formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
    /** The status of errors without data and without a status of their own: 400 for an executor's answer, 500 for an execution that threw. */
    statusWithoutData?: number;
  },
): DirectResponse {
  let status: number | undefined;
  const errorHeaders: Array<[string, string]> = [];
  let errors: GraphQLFormattedError[] | undefined;
  if (answer.errors) {
    errors = answer.errors.map((error) => {
      let formatted: GraphQLFormattedError;
      try {
        const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : `Unexpected error value: ${String(error)}`, error instanceof Error ? { originalError: error } : {});
        const extensions: Record<string, unknown> = { ...graphqlError.extensions, code: graphqlError.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
        if (isPartialHttpHead(extensions.http)) {
          if (extensions.http.status) status = extensions.http.status;
          for (const header of extensions.http.headers ?? []) errorHeaders.push(header);
          delete extensions.http;
        }
        formatted = options.formatError({ ...graphqlError.toJSON(), extensions }, error);
      } catch {
        formatted = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
      // What the request-id plugin adds (supergraph-server.ts).
      (formatted.extensions as Record<string, unknown>).requestId = options.requestId;
      return formatted;
    });
  }
  if (status === undefined && errors && errors.length > 0 && answer.data === undefined) status = options.statusWithoutData ?? 400;
  const headers: Array<[string, string]> = [];
  for (const [name, value] of errorHeaders) headers.push([name.toLowerCase(), value]);
  setHeader(headers, 'content-type', options.contentType);
  setHeader(headers, 'cache-control', options.cachePolicy.header(errors !== undefined));
  const body = `${JSON.stringify({ errors, data: answer.data, extensions: answer.extensions })}\n`;
  if (!errors || errors.length === 0) return { status: status ?? 200, headers, body };
  const code = errors[0]?.extensions?.code;
  return { status: status ?? 200, headers, body, errorCode: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' };
}

function setHeader(headers: Array<[string, string]>, name: string, value: string): void {
  const existing = headers.findIndex(([n]) => n === name);
  if (existing === -1) headers.push([name, value]);
  else headers[existing] = [name, value];
}

/** An operation Apollo Server admitted. */
interface AdmittedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's name, `''` when it has none (as Apollo Server reports it to plugins). */
  name: string;
  fragments: ReturnType<typeof fragmentsOf>;
  queryHash: string;
  schema: GraphQLSchema;
}

/** A route handler, or what answers the requests the direct path does not take. */
export type GraphqlRouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface DirectExecutionOptions {
  executor: PlanExecutor;
  authorization: AuthorizationCheck;
  limits: OperationLimits;
  costPerRateLimitUnit?: number;
  /** Apollo Server's `formatError`. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The gateway context of a request, as Apollo Server's handler builds it. */
  contextOf: (request: FastifyRequest, reply: FastifyReply) => Promise<GatewayContext>;
  /** Counts each request by the path that answered it. */
  onRequest?: (path: 'direct' | 'apollo-server') => void;
}

export interface DirectExecution {
  /** Must be among the Apollo Server's plugins: it admits operations. */
  plugin: ApolloServerPlugin<GatewayContext>;
  /** The context function of Apollo Server's handler: a request handed over keeps the context the direct path built. */
  contextOf(request: FastifyRequest, reply: FastifyReply): Promise<GatewayContext>;
  /** The route handler: the direct path where it applies, `apolloServer` otherwise. */
  handler(apolloServer: GraphqlRouteHandler): GraphqlRouteHandler;
}

function keyOf(query: string, operationName: string | undefined): string {
  // Operation names are GraphQL names (never empty), so '' means "none" unambiguously.
  return `${operationName ?? ''}\u0000${query}`;
}

export function createDirectExecution(opts: DirectExecutionOptions): DirectExecution {
  const admitted = new LRUCache<string, AdmittedOperation>({ max: MAX_ADMITTED_OPERATIONS, maxSize: MAX_ADMITTED_SOURCE_CHARS, sizeCalculation: (_entry, key) => key.length });
  const contentTypeOf = createContentTypeChooser();

  // The context of each request handed over to Apollo Server, built once.
  const handedOver = new WeakMap<FastifyRequest, GatewayContext>();

  const admission: GraphQLRequestListener<GatewayContext> = {
    // Reached only when every check passed and no plugin answered in the operation's place.
    async executionDidStart({ request, operation, document, source, queryHash, schema, contextValue }: GraphQLRequestContextExecutionDidStart<GatewayContext>) {
      // A document rewritten by authorization is the principal's own reduced form. Warm-up
      // runs skip authorization, which the direct path checks again for every client; the
      // warm-up's requests through HTTP (warm-up-traffic.ts) admit their documents.
      if (!operation || request.http?.method !== 'POST' || request.query === undefined || source !== request.query) return;
      if (request.operationName != null && !NAME.test(request.operationName)) return;
      const key = keyOf(request.query, request.operationName ?? undefined);
      if (!admitted.has(key)) admitted.set(key, { document, operation, name: operation.name?.value ?? '', fragments: fragmentsOf(document), queryHash, schema });
    },
  };
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return admission;
    },
  };

  const handler = (apolloServer: GraphqlRouteHandler): GraphqlRouteHandler => async (request, reply) => {
    if (request.method !== 'POST' || !isJsonContentType(request.headers['content-type'])) return viaApolloServer(apolloServer, request, reply);
    const direct = directRequestOf(request.body);
    const entry = direct && admitted.get(keyOf(direct.query, direct.operationName));
    const contentType = entry ? contentTypeOf(request.headers.accept) : null;
    if (!direct || !entry || contentType === null) return viaApolloServer(apolloServer, request, reply);
    const variables = direct.variables ?? {};
    const context = await opts.contextOf(request, reply);
    const handOver = () => {
      handedOver.set(request, context);
      return viaApolloServer(apolloServer, request, reply);
    };
    const denied = opts.authorization(entry.document, direct.operationName, variables, context.principal);
    // The BFF's own warm-up requests (never a client's: warm-up-request.ts) evaluate the rules, as a
    // client's request does, and run whole documents whatever the outcome, as every warm-up does.
    if (denied && !context.warmUp) return handOver();
    const charge = operationCharge(entry.schema, entry.operation, entry.fragments, variables, opts.limits, opts.costPerRateLimitUnit);
    if ('refused' in charge) return handOver();
    const run = opts.executor.prepare(entry.queryHash, direct.operationName, entry.operation, entry.schema, variables);
    if (!run) return handOver();
    if (charge.extraUnits > 0 && context.chargeRateLimit) {
      try {
        await context.chargeRateLimit(charge.extraUnits);
      } catch (refusal) {
        // Apollo Server answers the refusal as it answers its own: its limits plugin charges
        // again and meets the same refusal, without taking any unit twice.
        context.chargeRateLimit = () => Promise.reject(refusal);
        return handOver();
      }
    }
    if (!request.warmUp) opts.onRequest?.('direct');
    const cachePolicy = new ResponseCachePolicy();
    const responseOptions = { contentType, requestId: context.requestId, cachePolicy, formatError: opts.formatError };
    // Past every hand-over: the execution's span parents the plan's subgraph fetches.
    const span = context.trace?.child('graphql.execute', operationAttributes(entry.operation.operation, direct.operationName ?? entry.operation.name?.value, 'direct'));
    if (span) context.trace = span;
    let response: DirectResponse;
    try {
      response = directResponseOf(await run({ variables, context, incomingRequestContext: { overallCachePolicy: cachePolicy } }), responseOptions);
      span?.end();
    } catch (err) {
      span?.end(err);
      // As Apollo Server answers an execution that threw: the error, and 500.
      response = directResponseOf({ errors: [err] }, { ...responseOptions, statusWithoutData: 500 });
    }
    // What Apollo Server's pipeline notes through its reporting plugin (supergraph-server.ts).
    if (context.report) {
      context.report.operation = entry.name;
      context.report.errorCode = response.errorCode;
    }
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status);
    return response.body;
  };

  function viaApolloServer(apolloServer: GraphqlRouteHandler, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!request.warmUp) opts.onRequest?.('apollo-server');
    return apolloServer(request, reply);
  }

  return {
    plugin,
    contextOf: (request, reply) => {
      const context = handedOver.get(request);
      return context ? Promise.resolve(context) : opts.contextOf(request, reply);
    },
    handler,
  };
}
