/**
 * OpenAPI 3.1 documents generated from the route tables, so the documentation cannot
 * drift from what is served: every route with its parameters, credentials and scopes, rate
 * limits and their headers, response schema and example, and every error code it can
 * answer with the shared error schema. Pure.
 */
import { STATUS_CODES } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors';
import { DEFAULT_PLAN_RULES, type RateLimitSettings } from '../policies/rate-limit/rate-limit-settings';
import { migrationNotesPath, type AggregateRoute, type OperationExample, type PassthroughRoute, type RouteTable } from './route-table';

export interface OpenApiOptions {
  title: string;
  /** Whether the facade accepts API keys (`x-api-key`). */
  apiKeys: boolean;
  /** Whether the facade accepts bearer tokens (JWT or introspected opaque tokens). Default false. */
  bearerTokens?: boolean;
  /** Which bearer tokens are checked, for the error codes each can answer. Default: both kinds, when `bearerTokens`. */
  bearerKinds?: { jwt: boolean; introspection: boolean };
  /** Whether the facade serves only some kinds of principal (AUTH_PRINCIPAL_KIND_NOT_ACCEPTED). Default false. */
  principalKinds?: boolean;
  /** Whether IP or user-agent access rules are configured (ACCESS_DENIED). Default false. */
  accessRules?: boolean;
  rateLimit?: RateLimitSettings;
}

type Json = Record<string, unknown>;

const ERROR_SCHEMA = {
  type: 'object',
  description: 'The body of every error Portico answers; `code` is stable (see the error catalogue).',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', description: 'The HTTP status, repeated.' },
    code: { type: 'string', description: 'Machine-readable error code.' },
    error: { type: 'string', description: 'The HTTP reason phrase.' },
    message: { type: 'string', description: 'What went wrong, for a person.' },
    requestId: { type: 'string', description: 'The `x-request-id` of the request, for support.' },
  },
};

