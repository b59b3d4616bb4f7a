/**
 * The federated GraphQL route of the web and mobile BFFs: the supergraph runtime (load,
 * retry, watch, swap, retire: supergraph-runtime.ts) serving the supergraph servers
 * (supergraph-server.ts), with subgraph calls through the app's upstream registry.
 *
 * The BFF listens before the supergraph is loaded: until then `/graphql` answers 503
 * NOT_READY and `/readyz` reports the supergraph as not loaded. A missing or invalid file
 * is retried, so a BFF can start before its supergraph is published.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PorticoError, toPorticoError } from '../errors';
import { createGraphqlClientMetrics } from '../observability/graphql-client-metrics';
import { createMetrics } from '../observability/metrics';
import { graphqlReportOf } from '../request-context';
import { createUpstreamRegistry, upstreamRegistryHost } from '../upstream/upstream-registry';
import { DEFAULT_GRAPHQL_PATH, landingPageEnabled, type FederatedGraphqlOptions } from './federated-graphql-options';
import { addRequestIdToErrorBody } from './format-error';
import type { GatewayContext } from './gateway-context';
import { isLandingPageRequest, sendLandingPage } from './landing-page';
import { createSupergraphServer, stopSupergraphServer, type SupergraphServer } from './supergraph-server';
import { fileSupergraphSource, urlSupergraphSource } from './supergraph-source';
import { createSupergraphRuntime, type SupergraphClock } from './supergraph-runtime';
import { loadTrustedDocumentStore, type TrustedDocumentStore } from './trusted-documents';
import { trustedDocumentsHook } from './trusted-documents-hook';
import { readOperationFiles } from './operation-files';
import { DEFAULT_WARMUP_BUDGET_MS, describeWarmUp, type RegisteredOperation } from './warm-up';
import { DEFAULT_WARMUP_REQUESTS, sendWarmUpTraffic, type WarmUpRequest } from './warm-up-traffic';

export type { FederatedGraphqlOptions } from './federated-graphql-options';
export { DEFAULT_GRAPHQL_PATH } from './federated-graphql-options';
export { DEFAULT_LOAD_RETRY_MS, DEFAULT_WATCH_SUPERGRAPH_MS } from './supergraph-runtime';

/** Readiness entry saying how the serving supergraph's warm-up went (always ok). */
export const WARM_UP_CHECK = 'graphql-warmup';
/** Readiness entry of the warm-up's requests: not ready while they run, then ok whatever they answered. */
export const WARM_UP_TRAFFIC_CHECK = 'graphql-warmup-requests';

/** The context of a request that runs no operation (the IDE page). */
function anonymousContext(request: FastifyRequest): GatewayContext {
  return { requestId: request.id, forwardHeaders: {} };
}

/** The operations warmed on every supergraph: the registered files, then the trusted documents not among them (each text as clients send it). */
function registeredOperations(opts: FederatedGraphqlOptions, trusted: TrustedDocumentStore | undefined): RegisteredOperation[] {
  const operations: RegisteredOperation[] = opts.operationsDir ? readOperationFiles(opts.operationsDir).map(({ name, body }) => ({ name, body })) : [];
  const bodies = new Set(operations.map((o) => o.body));
  for (const { name, body } of trusted?.documents() ?? []) if (!bodies.has(body)) operations.push({ name, body });
  return operations;
}

