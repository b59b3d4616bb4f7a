/**
 * Partner v1 and v2 over the real services: the same data in each version's shape, v1's
 * deprecation headers, cursor paging, batched fan-out, input validation, and passthrough
 * paths that can never leave their prefix.
 */
import { startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http, rawGet } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { STAFF_IDENTITY_HEADERS, createPartnerCredentials } from '../helpers/identity';

let subgraphs: RunningSubgraphs;
let proxies: Record<string, RecordingUpstream>;
let partner: RunningBff;
/** A partner key granted every scope the routes and the services' rules know. */
const partnerKey = createPartnerCredentials();

/** A request to the partner BFF with the partner's key. */
function partnerHttp(url: string, init: Parameters<typeof http>[1] = {}) {
  return http(url, { ...init, headers: { ...partnerKey.headers, ...init.headers } });
}

/** A recording front for a real service: forwards every request and remembers its path. */
async function recordingFront(origin: string): Promise<RecordingUpstream> {
  return startRecordingUpstream(async (req, res) => {
    // The identity the gateway asserts goes along: the services decide what the caller may read.
    const identity = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => e[0].startsWith('x-') && typeof e[1] === 'string'));
    const upstream = await fetch(`${origin}${req.url}`, { method: req.method, headers: { ...identity, 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body: req.body } : {}) });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(await upstream.text());
  });
}

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  proxies = {};
  for (const [name, origin] of Object.entries(subgraphs.origins)) proxies[name] = await recordingFront(origin);
  partner = await startPartnerBff(Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, { origin: p.origin }])), { policies: partnerKey.policies });
});

afterAll(async () => {
  await partner?.close();
  for (const p of Object.values(proxies ?? {})) await p.close();
  await subgraphs?.close();
});

const calls = (name: string) => (proxies[name] as RecordingUpstream).requests.filter((r) => r.url !== '/healthz');
const reset = () => Object.values(proxies).forEach((p) => (p.requests.length = 0));