/** Response headers, shared by reference. */
const HEADERS = {
  RequestId: { description: 'The request id (the client\'s well-formed `x-request-id`, or one Portico generated); quote it to support.', schema: { type: 'string' } },
  RateLimitLimit: { description: 'Requests allowed in the current window (IETF RateLimit header fields).', schema: { type: 'integer' } },
  RateLimitRemaining: { description: 'Requests left in the current window.', schema: { type: 'integer' } },
  RateLimitReset: { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
  Deprecation: { description: 'This version is deprecated since this time (RFC 9745, `@<epoch seconds>`).', schema: { type: 'string' } },
  Sunset: { description: 'This version may be removed after this date (RFC 8594).', schema: { type: 'string' } },
  Link: { description: 'The successor version (`rel="successor-version"`).', schema: { type: 'string' } },
} as const;

const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** What an operation does, for the error codes it can answer. */
interface OperationTraits {
  method: string;
  isPublic: boolean;
  scopes: readonly string[];
  /** Has a schema for its path or query, checked before the handler runs. */
  validated: boolean;
  /** Codes the upstream answers itself, by status (passthroughs). */
  upstreamErrors?: Readonly<Record<string, readonly string[]>>;
}

/** Pure: every catalogue code an operation can answer, given what the facade enforces. */
export function errorCodesFor(opts: OpenApiOptions, op: OperationTraits): ErrorCode[] {
  const codes: ErrorCode[] = ['BAD_REQUEST'];
  if (op.validated) codes.push('VALIDATION_FAILED');
  if (op.method === 'POST') codes.push('INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  const guarded = !op.isPublic && (opts.apiKeys || Boolean(opts.bearerTokens));
  if (guarded) {
    codes.push('AUTH_REQUIRED');
    if (opts.apiKeys) codes.push('AUTH_API_KEY_INVALID');
    const kinds = opts.bearerTokens ? (opts.bearerKinds ?? { jwt: true, introspection: true }) : { jwt: false, introspection: false };
    if (kinds.jwt || kinds.introspection) codes.push('AUTH_TOKEN_INVALID');
    if (kinds.jwt) codes.push('AUTH_TOKEN_EXPIRED', 'AUTH_TOKEN_NOT_YET_VALID', 'AUTH_TOKEN_WRONG_AUDIENCE', 'AUTH_TOKEN_WRONG_ISSUER', 'AUTH_ALGORITHM_NOT_ALLOWED');
    if (kinds.introspection) codes.push('AUTH_TOKEN_INACTIVE', 'AUTH_INTROSPECTION_UNAVAILABLE');
    if (opts.principalKinds) codes.push('AUTH_PRINCIPAL_KIND_NOT_ACCEPTED');
    codes.push('AUTH_KEYS_UNAVAILABLE');
    if (op.scopes.length > 0) codes.push('FORBIDDEN');
  }
  if (opts.accessRules) codes.push('ACCESS_DENIED');
  codes.push('NOT_FOUND', 'REQUEST_TIMEOUT', 'HEADERS_TOO_LARGE');
  if (opts.rateLimit) {
    codes.push('RATE_LIMITED');
    if (opts.rateLimit.store?.kind === 'redis' && opts.rateLimit.store.failMode === 'closed') codes.push('RATE_LIMITER_UNAVAILABLE');
  }
  codes.push('INTERNAL_ERROR', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_BAD_RESPONSE', 'NOT_READY', 'SHUTTING_DOWN', 'UPSTREAM_CIRCUIT_OPEN', 'UPSTREAM_TIMEOUT');
  return [...new Set(codes)];
}

function errorExample(statusCode: number, code: string, message: string): Json {
  return { summary: `${code}: ${message}`, value: { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message, requestId: '3f1c2a9e-5b7d-4e1a-9c0f-7d2b8e6a4c15' } };
}

/** Pure: one response per error status, each listing its codes with an example body. */
function errorResponses(opts: OpenApiOptions, op: OperationTraits): Record<string, Json> {
  const byStatus = new Map<number, Array<{ code: string; message: string }>>();
  const add = (status: number, code: string, message: string) => {
    const list = byStatus.get(status) ?? [];
    if (!list.some((e) => e.code === code)) list.push({ code, message });
    byStatus.set(status, list);
  };
  for (const code of errorCodesFor(opts, op)) add(ERROR_CATALOGUE[code].statusCode, code, ERROR_CATALOGUE[code].message);
  for (const [status, codes] of Object.entries(op.upstreamErrors ?? {})) for (const code of codes) add(Number(status), code, 'Answered by the upstream service and passed through unchanged.');
  const responses: Record<string, Json> = {};
  for (const [status, errors] of [...byStatus.entries()].sort((a, b) => a[0] - b[0])) {
    const headers: Json = { 'x-request-id': ref('RequestId') };
    if (status === 429 || status === 503) headers['retry-after'] = ref('RetryAfter');
    if (status === 429) Object.assign(headers, rateLimitHeaders());
    responses[String(status)] = {
      description: errors.map((e) => `\`${e.code}\``).join(', '),
      headers,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, examples: Object.fromEntries(errors.map((e) => [e.code, errorExample(status, e.code, e.message)])) } },
    };
  }
  return responses;
}

function rateLimitHeaders(): Json {
  return { 'ratelimit-limit': ref('RateLimitLimit'), 'ratelimit-remaining': ref('RateLimitRemaining'), 'ratelimit-reset': ref('RateLimitReset') };
}

/** Headers of a successful answer: the request id, the limits when on, the deprecation when the version has one. */
function successHeaders(opts: OpenApiOptions, table: RouteTable): Json {
  return {
    'x-request-id': ref('RequestId'),
    ...(opts.rateLimit ? rateLimitHeaders() : {}),
    ...(table.deprecation ? { deprecation: ref('Deprecation'), sunset: ref('Sunset'), link: ref('Link') } : {}),
  };
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersFrom(path: string, schema: AggregateRoute['schema']): Json[] {
  const out: Json[] = [];
  const params = schema?.params as { properties?: Record<string, Json> } | undefined;
  // Every path parameter is documented, typed by the route's schema when it has one.
  for (const [, name] of path.matchAll(/:([A-Za-z0-9_]+)/g)) out.push({ name, in: 'path', required: true, schema: params?.properties?.[name as string] ?? { type: 'string' } });
  const query = schema?.querystring as { properties?: Record<string, Json>; required?: string[] } | undefined;
  for (const [name, s] of Object.entries(query?.properties ?? {})) out.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema: s });
  return out;
}

