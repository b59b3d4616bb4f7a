/**
 * The partner BFF: /v1 passthrough fidelity against a recording upstream, the order
 * aggregate over the real services, and upstream failures mapped to coded errors.
 */
import { request } from 'undici';
import { startPartnerBff, type RunningBff } from '../helpers/bffs';
import { STAFF_IDENTITY_HEADERS, createPartnerCredentials } from '../helpers/identity';
import { http, rawGet } from '../helpers/http';
import { startRecordingUpstream, unusedPort, type RecordingUpstream } from '../helpers/recording-upstream';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

function restUpstreams(subgraphs: Subgraphs) {
  return Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin, healthPath: '/healthz' }]));
}

describe('partner passthrough fidelity', () => {
  let upstream: RecordingUpstream;
  let partner: RunningBff;
  let subgraphs: Subgraphs;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    upstream = await startRecordingUpstream();
    partner = await startPartnerBff({ ...restUpstreams(subgraphs), products: { origin: upstream.origin, healthPath: '/healthz' } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
    await subgraphs?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('rewrites the prefix and keeps the query string byte for byte', async () => {
    const res = await http(`${partner.url}/v1/products/12/variants?a=1&b=%20x&a=2&empty=`);
    expect(res.status).toBe(200);
    expect(upstream.requests[0]?.url).toBe('/products/12/variants?a=1&b=%20x&a=2&empty=');
  });

  it('passes small and large bodies, of declared or unknown length, and HEAD answers through intact', async () => {
    const large = 'L'.repeat(300_000);
    upstream.respondWith((req, res) => {
      if (req.url.startsWith('/products/large')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(large.length) });
        res.end(req.method === 'HEAD' ? undefined : large);
      } else if (req.url.startsWith('/products/chunked')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.end('two'), 10);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
        res.end(req.method === 'HEAD' ? undefined : '{"small":1}');
      }
    });
    const small = await http(`${partner.url}/v1/products/small`);
    expect([small.status, small.text, small.headers['content-length']]).toEqual([200, '{"small":1}', '11']);
    const big = await http(`${partner.url}/v1/products/large`);
    expect([big.status, big.text.length, big.headers['content-length']]).toEqual([200, large.length, String(large.length)]);
    const chunked = await http(`${partner.url}/v1/products/chunked`);
    expect([chunked.status, chunked.text]).toEqual([200, 'one,two']);
    for (const path of ['small', 'large']) {
      const head = await request(`${partner.url}/v1/products/${path}`, { method: 'HEAD' });
      expect(head.statusCode).toBe(200);
      expect(await head.body.text()).toBe('');
    }
  });

  it('answers 502 UPSTREAM_BAD_RESPONSE when the upstream sends less than it declared', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"cut":');
      setTimeout(() => res.destroy(), 20);
    });
    const res = await http(`${partner.url}/v1/products/1`);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('preserves upstream status codes, bodies and the headers the route allows', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain; charset=utf-8', 'x-upstream-trace': 'abc', etag: '"v1"', 'cache-control': 'max-age=60' });
      res.end('short and stout');
    });
    const res = await http(`${partner.url}/v1/products/1`);
    expect(res.status).toBe(418);
    expect(res.text).toBe('short and stout');
    expect(res.headers).toMatchObject({ etag: '"v1"', 'cache-control': 'max-age=60', 'content-type': 'text/plain; charset=utf-8' });
    // Not in the route's response allowlist (test/security/passthrough-headers.test.ts).
    expect(res.headers['x-upstream-trace']).toBeUndefined();

    upstream.respondWith((_req, res) => {
      res.writeHead(204, { etag: '"empty"' });
      res.end();
    });
    const empty = await http(`${partner.url}/v1/products/1`);
    expect(empty.status).toBe(204);
    expect(empty.text).toBe('');
    expect(empty.headers.etag).toBe('"empty"');
  });

  it('forwards the request id and end-to-end headers but not hop-by-hop ones', async () => {
    upstream.respondWith((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=5', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ seen: req.headers }));
    });
    const res = await rawGet(`${partner.url}/v1/products`, {
      'x-request-id': 'partner-trace-1',
      accept: 'application/json',
      connection: 'x-internal-hop',
      'x-internal-hop': 'secret',
      'x-custom': 'kept',
    });
    const seen = upstream.requests[0]?.headers ?? {};
    expect(seen['x-request-id']).toBe('partner-trace-1');
    expect(seen['x-custom']).toBe('kept');
    expect(seen['x-internal-hop']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    expect(res.headers['x-request-id']).toBe('partner-trace-1');
  });

  it('passes request bodies through on POST routes and blocks methods a route does not allow', async () => {
    const created = await http(`${partner.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: '2', items: [{ productUpc: '3', quantity: 2 }] }),
    });
    expect(created.status).toBe(201);
    // The upstream's Location is rewritten into the facade's own path space.
    expect(created.headers.location).toMatch(/^\/v1\/orders\/\d+$/);
    expect(created.json).toMatchObject({ customerId: '2', status: 'PENDING', items: [{ productUpc: '3', quantity: 2 }] });

    const denied = await http(`${partner.url}/v1/products/1`, { method: 'DELETE' });
    expect(denied.status).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it('rejects a declared body over the limit with 413 before calling the upstream', async () => {
    const res = await http(`${partner.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: '1', items: [], pad: 'x'.repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers unknown routes and versions with 404 NOT_FOUND JSON', async () => {
    // `/` is the public API index (partner-index.test.ts).
    for (const path of ['/v1/nothing', '/v9/products', '/v9', '/v1/']) {
      const res = await http(`${partner.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
    }
  });
});

describe('partner order aggregate over the real services', () => {
  let subgraphs: Subgraphs;
  let partner: RunningBff;
  // A partner key granted orders and customers' personal data: the services' rules let it read any order.
  const partnerKey = createPartnerCredentials();

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    partner = await startPartnerBff(restUpstreams(subgraphs), { policies: partnerKey.policies });
  });

  afterAll(async () => {
    await partner?.close();
    await subgraphs?.close();
  });

  it('joins order, customer, products and stock', async () => {
    const res = await http(`${partner.url}/v1/orders/3`, { headers: partnerKey.headers });
    expect(res.status).toBe(200);
    const order = (await http(`${subgraphs.origins.orders}/orders/3`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json;
    const customer = (await http(`${subgraphs.origins.accounts}/users/${order.customerId}`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json;
    expect(res.json).toMatchObject({ order_id: '3', status: order.status, total_cents: order.totalCents, customer_id: customer.id, customer_name: customer.name, customer_email: customer.email });
    expect(res.json.items).toHaveLength(order.items.length);
    for (const [i, item] of res.json.items.entries()) {
      const product = (await http(`${subgraphs.origins.products}/products/${order.items[i].productUpc}`)).json;
      const stock = (await http(`${subgraphs.origins.inventory}/inventory/${order.items[i].productUpc}`)).json;
      expect(item).toEqual({ upc: product.upc, product_name: product.name, image_url: product.imageUrl, in_stock: stock.inStock, quantity: order.items[i].quantity, unit_price_cents: order.items[i].unitPriceCents });
    }
  });

  it('answers a missing order with 404 NOT_FOUND naming it', async () => {
    const res = await http(`${partner.url}/v1/orders/99999`, { headers: partnerKey.headers });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'NOT_FOUND', message: "Order '99999' was not found." });
  });

  it('passes list requests with paging through to the orders service', async () => {
    const res = await http(`${partner.url}/v1/orders?customerId=4&limit=2`, { headers: partnerKey.headers });
    const direct = await http(`${subgraphs.origins.orders}/orders?customerId=4&limit=2`, { headers: { ...STAFF_IDENTITY_HEADERS } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(direct.json);
  });

  it('is ready when every upstream answers', async () => {
    const res = await http(`${partner.url}/readyz`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.checks)).toEqual(expect.arrayContaining(['upstream:accounts', 'upstream:orders']));
  });
});

describe('partner with failing upstreams', () => {
  let slow: RecordingUpstream;
  let partner: RunningBff;
  let subgraphs: Subgraphs;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    slow = await startRecordingUpstream((_req, res) => {
      setTimeout(() => res.end('{}'), 2_000);
    });
    const downPort = await unusedPort();
    partner = await startPartnerBff(
      {
        ...restUpstreams(subgraphs),
        accounts: { origin: `http://127.0.0.1:${downPort}` },
        reviews: { origin: slow.origin, pool: { headersTimeoutMs: 300, bodyTimeoutMs: 300 } },
      },
      { ready: false },
    );
  });

  afterAll(async () => {
    await partner?.close();
    await slow?.close();
    await subgraphs?.close();
  });

  it('answers 502 UPSTREAM_UNAVAILABLE for an unreachable upstream, without its address', async () => {
    const res = await http(`${partner.url}/v1/users/1`);
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: "Upstream 'accounts' could not be reached." });
    expect(res.text).not.toContain('127.0.0.1');
  });

  it('answers 504 UPSTREAM_TIMEOUT for an upstream slower than its timeout', async () => {
    const started = Date.now();
    const res = await http(`${partner.url}/v1/reviews/1`);
    expect(res.status).toBe(504);
    expect(res.json.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('fails an aggregate whose upstream is down with 502, never a crash', async () => {
    const res = await http(`${partner.url}/v1/orders/1`);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('UPSTREAM_UNAVAILABLE');
    const again = await request(`${partner.url}/healthz`);
    expect(again.statusCode).toBe(200);
    await again.body.dump();
  });

  it('is not ready, naming the unreachable upstream', async () => {
    const res = await http(`${partner.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.json.checks['upstream:accounts']).toEqual({ ok: false, detail: 'unreachable' });
  });
});
