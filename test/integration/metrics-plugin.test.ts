/**
 * The metrics plugin on a real Fastify app over real sockets: responses are counted by
 * route pattern and status, 404s under `unmatched`, scrapes are not counted, and the
 * endpoint speaks the Prometheus text format.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { DEFAULT_LATENCY_BUCKETS, createMetrics } from '../../shared/observability/metrics';
import { METRICS_PATH, metricsPlugin } from '../../shared/observability/metrics-plugin';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL_PAIR)].map((m) => [m[1] as string, m[2] as string]));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and exactly these labels (plus `bff`), or undefined. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const wanted = { ...labels, bff: 'test' };
  const found = samples.filter(
    (s) => s.name === name && Object.keys(s.labels).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`more than one ${name} sample for ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe('metrics plugin', () => {
  let app: FastifyInstance;
  let base: string;
  let scrape: { status: number; contentType: string | undefined; samples: Sample[] };

  beforeAll(async () => {
    app = Fastify();
    await app.register(metricsPlugin, { metrics: createMetrics({ bff: 'test', collectDefaultMetrics: false }) });
    app.get('/v1/orders/:id', async (req) => ({ id: (req.params as { id: string }).id }));
    app.get('/v1/broken', async () => {
      throw new Error('broken on purpose');
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });

    const sends: Array<[string, string]> = [
      ['GET', '/v1/orders/1'],
      ['GET', '/v1/orders/2'],
      ['GET', '/v1/orders/3?expand=items'],
      ['GET', '/v1/broken'],
      ['GET', '/v1/unknown/7'],
      ['DELETE', '/v1/orders/1'],
    ];
    for (const [method, path] of sends) {
      const res = await request(`${base}${path}`, { method: method as 'GET' });
      await res.body.dump();
    }
    // An earlier scrape, so the final one would show it if scrapes were counted.
    await (await request(`${base}${METRICS_PATH}`)).body.dump();

    const res = await request(`${base}${METRICS_PATH}`);
    const header = res.headers['content-type'];
    scrape = { status: res.statusCode, contentType: Array.isArray(header) ? header[0] : header, samples: parseExposition(await res.body.text()) };
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the registry in the Prometheus text format', () => {
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts requests by route pattern, not raw URL', () => {
    expect(valueOf(scrape.samples, 'portico_http_requests_total', { method: 'GET', route: '/v1/orders/:id', status_code: '200' })).toBe(3);
    const routes = new Set(scrape.samples.filter((s) => s.name === 'portico_http_requests_total').map((s) => s.labels.route));
    expect([...routes].sort()).toEqual(['/v1/broken', '/v1/orders/:id', 'unmatched']);
  });

  it('labels each response with its status code', () => {
    expect(valueOf(scrape.samples, 'portico_http_requests_total', { method: 'GET', route: '/v1/broken', status_code: '500' })).toBe(1);
  });

  it('counts requests no route matched under the unmatched route', () => {
    expect(valueOf(scrape.samples, 'portico_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(valueOf(scrape.samples, 'portico_http_requests_total', { method: 'DELETE', route: 'unmatched', status_code: '404' })).toBe(1);
  });

  it('does not count scrapes of the metrics endpoint', () => {
    const scrapes = scrape.samples.filter((s) => s.name.startsWith('portico_http_') && s.labels.route === METRICS_PATH);
    expect(scrapes).toEqual([]);
  });

  it('records latency in every bucket of the duration histogram', () => {
    const labels = { method: 'GET', route: '/v1/orders/:id', status_code: '200' };
    for (const le of [...DEFAULT_LATENCY_BUCKETS.map(String), '+Inf']) {
      expect(valueOf(scrape.samples, 'portico_http_request_duration_seconds_bucket', { ...labels, le })).toEqual(expect.any(Number));
    }
    expect(valueOf(scrape.samples, 'portico_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(3);
    expect(valueOf(scrape.samples, 'portico_http_request_duration_seconds_count', labels)).toBe(3);
    expect(valueOf(scrape.samples, 'portico_http_request_duration_seconds_sum', labels)).toBeGreaterThanOrEqual(0);
  });
});