describe('v1 and v2', () => {
  it('return the same order in their own shapes', async () => {
    const v1 = (await partnerHttp(`${partner.url}/v1/orders/3`)).json;
    const v2 = (await partnerHttp(`${partner.url}/v2/orders/3`)).json;
    expect(v2).toMatchObject({ id: v1.order_id, status: v1.status, createdAt: v1.created_at, total: { amountCents: v1.total_cents, currency: 'USD' } });
    expect(v2.customer).toEqual({ id: v1.customer_id, username: v1.customer_username, name: v1.customer_name });
    expect(v2.items).toEqual(
      v1.items.map((i: Record<string, unknown>) => ({ quantity: i.quantity, unitPrice: { amountCents: i.unit_price_cents, currency: 'USD' }, product: { upc: i.upc, name: i.product_name, imageUrl: i.image_url, inStock: i.in_stock } })),
    );
  });

  it('mark every v1 response deprecated with a sunset and a link to v2, and v2 not', async () => {
    for (const path of ['/v1/orders/3', '/v1/products?limit=1', '/v1/orders/99999']) {
      const res = await partnerHttp(`${partner.url}${path}`);
      // 2026-11-01T00:00:00Z
      expect(res.headers).toMatchObject({ deprecation: '@1793491200', sunset: 'Wed, 30 Jun 2027 00:00:00 GMT', link: '</v2>; rel="successor-version"' });
    }
    expect((await partnerHttp(`${partner.url}/v2/orders/3`)).headers.deprecation).toBeUndefined();
  });

  it('page v2 lists with cursors through the whole catalogue', async () => {
    const seen: string[] = [];
    let next: string | null = '';
    for (let i = 0; i < 10 && next !== null; i++) {
      const res = await partnerHttp(`${partner.url}/v2/products?limit=15${next ? `&cursor=${next}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((p: { upc: string }) => p.upc));
      next = res.json.page.nextCursor;
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });
});

describe('batched fan-out', () => {
  it('costs one call per service for a whole page of orders', async () => {
    reset();
    const res = await partnerHttp(`${partner.url}/v2/customers/7/orders?limit=20`);
    expect(res.status).toBe(200);
    const items = res.json.data.flatMap((o: { items: unknown[] }) => o.items);
    expect(items.length).toBeGreaterThan(1);
    expect(calls('products')).toHaveLength(1);
    expect(calls('inventory')).toHaveLength(1);
    expect(calls('orders')).toHaveLength(1);
    expect(calls('accounts')).toHaveLength(1);
    expect(calls('products')[0]?.url).toMatch(/^\/products\?upcs=[\d%C,]+&limit=100$/);
  });
});

describe('input validation', () => {
  it.each([
    ['/v2/products?limit=500', /limit/],
    ['/v2/products?limit=abc', /limit/],
    ['/v2/products?cursor=not-ours', /cursor/],
    ['/v2/products?color=red', /additional/i],
    ['/v2/orders/abc', /id/],
  ])('answers %s with 400 naming the field', async (path, field) => {
    const res = await partnerHttp(`${partner.url}${path}`);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('VALIDATION_FAILED');
    expect(res.json.message).toMatch(field);
  });

  it('answers missing records with 404', async () => {
    expect((await partnerHttp(`${partner.url}/v2/orders/99999`)).json.code).toBe('NOT_FOUND');
    expect((await partnerHttp(`${partner.url}/v2/customers/99999/orders`)).status).toBe(404);
  });
});

describe('passthrough path safety', () => {
  it.each(['/v1/products/..%2f..%2fadmin', '/v1/products/%2e%2e/secret', '/v1/products/%2E%2E%5Cwin', '/v1/products//etc', '/v1/products/..', '/v1/products/%252e%252e/x'])(
    '%s never reaches the upstream',
    async (path) => {
      reset();
      const res = await rawGet(`${partner.url}${path}`, {});
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(calls('products')).toHaveLength(0);
    },
  );

  it('still passes ordinary paths', async () => {
    reset();
    expect((await partnerHttp(`${partner.url}/v1/products/12`)).status).toBe(200);
    expect(calls('products').map((r) => r.url)).toEqual(['/products/12']);
  });
});

describe('OpenAPI documents', () => {
  it.each(['v1', 'v2'])('%s validates as OpenAPI 3.1 and lists every route', async (version) => {
    const res = await partnerHttp(`${partner.url}/${version}/openapi.json`);
    expect(res.status).toBe(200);
    const { validate } = await import('@readme/openapi-parser');
    const result = await validate(structuredClone(res.json));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(res.json.openapi).toBe('3.1.0');
    const operations = Object.entries(res.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const expected =
      version === 'v1'
        ? ['GET /v1/users', 'GET /v1/users/{id}', 'GET /v1/products/{id}', 'GET /v1/inventory', 'GET /v1/reviews/{id}', 'GET /v1/orders', 'POST /v1/orders', 'GET /v1/orders/{id}']
        : ['GET /v2/products', 'GET /v2/products/{upc}', 'GET /v2/orders/{id}', 'GET /v2/customers/{id}/orders'];
    expect(operations).toEqual(expect.arrayContaining(expected));
    if (version === 'v1') expect(res.json.paths['/v1/orders/{id}'].get.deprecated).toBe(true);
    expect(res.json.paths[version === 'v1' ? '/v1/orders/{id}' : '/v2/products'].get['x-rate-limits']).toBeUndefined();
  });

  it('serves the docs portal without credentials, switching between every version\'s document', async () => {
    const res = await http(`${partner.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    // The version switch lives in the initializer script the page loads.
    const initializer = await http(`${partner.url}/docs/static/swagger-initializer.js`);
    expect(initializer.status).toBe(200);
    for (const version of ['v1', 'v2']) expect(initializer.text).toContain(`/${version}/openapi.json`);
  });
});

describe('operation-backed aggregate', () => {
  it('answers GET /v2/customers/:id from one federated query across four services', async () => {
    const res = await partnerHttp(`${partner.url}/v2/customers/4`);
    expect(res.status).toBe(200);
    const user = (await http(`${subgraphs.origins.accounts}/users/4`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json;
    expect(res.json).toMatchObject({ id: '4', username: user.username, name: user.name });
    expect(res.json.reviews.length).toBeGreaterThanOrEqual(2);
    expect(res.json.reviews[0]).toEqual({ id: expect.any(String), rating: expect.any(Number), product: { upc: expect.any(String), name: expect.any(String) } });
    expect(res.json.recentOrders[0]).toEqual({ id: expect.any(String), status: expect.any(String), createdAt: expect.any(String), total: { amountCents: expect.any(Number), currency: 'USD' } });
    expect(res.json.email).toBeUndefined();
  });

  it('answers an unknown customer with 404', async () => {
    const res = await partnerHttp(`${partner.url}/v2/customers/99999`);
    expect(res.status).toBe(404);
    expect(res.json.message).toBe("Customer '99999' was not found.");
  });
});