function rateLimitsFor(opts: OpenApiOptions, method: string, path: string): Json {
  const override = opts.rateLimit?.routes?.[`${method} ${path}`];
  if (override) return { all: override };
  return Object.fromEntries(Object.entries({ ...DEFAULT_PLAN_RULES, ...opts.rateLimit?.plans }).map(([plan, rule]) => [plan, rule]));
}

/** Pure: the Markdown line under an operation's summary: credentials, scopes and limits. */
function accessNote(opts: OpenApiOptions, isPublic: boolean | undefined, scopes: readonly string[], limits: Json | undefined): string {
  const lines: string[] = [];
  if (isPublic || !(opts.apiKeys || opts.bearerTokens)) lines.push('**Credentials:** none.');
  else {
    const credentials = [opts.apiKeys ? 'an API key (`x-api-key`)' : '', opts.bearerTokens ? 'a bearer token' : ''].filter(Boolean).join(' or ');
    lines.push(`**Credentials:** ${credentials}. **Scopes required:** ${scopes.length ? scopes.map((s) => `\`${s}\``).join(', ') : 'none'}.`);
  }
  if (limits) lines.push(`**Rate limit:** ${Object.entries(limits as Record<string, { limit: number; windowMs: number }>).map(([plan, r]) => `${plan} ${r.limit} per ${r.windowMs / 1000} s`).join(', ')}; see the \`RateLimit-*\` headers.`);
  return lines.join('\n\n');
}

function common(opts: OpenApiOptions, table: RouteTable, method: string, path: string, scopes: readonly string[] | undefined, isPublic: boolean | undefined, summary: string): Json {
  const limits = opts.rateLimit ? rateLimitsFor(opts, method, path) : undefined;
  return {
    summary,
    description: accessNote(opts, isPublic, scopes ?? [], limits),
    ...(table.deprecation ? { deprecated: true } : {}),
    security: isPublic ? [] : securityRequirements(opts, scopes),
    ...(limits ? { 'x-rate-limits': limits } : {}),
    ...(scopes?.length ? { 'x-required-scopes': [...scopes] } : {}),
  };
}

/** Any one accepted credential satisfies a route (OpenAPI: alternatives in the list). */
function securityRequirements(opts: OpenApiOptions, scopes: readonly string[] | undefined): Json[] {
  return [...(opts.apiKeys ? [{ apiKey: [...(scopes ?? [])] }] : []), ...(opts.bearerTokens ? [{ bearer: [...(scopes ?? [])] }] : [])];
}

/** A JSON body with its schema and, when the route table has one, the real example. */
function jsonContent(schema: object, example: OperationExample | undefined): Json {
  return { 'application/json': { schema, ...(example ? { example: example.body } : {}) } };
}

const PAGING_QUERY: Json[] = [
  { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 } },
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 100, default: 20 } },
];

interface PassthroughOperation {
  method: string;
  path: string;
  summary: string;
  params: Json[];
  /** Schema of the success body. */
  schema: object;
  status: '200' | '201';
}

