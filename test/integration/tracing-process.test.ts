/**
 * Tracing as deployed: the web BFF started as a process, configured by the standard
 * OTEL_* variables only, exports its spans to the receiver they name, and every log line of
 * a request carries the trace and span ids of the request's span.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { nodeArguments } from '../../shared/node-runtime';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { REPO_ROOT, runEntry, waitForHttp200, waitUntil, type ChildHandle } from '../helpers/processes';
import { unusedPort } from '../helpers/recording-upstream';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

describe('the web BFF process with OTEL_* set', () => {
  let subgraphs: Subgraphs;
  let receiver: OtlpReceiver;
  let child: ChildHandle | undefined;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    receiver = await startOtlpReceiver();
    const port = await unusedPort();
    url = `http://127.0.0.1:${port}`;
    child = runEntry('bffs/web/main.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_URL_${name.toUpperCase()}`, subgraphs.urls[name]])),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'web-under-test',
    });
    await waitForHttp200(`${url}/readyz`, child, 30_000);
  }, 60_000);

  afterAll(async () => {
    child?.kill();
    await child?.exited;
    await receiver?.close();
    await subgraphs?.close();
  });

  it("exports the request's spans and writes its trace and span ids on every log line of the request", async () => {
    const res = await request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'traced-request-1' }, body: JSON.stringify({ query: '{ topProducts(first: 2) { name inStock } }' }) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    // The batch processor sends within its schedule (5 s by default).
    await waitUntil(() => receiver.spans.some((s) => s.attributes['http.route'] === '/graphql'), 15_000, 100);
    const root = receiver.spans.find((s) => s.attributes['http.route'] === '/graphql')!;
    expect(root.service).toBe('web-under-test');

    const lines = child!
      .output()
      .split('\n')
      .filter((line) => line.includes('"traced-request-1"'))
      .map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    for (const line of lines) expect(line).toMatchObject({ trace_id: root.traceId, span_id: root.spanId });
  });
});

/** Builds the web and partner BFFs in a fresh process and prints which tracing modules it loaded. */
const LOADED_TRACING_MODULES = `
const { buildServer: web } = require('./bffs/web/server');
const { buildServer: partner } = require('./bffs/partner/server');
const { partnerManifest } = require('./bffs/partner/manifest');
(async () => {
  const apps = [await web(), await partner({ ...partnerManifest, routes: { ...partnerManifest.routes, upstreams: Object.fromEntries(Object.keys(partnerManifest.routes.upstreams).map((n) => [n, { origin: 'http://127.0.0.1:1' }])) } })];
  // Portico's tracing packages as installed at the root (Apollo Gateway loads its own, older, metrics SDK).
  const ours = ['shared/observability/tracing-sdk', 'node_modules/@opentelemetry/sdk-trace-base/', 'node_modules/@opentelemetry/sdk-trace/', 'node_modules/@opentelemetry/exporter-trace-otlp-http/', 'node_modules/@opentelemetry/core/', 'node_modules/@opentelemetry/resources/'];
  const loaded = Object.keys(require.cache).map((file) => file.slice(process.cwd().length + 1)).filter((file) => ours.some((prefix) => file.startsWith(prefix)));
  process.stdout.write('\\nLOADED ' + JSON.stringify({ loaded, tracing: apps.map((app) => app.tracing === undefined ? 'off' : 'on') }) + '\\n');
  await Promise.all(apps.map((app) => app.close()));
})();
`;

describe('tracing off (no OTEL_* set)', () => {
  it('loads no part of the SDK, and the BFFs have no tracer', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...nodeArguments(), '-e', LOADED_TRACING_MODULES], { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: 'development' } });
    const line = stdout.split('\n').find((l) => l.startsWith('LOADED '));
    expect(JSON.parse(line?.slice('LOADED '.length) ?? 'null')).toEqual({ loaded: [], tracing: ['off', 'off'] });
  });
});
