/**
 * The federated GraphQL route of the web and mobile BFFs: Apollo Gateway over a
 * supergraph file, served by Apollo Server on Fastify, with subgraph calls through the
 * app's upstream registry.
 *
 * The BFF listens before the supergraph is loaded: until then `/graphql` answers 503
 * NOT_READY and `/readyz` reports the supergraph as not loaded. A missing or invalid file
 * is retried, so a BFF can start before its supergraph is published.
 */
import { createHash } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits';
import { operationLimitsPlugin } from './operation-limits-plugin';
import { createAuthorizedGateway } from './authorization/authorized-gateway';
import type { GraphqlAuthorizationSettings } from './authorization/authorization-policies';
import { contractIntrospectionPlugin, contractValidationRule, loadContractSchema } from './contract';
import { loadTrustedDocuments } from './trusted-documents';
import { trustedDocumentsHook } from './trusted-documents-hook';
import { LANDING_PAGE_AUTHORIZATION_HINT, LANDING_PAGE_DOCUMENT, isLandingPageRequest, sendLandingPage } from './landing-page';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PorticoError } from '../errors';
import type { ReadinessCheck } from '../observability/health';
import type { UpstreamPoolOptions } from '../upstream/upstream-pool';
import { createUpstreamRegistry, upstreamRegistryHost, type UpstreamRegistry } from '../upstream/upstream-registry';
import { addRequestIdToErrorBody, formatClientError } from './format-error';
import { SupergraphFetchError, fileSupergraphSource, urlSupergraphSource } from './supergraph-source';
import { graphqlResponseCachePlugins } from '../policies/response-cache/graphql-response-cache';
import { principalCacheScope } from '../policies/authn/principal';
import type { GatewayContext } from './gateway-context';
import { SubgraphDataSource } from './subgraph-data-source';
import { TARGET_OVERRIDE_HEADER } from '../upstream/target-set';
import type { UpstreamTargetsSettings } from '../upstream/target-settings';

export interface FederatedGraphqlOptions {
  /** Path of the composed supergraph SDL file. */
  supergraphPath: string;
  /** URL the supergraph is fetched from instead of the file (polled every `watchSupergraphMs`, with `If-None-Match`). Default: none. */
  supergraphUrl?: string;
  /** Subgraph URL overrides by subgraph name; others use the URL in the supergraph. */
  subgraphUrls?: Readonly<Record<string, string>>;
  /**
   * Subgraphs served by several weighted targets (canary, discovery, health checks), by
   * subgraph name; the endpoints replace the URL's origin, its path stays. Default: none.
   */
  subgraphTargets?: Readonly<Record<string, UpstreamTargetsSettings>>;
  /** Identical subgraph queries in flight at once (same document, variables and identity headers) share one call. Default true. */
  dedupeSubgraphQueries?: boolean;
  /** Pool settings for every subgraph (`all`) and per subgraph by name. */
  subgraphPools?: { all?: UpstreamPoolOptions; subgraphs?: Readonly<Record<string, UpstreamPoolOptions>> };
  /** Route path. Default `/graphql`. */
  path?: string;
  /** Serve schema introspection. Default false. */
  introspection?: boolean;
  /** Production mode: no landing page, no field suggestions in errors. Default false. */
  production?: boolean;
  /** Operation limits (depth, aliases, root fields, directives, cost, tokens); unset keys use the defaults. */
  limits?: Partial<OperationLimits>;
  /** Estimated cost covered by one rate-limit unit. Default 100. */
  costPerRateLimitUnit?: number;
  /** Automatic persisted queries (hash-registered queries). Default true. */
  persistedQueries?: boolean;
  /** Accept JSON arrays of operations in one request. Default false (a batch multiplies the work behind one request). */
  allowBatching?: boolean;
  /** Serve a contract: operations validate and introspection answers against this schema file. */
  contract?: { schemaPath: string };
  /** Trusted documents manifest; with `requireTrusted` (production) nothing else runs. */
  trustedDocuments?: { manifestPath: string; requireTrusted: boolean };
  /** Wait between attempts while the supergraph file is missing or invalid, in ms. Default 1,000. */
  loadRetryMs?: number;
  /** How often the supergraph file is checked for changes once loaded, in ms; 0 turns hot reload off. Default 1,000. */
  watchSupergraphMs?: number;
  /**
   * Enforcement of the supergraph's `@authenticated`, `@requiresScopes` and `@policy`
   * (always on): the rules `@policy` names refer to, and whether an operation with an
   * unauthorized field is refused whole. Default: no policies, unauthorized fields answer null.
   */
  authorization?: GraphqlAuthorizationSettings;
}