function passthroughOperations(route: PassthroughRoute): PassthroughOperation[] {
  const methods = (route.methods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
  const item = `${route.prefix}/{id}`;
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  const record = route.docs?.record ?? { type: 'object' };
  const listQuery = Object.entries(route.docs?.listQuery ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  const ops: PassthroughOperation[] = [];
  for (const method of methods) {
    if (method === 'GET') {
      ops.push({ method, path: route.prefix, summary: `List, passed through to ${route.upstream} ${route.rewritePrefix} (offset/limit paging)`, params: [...PAGING_QUERY, ...listQuery], schema: route.docs?.list ?? { type: 'object' }, status: '200' });
      ops.push({ method, path: item, summary: `One record, passed through to ${route.upstream} ${route.rewritePrefix}/{id}`, params: idParam, schema: record, status: '200' });
    } else if (method === 'POST') {
      ops.push({ method, path: route.prefix, summary: `Create, passed through to ${route.upstream} ${route.rewritePrefix}`, params: [], schema: record, status: '201' });
    } else {
      ops.push({ method, path: item, summary: `${method}, passed through to ${route.upstream} ${route.rewritePrefix}/{id}`, params: idParam, schema: record, status: '200' });
    }
  }
  return ops;
}

const operationId = (version: string, method: string, path: string) => `${version}_${method.toLowerCase()}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;

/** Pure: `"<METHOD> <OpenAPI path>"` of every operation the document lists, the keys of `RouteTable.examples`. */
export function operationKeys(document: Json): string[] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
}

/** Pure: the version's description, with its deprecation and a link to its migration notes. */
function versionDescription(table: RouteTable): string | undefined {
  const d = table.deprecation;
  if (!d) return undefined;
  const notes = d.migrationNotes ? ` Read the [migration notes](${migrationNotesPath(table.version)}): what changed and how to move.` : '';
  return `**Deprecated** since ${d.since}. **Sunset: ${d.sunset}**: after that date ${table.version} may be removed. Successor: [${d.successor}](${d.successor}).${notes}`;
}

export function buildOpenApiDocument(table: RouteTable, opts: OpenApiOptions): Json {
  const paths: Record<string, Json> = {};
  const add = (path: string, method: string, operation: Json) => {
    const key = openApiPath(path);
    paths[key] = { ...(paths[key] ?? {}), [method.toLowerCase()]: operation };
  };
  const exampleOf = (method: string, path: string) => table.examples?.[`${method} ${openApiPath(path)}`];
  for (const route of table.routes) {
    if (route.kind === 'aggregate') {
      const scopes = route.auth?.scopes ?? [];
      add(route.path, route.method, {
        operationId: operationId(table.version, route.method, route.path),
        ...common(opts, table, route.method, route.path, scopes, route.auth?.public, route.description),
        parameters: parametersFrom(route.path, route.schema),
        responses: {
          '200': { description: 'OK', headers: successHeaders(opts, table), content: jsonContent(route.response ?? { type: 'object' }, exampleOf(route.method, route.path)) },
          ...errorResponses(opts, { method: route.method, isPublic: Boolean(route.auth?.public), scopes, validated: Boolean(route.schema?.params || route.schema?.querystring) }),
        },
      });
    } else {
      const scopes = route.auth?.scopes ?? [];
      for (const op of passthroughOperations(route)) {
        const example = exampleOf(op.method, op.path);
        add(op.path, op.method, {
          operationId: operationId(table.version, op.method, op.path),
          ...common(opts, table, op.method, route.prefix, scopes, route.auth?.public, op.summary),
          parameters: op.params,
          ...(op.method === 'POST'
            ? { requestBody: { required: true, content: { 'application/json': { schema: route.docs?.createBody ?? { type: 'object' }, ...(example?.requestBody !== undefined ? { example: example.requestBody } : {}) } } } }
            : {}),
          responses: {
            [op.status]: { description: op.status === '201' ? 'Created (Location header)' : 'As the upstream answered', headers: successHeaders(opts, table), content: jsonContent(op.schema, example) },
            ...errorResponses(opts, { method: op.method, isPublic: Boolean(route.auth?.public), scopes, validated: false, ...(route.docs?.upstreamErrors ? { upstreamErrors: route.docs.upstreamErrors } : {}) }),
          },
        });
      }
    }
  }
  const description = versionDescription(table);
  return {
    openapi: '3.1.0',
    info: { title: `${opts.title} ${table.version}${table.deprecation ? ' (deprecated)' : ''}`, version: table.version, ...(description ? { description } : {}) },
    ...(table.deprecation?.migrationNotes ? { externalDocs: { description: `Migration notes: ${table.version} to ${table.deprecation.successor}`, url: migrationNotesPath(table.version) } } : {}),
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      headers: HEADERS,
      ...(opts.apiKeys || opts.bearerTokens
        ? {
            securitySchemes: {
              ...(opts.apiKeys ? { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Your API key. The scopes a route lists must be granted to it.' } } : {}),
              ...(opts.bearerTokens ? { bearer: { type: 'http', scheme: 'bearer', description: 'A JWT, or an opaque token checked by OAuth2 token introspection' } } : {}),
            },
          }
        : {}),
    },
  };
}
