/**
 * Attack: one partner makes the upstream look broken so that everyone else gets 503
 * UPSTREAM_CIRCUIT_OPEN. Only failures the upstream caused count against a breaker:
 * requests one client makes fail (Expect: 100-continue, bodies over the limit, uploads cut
 * off) never open a circuit, while a really failing upstream still does.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http, rawGet } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { streamUpload } from '../helpers/uploads';

/** Sensitive breakers: four failures in the window open a circuit. */
const BREAKERS = { all: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 60_000, rollingWindowMs: 60_000 } };
const LIMIT = 32_768;

describe('one partner cannot open a circuit for every partner', () => {
  const keyA = generateApiKey({ clientId: 'partner-a', plan: 'pro', scopes: ['orders:read', 'orders:write'] });
  const keyB = generateApiKey({ clientId: 'partner-b', plan: 'pro', scopes: ['orders:read', 'orders:write'] });
  let upstream: RecordingUpstream;
  let partner: RunningBff;
  let failing = false;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      if (failing && req.url !== '/healthz') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"boom":true}');
        return;
      }
      if (/^\/orders\/\d+$/.test(req.url)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"NOT_FOUND"}');
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end('{"items":[]}');
    });
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      server: { bodyLimitBytes: LIMIT },
      policies: { authn: { apiKeys: { records: [keyA.record, keyB.record] } }, breakers: BREAKERS },
    });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  const asA = { 'x-api-key': keyA.key };
  const asB = { 'x-api-key': keyB.key };
  const metrics = async () => (await http(`${partner.url}/metrics`)).text;

  it('answers 100 passthrough GETs with Expect: 100-continue from partner A without a single 502; partner B is served, the circuit stays closed', async () => {
    const before = upstream.requests.filter((r) => r.url.startsWith('/products')).length;
    const statuses: number[] = [];
    let ordinary: Promise<{ status: number }> | undefined;
    for (let batch = 0; batch < 10; batch++) {
      const sent = Array.from({ length: 10 }, () => rawGet(`${partner.url}/v1/products?page=${batch}`, { ...asA, expect: '100-continue' }));
      // Partner B's ordinary request runs in the middle of the attack.
      if (batch === 5) ordinary = http(`${partner.url}/v1/products/2`, { headers: asB });
      statuses.push(...(await Promise.all(sent)).map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect((await ordinary)?.status).toBe(200);
    const received = upstream.requests.filter((r) => r.url.startsWith('/products')).slice(before);
    expect(received).toHaveLength(101);
    expect(received.filter((r) => r.headers.expect !== undefined)).toHaveLength(0);

    const next = await http(`${partner.url}/v1/products`, { headers: asB });
    expect(next.status).toBe(200);
    expect(partner.app.breakers.states().products).toBe('closed');
    const text = await metrics();
    // Every call was observed, as a success: none as an upstream error.
    expect(metricValue(text, 'portico_upstream_request_duration_seconds_count', { upstream: 'products', outcome: 'success' })).toBeGreaterThanOrEqual(102);
    expect(metricValue(text, 'portico_upstream_errors_total', { upstream: 'products', reason: 'unavailable' }) ?? 0).toBe(0);
    expect(metricValue(text, 'portico_circuit_breaker_transitions_total', { upstream: 'products', to: 'open' }) ?? 0).toBe(0);
  });

  it('never counts partner A\'s oversized, refused or cut-off uploads: 413 each, partner B\'s order goes through, the circuit stays closed', async () => {
    const postsBefore = upstream.requests.filter((r) => r.method === 'POST').length;
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(await streamUpload(`${partner.url}/v1/orders`, { headers: asA, totalBytes: 4 * LIMIT }));
      results.push(await streamUpload(`${partner.url}/v1/orders`, { headers: asA, totalBytes: 4 * LIMIT, contentLength: 4 * LIMIT }));
      results.push(await streamUpload(`${partner.url}/v1/orders`, { headers: asA, totalBytes: LIMIT, abortAfterBytes: LIMIT / 2 }));
    }
    const refused = results.filter((r) => r.status === 413 && r.json?.code === 'PAYLOAD_TOO_LARGE');
    expect(refused).toHaveLength(20);
    expect(results.filter((r) => r.status !== undefined && r.status >= 500)).toHaveLength(0);
    // Nothing of partner A's reached the orders service whole.
    expect(upstream.requests.filter((r) => r.method === 'POST').length).toBe(postsBefore);

    const order = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { ...asB, 'content-type': 'application/json' }, body: '{"customerId":"2"}' });
    expect(order.status).toBe(201);
    expect(upstream.requests.filter((r) => r.method === 'POST').length).toBe(postsBefore + 1);
    expect(partner.app.breakers.states().orders).toBe('closed');
    const text = await metrics();
    expect(metricValue(text, 'portico_upstream_errors_total', { upstream: 'orders', reason: 'unavailable' }) ?? 0).toBe(0);
    expect(metricValue(text, 'portico_circuit_breaker_transitions_total', { upstream: 'orders', to: 'open' }) ?? 0).toBe(0);
  });

  it('never counts the 4xx answers partner A provokes through an aggregate: 404 each, the circuit stays closed', async () => {
    const before = upstream.requests.filter((r) => /^\/orders\/\d+$/.test(r.url)).length;
    const [answers, ordinary] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => http(`${partner.url}/v1/orders/${90_000 + i}`, { headers: asA }))),
      http(`${partner.url}/v1/products/1`, { headers: asB }),
    ]);
    for (const res of answers) expect(res.json).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', requestId: expect.any(String) });
    expect(ordinary.status).toBe(200);
    expect(upstream.requests.filter((r) => /^\/orders\/\d+$/.test(r.url)).length - before).toBe(20);
    expect(partner.app.breakers.states().orders).toBe('closed');
  });

  it('still opens the circuit when the upstream itself fails (5xx), for everyone', async () => {
    failing = true;
    try {
      for (let i = 0; i < 4; i++) expect((await http(`${partner.url}/v1/reviews/1`, { headers: asA })).status).toBe(500);
      const forB = await http(`${partner.url}/v1/reviews/1`, { headers: asB });
      expect(forB.status).toBe(503);
      expect(forB.json).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', requestId: expect.any(String) });
      expect(partner.app.breakers.states().reviews).toBe('open');
    } finally {
      failing = false;
    }
  });
});

describe('connection failures after the request was sent count against the upstream', () => {
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      if (req.url === '/healthz') {
        res.end('ok');
        return;
      }
      res.socket?.destroy();
    });
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  it('answers 502 UPSTREAM_UNAVAILABLE for a reset after sending and opens the circuit after four', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await http(`${partner.url}/v1/inventory/1`);
      expect(res.status).toBe(502);
      expect(res.json).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', requestId: expect.any(String) });
    }
    expect((await http(`${partner.url}/v1/inventory/1`)).json.code).toBe('UPSTREAM_CIRCUIT_OPEN');
    expect(partner.app.breakers.states().inventory).toBe('open');
  });
});