export const DEFAULT_GRAPHQL_PATH = '/graphql';
export const DEFAULT_LOAD_RETRY_MS = 1_000;
export const DEFAULT_WATCH_SUPERGRAPH_MS = 1_000;
/** How long a changed supergraph must stay the same before it is loaded, in ms. */
const CHANGE_SETTLE_MS = 100;

type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

interface LoadedSupergraph {
  apollo: ApolloServer<GatewayContext>;
  handler: RouteHandler;
  /** The file text it was built from, to notice changes. */
  sdl: string;
  /** Readiness checks of its subgraphs, registered while it serves. */
  probes: Array<[string, ReadinessCheck]>;
  /** Requests currently executing on it; a replaced supergraph is stopped once they are done. */
  inFlight: number;
  retired: boolean;
}

/** Adds the request id to every error so a client report can be matched to the logs. */
const requestIdOnErrors: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ contextValue }) {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
        for (const error of response.body.singleResult.errors) {
          (error.extensions as Record<string, unknown> | undefined ?? {}).requestId = contextValue.requestId;
        }
      },
    };
  },
};

/** The IDE page is served in development where introspection is on; never in production. */
function landingPageEnabled(opts: FederatedGraphqlOptions): boolean {
  return !opts.production && opts.introspection === true;
}

async function loadSupergraph(app: FastifyInstance, opts: FederatedGraphqlOptions, upstreams: UpstreamRegistry, sdl: string): Promise<LoadedSupergraph> {
  const probes: Array<[string, ReadinessCheck]> = [];
  // The rules and the SDL the gateway loads come from this one text (a load error when a policy is undeclared).
  const { gateway, plugin: authorization } = createAuthorizedGateway<GatewayContext>(sdl, opts.authorization, {
    logger: app.log,
    buildService: ({ name, url }) => {
      const target = opts.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`subgraph '${name}' has no URL in the supergraph and no override`);
      // Several targets replace the URL's origin (its path stays); otherwise the URL's origin is the one target.
      const parsed = new URL(target);
      const upstream = upstreams.withTargets(name) ?? upstreams.atOrigin(name, parsed.origin);
      const path = `${parsed.pathname}${parsed.search}`;
      probes.push([`subgraph:${name}`, upstream.probe('graphql', path)]);
      return new SubgraphDataSource({ name, url: target, upstream, dedupe: opts.dedupeSubgraphQueries ?? true });
    },
  });
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...opts.limits };
  const contract = opts.contract ? loadContractSchema(opts.contract.schemaPath) : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: app.log,
    introspection: opts.introspection ?? false,
    // Browsers can send "simple" cross-site requests without a preflight; those are refused.
    csrfPrevention: true,
    allowBatchedHttpRequests: opts.allowBatching ?? false,
    persistedQueries: opts.persistedQueries === false ? false : {},
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: contract ? [contractValidationRule(contract)] : [],
    includeStacktraceInErrorResponses: false,
    // The process lifecycle (shared/lifecycle.ts) owns signals; Apollo's own handler would
    // re-raise the signal and cut the graceful drain short.
    stopOnTerminationSignals: false,
    formatError: (formatted) => formatClientError(formatted),
    plugins: [
      landingPageEnabled(opts)
        ? ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: false }, headers: { authorization: LANDING_PAGE_AUTHORIZATION_HINT }, document: LANDING_PAGE_DOCUMENT, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...(opts.production ? [ApolloServerPluginDisableSuggestions()] : []),
      // Before the request id is added to errors (it adds it to the authorization errors too) and before the cache is consulted.
      authorization,
      requestIdOnErrors,
      ...(contract ? [contractIntrospectionPlugin(contract)] : []),
      operationLimitsPlugin(limits, opts.costPerRateLimitUnit),
      // Last: limits and costs are checked and charged before a cached answer is served.
      // Entries are keyed by the supergraph too: a reload never serves answers shaped by the old schema.
      ...(app.responseCache ? graphqlResponseCachePlugins<GatewayContext>(app.responseCache, createHash('sha256').update(sdl).digest('base64url')) : []),
    ],
  });
  await apollo.start();
  const readOverride = upstreams.hasTargets;
  // The cache scope is only worked out when there is a cache to key.
  const scopeCache = app.responseCache !== undefined;
  const handler = fastifyApolloHandler<GatewayContext>(apollo, {
    context: async (request) => ({
      requestId: request.id,
      forwardHeaders: request.upstreamHeaders ?? {},
      ...(request.principal ? { principal: request.principal } : {}),
      ...(request.chargeRateLimit ? { chargeRateLimit: request.chargeRateLimit } : {}),
      ...(scopeCache && request.principal ? { cacheScope: principalCacheScope(request.principal) } : {}),
      ...(readOverride && request.headers[TARGET_OVERRIDE_HEADER] ? { targetOverride: String(request.headers[TARGET_OVERRIDE_HEADER]) } : {}),
    }),
  }) as unknown as RouteHandler;
  return { apollo, handler, sdl, probes, inFlight: 0, retired: false };
}

