/**
 * Circuit breakers through real BFFs against upstreams that fail and then recover:
 * open circuits fail fast without calling the upstream, GraphQL keeps healthy
 * subgraphs' data, and a recovered upstream closes the circuit again.
 */
import { allUpstreamsAt, startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

const BREAKERS = { all: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 300, rollingWindowMs: 10_000 } };

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('partner passthrough breaker', () => {
  let healthy = false;
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      const ok = healthy || req.url === '/healthz';
      res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { items: [] } : { boom: true }));
    });
    const upstreams = allUpstreamsAt(upstream.origin);
    partner = await startPartnerBff(upstreams, { policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  it('opens after repeated 5xx, fails fast with 503 and Retry-After, then closes once the upstream recovers', async () => {
    for (let i = 0; i < 4; i++) expect((await http(`${partner.url}/v1/products`)).status).toBe(500);
    const before = upstream.requests.filter((r) => r.url.startsWith('/products')).length;

    const open = await http(`${partner.url}/v1/products`);
    expect(open.status).toBe(503);
    expect(open.json).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', message: "Upstream 'products' is failing; calls to it are paused." });
    expect(Number(open.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(upstream.requests.filter((r) => r.url.startsWith('/products')).length).toBe(before);

    // One breaker per upstream: the same service under another name is unaffected.
    expect((await http(`${partner.url}/v1/users`)).status).toBe(500);

    healthy = true;
    await eventually(async () => (await http(`${partner.url}/v1/products`)).status === 200);
    expect((await http(`${partner.url}/v1/products`)).status).toBe(200);

    const metrics = (await http(`${partner.url}/metrics`)).text;
    expect(metrics).toMatch(/portico_circuit_breaker_transitions_total\{upstream="products",to="open",bff="partner"\} 1/);
    expect(metrics).toMatch(/portico_circuit_breaker_state\{upstream="products",bff="partner"\} 0/);
    expect(metricValue(metrics, 'portico_upstream_errors_total', { upstream: 'products', reason: 'server_error' })).toBeGreaterThanOrEqual(4);
    expect(metricValue(metrics, 'portico_upstream_errors_total', { upstream: 'products', reason: 'circuit_open' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'portico_upstream_request_duration_seconds_count', { upstream: 'products', outcome: 'success' })).toBeGreaterThanOrEqual(1);
  });

  it('does not count client errors (4xx) against the upstream', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"code":"NOT_FOUND"}');
    });
    for (let i = 0; i < 8; i++) expect((await http(`${partner.url}/v1/reviews/999`)).status).toBe(404);
  });
});

describe('web subgraph breaker', () => {
  let subgraphs: RunningSubgraphs;
  let inventoryDown = true;
  let inventory: RecordingUpstream;
  let web: RunningBff;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    // Proxies to the real inventory subgraph, or fails with 503 while "down".
    inventory = await startRecordingUpstream(async (req, res) => {
      if (inventoryDown && req.body.includes('_entities')) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('unavailable');
        return;
      }
      const upstream = await fetch(subgraphs.urls.inventory, { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body || '{}' });
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(await upstream.text());
    });
    web = await startWebBff({ graphql: { subgraphUrls: { ...subgraphs.urls, inventory: `${inventory.origin}/graphql` } }, policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await web?.close();
    await inventory?.close();
    await subgraphs?.close();
  });

  it('returns healthy subgraphs\' data with a coded error while the circuit is open, and recovers', async () => {
    const query = '{ product(upc: "2") { name price } topProducts(first: 1) { upc inStock } }';
    for (let i = 0; i < 4; i++) await postGraphql(web.url, query);
    const calls = inventory.requests.filter((r) => r.body.includes('_entities')).length;

    const res = await postGraphql(web.url, query);
    expect(res.status).toBe(200);
    expect(res.json.data.product).toEqual({ name: expect.any(String), price: expect.any(Number) });
    // Only the paused subgraph's field is null: the product list from products stays.
    expect(res.json.data.topProducts).toEqual([{ upc: '1', inStock: null }]);
    expect(res.json.errors).toEqual([expect.objectContaining({ path: ['topProducts', 0, 'inStock'], extensions: expect.objectContaining({ code: 'UPSTREAM_CIRCUIT_OPEN', subgraph: 'inventory' }) })]);
    expect(inventory.requests.filter((r) => r.body.includes('_entities')).length).toBe(calls);

    inventoryDown = false;
    await eventually(async () => (await postGraphql(web.url, query)).json.errors === undefined);
    expect((await postGraphql(web.url, query)).json.data.topProducts[0]).toEqual({ upc: '1', inStock: expect.any(Boolean) });
  });
});
