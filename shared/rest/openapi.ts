/**
 * OpenAPI 3.1 documents generated from the route tables, so the documentation cannot
 * drift from what is served: every route with its parameters, auth, rate limits and
 * (for aggregates) response schema. Pure.
 */
import { DEFAULT_PLAN_RULES, type RateLimitSettings } from '../policies/rate-limit/rate-limit-settings';
import type { AggregateRoute, PassthroughRoute, RouteTable } from './route-table';

export interface OpenApiOptions {
  title: string;
  /** Whether the facade accepts API keys (`x-api-key`). */
  apiKeys: boolean;
  /** Whether the facade accepts bearer tokens (JWT or introspected opaque tokens). Default false. */
  bearerTokens?: boolean;
  rateLimit?: RateLimitSettings;
}

type Json = Record<string, unknown>;

const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

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

function common(opts: OpenApiOptions, table: RouteTable, method: string, path: string, scopes: readonly string[] | undefined, isPublic: boolean | undefined): Json {
  return {
    ...(table.deprecation ? { deprecated: true } : {}),
    security: isPublic ? [] : securityRequirements(opts, scopes),
    ...(opts.rateLimit ? { 'x-rate-limits': rateLimitsFor(opts, method, path) } : {}),
  };
}

/** Any one accepted credential satisfies a route (OpenAPI: alternatives in the list). */
function securityRequirements(opts: OpenApiOptions, scopes: readonly string[] | undefined): Json[] {
  return [...(opts.apiKeys ? [{ apiKey: [...(scopes ?? [])] }] : []), ...(opts.bearerTokens ? [{ bearer: [...(scopes ?? [])] }] : [])];
}

function standardErrors(opts: OpenApiOptions): Json {
  return {
    '400': errorResponse('Invalid input (VALIDATION_FAILED names the field)'),
    ...(opts.apiKeys || opts.bearerTokens ? { '401': errorResponse(opts.bearerTokens ? 'Missing or invalid credentials (API key or bearer token)' : 'Missing or invalid API key') } : {}),
    '404': errorResponse('No such record or route (NOT_FOUND)'),
    ...(opts.rateLimit ? { '429': errorResponse('Rate limit exceeded (RATE_LIMITED, Retry-After)') } : {}),
    '502': errorResponse('An upstream service failed'),
    '503': errorResponse('An upstream circuit is open or the gateway is not ready'),
  };
}

function passthroughOperations(route: PassthroughRoute): Array<{ method: string; path: string; summary: string; params: Json[] }> {
  const methods = (route.methods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
  const item = `${route.prefix}/{id}`;
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
  const ops: Array<{ method: string; path: string; summary: string; params: Json[] }> = [];
  for (const method of methods) {
    if (method === 'GET') {
      ops.push({ method, path: route.prefix, summary: `List, passed through to ${route.upstream} ${route.rewritePrefix} (offset/limit paging)`, params: [] });
      ops.push({ method, path: item, summary: `One record, passed through to ${route.upstream} ${route.rewritePrefix}/{id}`, params: idParam });
    } else if (method === 'POST') {
      ops.push({ method, path: route.prefix, summary: `Create, passed through to ${route.upstream} ${route.rewritePrefix}`, params: [] });
    } else {
      ops.push({ method, path: item, summary: `${method}, passed through to ${route.upstream} ${route.rewritePrefix}/{id}`, params: idParam });
    }
  }
  return ops;
}

export function buildOpenApiDocument(table: RouteTable, opts: OpenApiOptions): Json {
  const paths: Record<string, Json> = {};
  const add = (path: string, method: string, operation: Json) => {
    const key = openApiPath(path);
    paths[key] = { ...(paths[key] ?? {}), [method.toLowerCase()]: operation };
  };
  for (const route of table.routes) {
    if (route.kind === 'aggregate') {
      add(route.path, route.method, {
        operationId: `${table.version}_${route.method.toLowerCase()}_${route.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        summary: route.description,
        parameters: parametersFrom(route.path, route.schema),
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: route.response ?? { type: 'object' } } } }, ...standardErrors(opts) },
        ...common(opts, table, route.method, route.path, route.auth?.scopes, route.auth?.public),
      });
    } else {
      for (const op of passthroughOperations(route)) {
        add(op.path, op.method, {
          operationId: `${table.version}_${op.method.toLowerCase()}_${op.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
          summary: op.summary,
          parameters: op.params,
          ...(op.method === 'POST' ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
          responses: { '200': { description: 'As the upstream answered', content: { 'application/json': { schema: { type: 'object' } } } }, ...(op.method === 'POST' ? { '201': { description: 'Created (Location header)' } } : {}), ...standardErrors(opts) },
          ...common(opts, table, op.method, route.prefix, route.auth?.scopes, route.auth?.public),
        });
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${opts.title} ${table.version}`,
      version: table.version,
      ...(table.deprecation ? { description: `Deprecated since ${table.deprecation.since}; sunset on ${table.deprecation.sunset}. Successor: ${table.deprecation.successor}.` } : {}),
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      ...(opts.apiKeys || opts.bearerTokens
        ? {
            securitySchemes: {
              ...(opts.apiKeys ? { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } : {}),
              ...(opts.bearerTokens ? { bearer: { type: 'http', scheme: 'bearer', description: 'A JWT, or an opaque token checked by OAuth2 token introspection' } } : {}),
            },
          }
        : {}),
    },
  };
}
