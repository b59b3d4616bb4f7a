/**
 * Records every HTTP response in Portico's metrics and serves them to Prometheus.
 * Responses are labelled by route pattern (`/v1/orders/:id`), never by raw URL, so the
 * number of series stays bounded whatever clients send; 404s share one `unmatched` route.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PorticoError } from '../errors';
import { createMetrics, UNMATCHED_ROUTE, type PorticoMetrics } from './metrics';
import { listenForMetrics, metricsTokenMatches, type MetricsAccess } from './metrics-access';

/**
 * Where Prometheus scrapes. Stages that guard routes (authentication, rate limit) must exempt
 * this path, so a scrape never needs credentials nor spends a client's quota.
 */
export const METRICS_PATH = '/metrics';

export interface MetricsPluginOptions {
  /** The metrics to record into and serve, from `createMetrics`. Required. */
  metrics: PorticoMetrics;
  /** Path of the scrape endpoint (GET, and HEAD). Default {@link METRICS_PATH}. */
  path?: string;
  /** A separate admin port and/or a bearer token for the scrape endpoint. Default: public on the client port. */
  access?: MetricsAccess;
  /** Listen address of the admin port. Default `127.0.0.1`. */
  host?: string;
}

/** The two series one response is recorded in. */
interface ResponseSeries {
  requests: { inc(value?: number): void };
  duration: { observe(value: number): void };
}

type SeriesOf = (route: string, method: string, status: number) => ResponseSeries;

/** The series of each route, method and status, label children bound once: no label object per response. */
function responseSeries({ httpRequests, httpRequestDuration }: PorticoMetrics): SeriesOf {
  const children = new Map<string, Map<string, Map<number, ResponseSeries>>>();
  return (route, method, status) => {
    let byMethod = children.get(route);
    if (!byMethod) children.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      const labels = { method, route, status_code: String(status) };
      series = { requests: httpRequests.labels(labels), duration: httpRequestDuration.labels(labels) };
      byStatus.set(status, series);
    }
    return series;
  };
}

/** Registers the response recorder (app-wide) and the scrape endpoint on the root instance. */
export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app: FastifyInstance, opts) => {
    const { metrics, path = METRICS_PATH } = opts;
    if (!metrics?.registry) throw new TypeError('metricsPlugin: the metrics option is required (use createMetrics)');
    if (!path.startsWith('/')) throw new TypeError(`metricsPlugin: path must start with '/', got '${path}'`);
    const { registry } = metrics;
    const seriesOf = responseSeries(metrics);
    // The BFF's own warm-up requests (warm-up-request.ts) are recorded as a client's are, into
    // metrics no scrape reads: the recording is compiled before the first client's answer.
    let warmUpSeriesOf: SeriesOf | undefined;
    const warmUpSeries = (): SeriesOf => (warmUpSeriesOf ??= responseSeries(createMetrics({ bff: 'warm-up', collectDefaultMetrics: false })));

    if (app.fastPathParts) {
      const fastPathTaken = metrics.passthroughFastPathRequests;
      app.fastPathParts.countTaken = () => fastPathTaken.inc();
      app.fastPathParts.recordResponse = (route, method, status, seconds) => {
        const series = seriesOf(route, method, status);
        series.requests.inc();
        series.duration.observe(seconds);
      };
    }

    app.addHook('onResponse', (request, reply, done) => {
      // Undefined when no route matched and the not-found handler answered.
      const pattern = request.routeOptions.url;
      // Scrapes would otherwise dominate the counters and move every time Prometheus looks.
      if (pattern !== path) {
        const series = (request.warmUp ? warmUpSeries() : seriesOf)(pattern ?? UNMATCHED_ROUTE, request.method, reply.statusCode);
        series.requests.inc();
        series.duration.observe(reply.elapsedTime / 1_000);
      }
      done();
    });

    const render = async () => ({ contentType: registry.contentType, body: await registry.metrics() });
    const access = opts.access ?? {};
    app.decorate('metricsListener', undefined);
    if (access.port !== undefined) {
      // Its own port: the client port has no /metrics at all (404, like any unknown path).
      const port = access.port;
      app.addHook('onReady', async () => {
        app.metricsListener = await listenForMetrics(opts.host ?? '127.0.0.1', { ...access, port }, render);
      });
      app.addHook('onClose', async () => app.metricsListener?.close());
      return;
    }
    const token = access.token;
    app.get(path, { logLevel: 'warn' }, async (request, reply) => {
      if (token && !metricsTokenMatches(request.headers.authorization, token)) {
        throw new PorticoError('AUTH_REQUIRED', 'The metrics token is required.', { headers: { 'www-authenticate': 'Bearer realm="portico-metrics"' } });
      }
      const { contentType, body } = await render();
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    });
  },
  { name: 'portico-metrics' },
);