/** Registers the GraphQL route; needs the health plugin registered before it. `clock`: the runtime's timers (tests). */
export async function federatedGraphqlPlugin(app: FastifyInstance, opts: FederatedGraphqlOptions, clock?: SupergraphClock): Promise<void> {
  const trusted = opts.trustedDocuments ? loadTrustedDocumentStore(opts.trustedDocuments) : undefined;
  const registered = registeredOperations(opts, trusted);
  const upstreams = createUpstreamRegistry(upstreamRegistryHost(app), {
    targets: opts.subgraphTargets,
    poolOptionsOf: (name) => ({ ...opts.subgraphPools?.all, ...opts.subgraphPools?.subgraphs?.[name] }),
  });
  const runtime = createSupergraphRuntime<SupergraphServer>({
    source: opts.supergraphUrl ? urlSupergraphSource(opts.supergraphUrl) : fileSupergraphSource(opts.supergraphPath),
    // Warm-up is part of loading: a supergraph serves (and the BFF reports ready) only once it is warm,
    // and on a reload the previous one keeps serving meanwhile, so readiness never flaps for it.
    load: (sdl) => createSupergraphServer(app, opts, upstreams, sdl, registered),
    stop: stopSupergraphServer,
    // The serving supergraph's subgraphs are the ones whose readiness counts.
    onServe: (next, previous) => {
      // A fresh process compiles its request path on its own requests first; a reload's is already compiled.
      if (!previous && next.warmUpRequests && trafficRequests > 0) warmUpWithTraffic(next.warmUpRequests, next.standInSubgraphs);
      for (const [name] of previous?.probes ?? []) app.readiness.remove(name);
      for (const [name, probe] of next.probes) app.readiness.add(name, probe);
      const { warmUp } = next;
      app.readiness.remove(WARM_UP_CHECK);
      // Informational: a refused or unreached operation is reported, never a reason to stay unready.
      if (warmUp) app.readiness.add(WARM_UP_CHECK, () => ({ ok: true, detail: describeWarmUp(warmUp) }));
      app.metrics.warmUpOperations.set({ outcome: 'planned' }, warmUp?.planned.length ?? 0);
      app.metrics.warmUpOperations.set({ outcome: 'refused' }, warmUp?.invalid.length ?? 0);
      app.metrics.warmUpOperations.set({ outcome: 'skipped' }, warmUp?.skipped.length ?? 0);
    },
    onReload: (outcome) => app.metrics.supergraphReloads.inc({ outcome }),
    log: app.log,
    loadRetryMs: opts.loadRetryMs,
    watchMs: opts.watchSupergraphMs,
    ...(clock ? { clock } : {}),
  });
  app.readiness.add('supergraph', () => runtime.readiness());

  const trafficRequests = opts.warmUp?.enabled === false ? 0 : (opts.warmUp?.requests ?? DEFAULT_WARMUP_REQUESTS);
  const warmUpWithTraffic = (operations: readonly WarmUpRequest[], standIns: SupergraphServer['standInSubgraphs']): void => {
    let detail = 'sending the warm-up requests';
    let done = false;
    app.readiness.add(WARM_UP_TRAFFIC_CHECK, () => ({ ok: done, detail }));
    const until = performance.now() + (opts.warmUp?.budgetMs ?? DEFAULT_WARMUP_BUDGET_MS);
    // After the current turn: the app may still be finishing its own start.
    setImmediate(() => {
      let fetches = 0;
      (standIns ? standIns.start() : Promise.resolve())
        .then(() => sendWarmUpTraffic(app, opts.path ?? DEFAULT_GRAPHQL_PATH, operations, { requests: trafficRequests, until }))
        .finally(async () => {
          fetches = (await standIns?.stop()) ?? 0;
        })
        .then((report) => {
          detail = `${report.sent} warm-up request(s) in ${Math.round(report.durationMs)} ms, ${fetches} stand-in subgraph fetch(es)${report.failed > 0 ? `, ${report.failed} not answered 200` : ''}`;
          app.log.info({ ...report, durationMs: Math.round(report.durationMs) }, `graphql warm-up: ${detail}`);
        })
        .catch((err: unknown) => {
          detail = `warm-up requests stopped: ${(err as Error).message}`;
          app.log.warn({ err }, 'graphql warm-up: the warm-up requests stopped');
        })
        .finally(() => {
          done = true;
        });
    });
  };
  // Loading runs in the background so liveness and readiness answer during it.
  app.addHook('onReady', async () => runtime.start());
  app.addHook('onClose', async () => runtime.stop());

  const clientMetrics = createGraphqlClientMetrics(app.metrics, registered.map((o) => o.name), opts.clientMetrics);
  // The BFF's own warm-up requests (warm-up-request.ts) are recorded as a client's are, into
  // metrics no scrape reads: the recording is compiled before the first client's answer.
  let warmUpClientMetrics: typeof clientMetrics | undefined;
  const warmUpMetrics = () => (warmUpClientMetrics ??= createGraphqlClientMetrics(createMetrics({ bff: 'warm-up', collectDefaultMetrics: false }), registered.map((o) => o.name), opts.clientMetrics));
  app.decorateRequest('graphqlReport', null);

  const landingPage = landingPageEnabled(opts);
  app.route({
    method: ['GET', 'POST'],
    url: opts.path ?? DEFAULT_GRAPHQL_PATH,
    // A browser opening the URL gets the IDE page without credentials; its operations still need them.
    ...(landingPage ? { config: { auth: { publicWhen: isLandingPageRequest } } } : {}),
    ...(trusted && opts.trustedDocuments ? { preHandler: trustedDocumentsHook(trusted, opts.trustedDocuments.requireTrusted) } : {}),
    // A stage's refusal (authentication, rate limit, not ready) carries its catalogue code.
    onError: (request, _reply, error, done) => {
      const report = graphqlReportOf(request);
      report.errorCode ??= toPorticoError(error).code;
      done();
    },
    // Every GraphQL request, whichever pipeline (or stage) answered it; the IDE page is not an operation.
    onResponse: (request, reply, done) => {
      (request.warmUp ? warmUpMetrics() : clientMetrics).record(request.headers, request.graphqlReport, reply.statusCode, reply.elapsedTime / 1_000);
      done();
    },
    handler: async (request, reply) => {
      const served = runtime.serve(async (current) => {
        if (landingPage && isLandingPageRequest(request)) {
          graphqlReportOf(request).untracked = true;
          return sendLandingPage(current.apollo, request, reply, anonymousContext(request));
        }
        const body = await current.handler(request, reply);
        return reply.statusCode >= 400 && typeof body === 'string' ? addRequestIdToErrorBody(body, request.id) : body;
      });
      if (!served) throw new PorticoError('NOT_READY', 'The supergraph is not loaded yet.', { headers: { 'retry-after': '1' } });
      return served;
    },
  });
}
