/**
 * The partner BFF's versioned REST facade: registers every route of every route table.
 * Passthrough routes (passthrough-route.ts) stream through @fastify/http-proxy under
 * Portico's header, body and breaker rules; aggregate routes call upstreams through
 * their clients. Both, and the GraphQL operations behind aggregates, use the one upstream
 * registry of the app.
 */
import type { FastifyInstance } from 'fastify';
import { PorticoError } from '../errors';
import type { Upstream } from '../upstream/upstream';
import { createUpstreamRegistry, upstreamRegistryHost, type UpstreamRegistry } from '../upstream/upstream-registry';
import { buildOpenApiDocument, type OpenApiOptions } from './openapi';
import type { OperationExecutor, OperationExecutorOptions } from '../graphql/operation-executor';
import { docsPortalPlugin } from './docs-portal';
import { apiIndex, versionIndexEntry } from './api-index';
import { validateRouteTables, type VersionDeprecation, type AggregateRoute, type RestFacadeOptions, type RestUpstream } from './route-table';
import { createUpstreamCaller } from './upstream-caller';
import { routingInputOf } from '../request-context';
import { settleTargetLeases } from './passthrough-targets';
import { observePassthroughCalls } from './passthrough-outcome';
import { registerPassthrough } from './passthrough-route';

export const DEFAULT_HEALTH_PATH = '/healthz';

export interface RestFacadePluginOptions extends RestFacadeOptions {
  /** Largest proxied request body, in bytes: a declared length over it is refused before reading, a chunked body once it crosses it. */
  bodyLimitBytes: number;
  /** Documentation: the API's title, whether API keys are required, the rate limits. */
  docs?: Omit<OpenApiOptions, 'title'> & { title?: string };
}

function registerAggregate(app: FastifyInstance, route: AggregateRoute, upstreams: ReadonlyMap<string, Upstream>, routed: boolean, executor: OperationExecutor | undefined): void {
  app.route({
    method: route.method,
    url: route.path,
    config: { auth: route.auth },
    ...(route.schema || route.response ? { schema: { ...route.schema, ...(route.response ? { response: { 200: route.response } } : {}) } } : {}),
    handler: async (request) =>
      route.handler({
        params: request.params as Record<string, string>,
        query: request.query as Record<string, string | string[] | undefined>,
        upstreams: createUpstreamCaller(upstreams, request.id, request.upstreamHeaders, routed ? routingInputOf(request) : undefined, request.trace),
        graphql: async <T>(name: string, variables: Record<string, unknown>) => {
          if (!executor) throw new PorticoError('INTERNAL_ERROR', undefined, { cause: new Error('this facade has no GraphQL operations') });
          return executor.execute<T>(name, variables, { requestId: request.id, forwardHeaders: request.upstreamHeaders ?? {}, ...(request.principal ? { principal: request.principal } : {}), ...(request.trace ? { trace: request.trace } : {}) });
        },
      }),
  });
}

/**
 * The executor of the facade's GraphQL operations, built at start. Required here, not
 * imported at the top: Apollo's query planner and the federation library under it are
 * loaded only by a facade that declares operations (it never loads Apollo Server or
 * Apollo Gateway: operation-executor.ts).
 */
async function createOperationExecutorFor(app: FastifyInstance, registry: UpstreamRegistry, opts: OperationExecutorOptions): Promise<OperationExecutor> {
  const { createOperationExecutor } = require('../graphql/operation-executor') as typeof import('../graphql/operation-executor');
  return createOperationExecutor(app, registry, opts);
}

/** Pure: the headers announcing a deprecated version (RFC 9745 Deprecation, RFC 8594 Sunset, successor Link). */
export function deprecationHeaders(deprecation: VersionDeprecation): Record<string, string> {
  return {
    deprecation: `@${Math.floor(Date.parse(deprecation.since) / 1000)}`,
    sunset: new Date(deprecation.sunset).toUTCString(),
    link: `<${deprecation.successor}>; rel="successor-version"`,
  };
}

/** Registers the facade; needs the health plugin registered before it. */
export async function restFacadePlugin(app: FastifyInstance, opts: RestFacadePluginOptions): Promise<void> {
  const problems = validateRouteTables(opts);
  if (problems.length > 0) throw new Error(`Invalid route tables:\n  - ${problems.join('\n  - ')}`);

  observePassthroughCalls(app);
  const registry = createUpstreamRegistry(upstreamRegistryHost(app), { targets: opts.upstreamTargets, poolOptionsOf: (name) => opts.upstreams[name]?.pool });
  if (registry.hasTargets) settleTargetLeases(app);
  const upstreams = new Map<string, Upstream>();
  for (const [name, upstream] of Object.entries(opts.upstreams)) {
    // Several targets: endpoints, pools and readiness come from them, not from the origin.
    const client = registry.upstream(name, upstream.origin);
    upstreams.set(name, client);
    registry.addReadiness(`upstream:${name}`, client, { kind: 'http', path: upstream.healthPath ?? DEFAULT_HEALTH_PATH });
  }

  const executor = opts.graphql ? await createOperationExecutorFor(app, registry, opts.graphql) : undefined;
  const docsOptions: OpenApiOptions = { title: 'Partner API', apiKeys: false, ...opts.docs };
  const documents = opts.versions.map((table) => ({ table, document: buildOpenApiDocument(table, docsOptions) }));
  for (const { table, document } of documents) app.get(`/${table.version}/openapi.json`, { config: { auth: { public: true } } }, async () => document);
  await app.register(async (docsApp) => docsPortalPlugin(docsApp, { title: docsOptions.title, versions: documents }));
  const index = apiIndex(docsOptions.title, opts.versions);
  app.get('/', { config: { auth: { public: true } } }, async () => index);

  for (const table of opts.versions) {
    // Each version in its own context, so its response headers (deprecation) stay its own.
    await app.register(async (versionApp) => {
      const versionHeaders = table.deprecation ? deprecationHeaders(table.deprecation) : undefined;
      if (versionHeaders) {
        const headers = versionHeaders;
        versionApp.addHook('onSend', (_request, reply, payload, done) => {
          reply.headers(headers);
          done(null, payload);
        });
      }
      const entry = { ...versionIndexEntry(table), docs: index.docs };
      versionApp.get(`/${table.version}`, { config: { auth: { public: true } } }, async () => entry);
      for (const route of table.routes) {
        if (route.kind === 'passthrough') {
          await registerPassthrough(versionApp, route, opts.upstreams[route.upstream] as RestUpstream, upstreams.get(route.upstream) as Upstream, opts.bodyLimitBytes, versionHeaders);
        } else {
          registerAggregate(versionApp, route, upstreams, registry.hasTargets, executor);
        }
      }
    });
  }
}