/** The context of a request that runs no operation (the IDE page). */
function anonymousContext(request: FastifyRequest): GatewayContext {
  return { requestId: request.id, forwardHeaders: {} };
}

async function stopSupergraph(supergraph: LoadedSupergraph): Promise<void> {
  await supergraph.apollo.stop();
}

/** Registers the GraphQL route; needs the health plugin registered before it. */
export async function federatedGraphqlPlugin(app: FastifyInstance, opts: FederatedGraphqlOptions): Promise<void> {
  const retryMs = opts.loadRetryMs ?? DEFAULT_LOAD_RETRY_MS;
  // The subgraphs' clients outlive any one supergraph: a reload keeps their sockets, breakers, budgets and targets' health state.
  const upstreams = createUpstreamRegistry(upstreamRegistryHost(app), {
    targets: opts.subgraphTargets,
    poolOptionsOf: (name) => ({ ...opts.subgraphPools?.all, ...opts.subgraphPools?.subgraphs?.[name] }),
  });
  const source = opts.supergraphUrl ? urlSupergraphSource(opts.supergraphUrl) : fileSupergraphSource(opts.supergraphPath);
  let loaded: LoadedSupergraph | undefined;
  let lastProblem = 'loading';
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let watchTimer: NodeJS.Timeout | undefined;
  let reloadProblem: string | undefined;
  let reloading = false;

  app.readiness.add('supergraph', () =>
    loaded ? { ok: true, detail: reloadProblem ? `loaded; the latest change was refused (${reloadProblem}), the previous supergraph keeps serving` : 'loaded' } : { ok: false, detail: lastProblem },
  );

  /** Makes `next` the serving supergraph, with its subgraphs' readiness checks in place of the old ones. */
  const serve = (next: LoadedSupergraph): void => {
    for (const [name] of loaded?.probes ?? []) app.readiness.remove(name);
    for (const [name, probe] of next.probes) app.readiness.add(name, probe);
    loaded = next;
  };

  const retire = async (old: LoadedSupergraph): Promise<void> => {
    old.retired = true;
    if (old.inFlight > 0) return; // the last request to finish on it calls retire again
    await stopSupergraph(old);
  };

  /** Swaps to a changed supergraph atomically; a broken one leaves the current one serving. */
  const checkForChange = async (): Promise<void> => {
    if (stopped || reloading || !loaded) return;
    let text: string;
    try {
      text = await source.read();
    } catch (err) {
      // A file being replaced may be briefly absent, a registry briefly down: the next check sees it.
      app.log.debug({ err, supergraph: source.location }, 'supergraph check failed');
      return;
    }
    if (text === loaded.sdl) return;
    reloading = true;
    try {
      // A file caught mid-write differs from itself a moment later: only a settled change is loaded.
      await new Promise((resolve) => setTimeout(resolve, CHANGE_SETTLE_MS));
      if (stopped || (await source.read().catch(() => undefined)) !== text) return;
      const next = await loadSupergraph(app, opts, upstreams, text);
      if (stopped) return await stopSupergraph(next);
      const previous = loaded;
      serve(next);
      reloadProblem = undefined;
      app.metrics.supergraphReloads.inc({ outcome: 'success' });
      app.log.info({ supergraph: source.location }, 'supergraph reloaded');
      await retire(previous);
    } catch (err) {
      reloadProblem = 'it failed to load';
      app.metrics.supergraphReloads.inc({ outcome: 'failure' });
      app.log.error({ err, supergraph: source.location }, 'supergraph change refused; still serving the previous one');
      // Remember the refused text so it is not retried on every check.
      loaded.sdl = text;
    } finally {
      reloading = false;
    }
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      const result = await loadSupergraph(app, opts, upstreams, await source.read());
      if (stopped) return await stopSupergraph(result);
      serve(result);
      app.log.info({ supergraph: source.location }, 'supergraph loaded');
      const watchMs = opts.watchSupergraphMs ?? DEFAULT_WATCH_SUPERGRAPH_MS;
      if (watchMs > 0 && !watchTimer) {
        watchTimer = setInterval(() => void checkForChange(), watchMs);
        watchTimer.unref();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'supergraph file not found' : err instanceof SupergraphFetchError ? 'supergraph URL unreachable' : 'supergraph failed to load';
      if (problem !== lastProblem) app.log.warn({ err, supergraph: source.location }, problem);
      lastProblem = problem;
      retryTimer = setTimeout(() => void attempt(), retryMs);
    }
  };
  // Loading runs in the background so liveness and readiness answer during it.
  app.addHook('onReady', async () => {
    void attempt();
  });

  app.addHook('onClose', async () => {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(watchTimer);
    if (loaded) await stopSupergraph(loaded);
  });

  const trusted = opts.trustedDocuments ? loadTrustedDocuments(opts.trustedDocuments.manifestPath) : undefined;
  const landingPage = landingPageEnabled(opts);
  app.route({
    method: ['GET', 'POST'],
    url: opts.path ?? DEFAULT_GRAPHQL_PATH,
    // A browser opening the URL gets the IDE page without credentials; its operations still need them.
    ...(landingPage ? { config: { auth: { publicWhen: isLandingPageRequest } } } : {}),
    ...(trusted && opts.trustedDocuments ? { preHandler: trustedDocumentsHook(trusted, opts.trustedDocuments.requireTrusted) } : {}),
    handler: async (request, reply) => {
      const current = loaded;
      if (!current) throw new PorticoError('NOT_READY', 'The supergraph is not loaded yet.', { headers: { 'retry-after': '1' } });
      current.inFlight += 1;
      try {
        if (landingPage && isLandingPageRequest(request)) return await sendLandingPage(current.apollo, request, reply, anonymousContext(request));
        const body = await current.handler(request, reply);
        return reply.statusCode >= 400 && typeof body === 'string' ? addRequestIdToErrorBody(body, request.id) : body;
      } finally {
        current.inFlight -= 1;
        if (current.retired && current.inFlight === 0) void retire(current);
      }
    },
  });
}
